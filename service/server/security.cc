#include "server/security.h"

#include <grpcpp/security/server_credentials.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace analytics {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, std::string_view what) {
  // Certificates and token files are kilobytes; a cap keeps a wrong path
  // (a device, a database) from being read into memory whole.
  constexpr std::streamsize kMaxBytes = 1 << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", std::string(what), " ", path));
  }
  std::string text(static_cast<std::size_t>(kMaxBytes) + 1, '\0');
  in.read(text.data(), kMaxBytes + 1);
  if (in.bad()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", std::string(what), " ", path));
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > static_cast<std::size_t>(kMaxBytes)) {
    return absl::FailedPreconditionError(
        absl::StrCat(std::string(what), " ", path, " is larger than 1 MiB"));
  }
  return text;
}

namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

absl::Status CheckKeyMatchesCertificate(const ServerConfig& config, const std::string& cert_pem,
                                        const std::string& key_pem) {
  // gRPC reports a bad pair only as a failure to listen, with the reason
  // buried in its own log: check here, where the files can be named.
  // The first certificate of the chain is the server's own.
  std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(MemoryBio(cert_pem).get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert ", config.tls_cert, ": no PEM certificate could be read"));
  }
  // No passphrase callback: an encrypted key cannot be read unattended.
  std::unique_ptr<EVP_PKEY, KeyFree> key(PEM_read_bio_PrivateKey(
      MemoryBio(key_pem).get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-key ", config.tls_key, ": no unencrypted PEM private key could be read"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("TLS key does not match certificate: --tls-key ",
                                                   config.tls_key, " is not the key of --tls-cert ",
                                                   config.tls_cert));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerConfig& config) {
  if (config.tls_cert.empty()) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> cert = ReadSmallFile(config.tls_cert, "--tls-cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadSmallFile(config.tls_key, "--tls-key");
  if (!key.ok()) return key.status();
  if (absl::Status s = CheckKeyMatchesCertificate(config, *cert, *key); !s.ok()) return s;
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!config.tls_client_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadSmallFile(config.tls_client_ca, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<api::AuthOptions> LoadAuthOptions(const ServerConfig& config) {
  api::AuthOptions options;
  options.allow_unauthenticated_writes = config.allow_unauthenticated_writes;
  if (!config.auth_tokens_file.empty()) {
    absl::StatusOr<std::string> text = ReadSmallFile(config.auth_tokens_file, "token file");
    if (!text.ok()) return text.status();
    absl::StatusOr<api::TokenTable> table = api::TokenTable::Parse(*text);
    if (!table.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(config.auth_tokens_file, ": ", std::string(table.status().message())));
    }
    if (table->empty()) {
      // An empty file would silently turn authentication off.
      return absl::InvalidArgumentError(absl::StrCat(config.auth_tokens_file, ": holds no tokens"));
    }
    if (absl::Status s = options.tokens.Merge(*table, config.auth_tokens_file); !s.ok()) return s;
  }
  if (!config.auth_tokens.empty()) {
    absl::StatusOr<api::TokenTable> table = api::TokenTable::Parse(config.auth_tokens);
    if (!table.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("ANALYTICS_AUTH_TOKENS: ", std::string(table.status().message())));
    }
    if (absl::Status s = options.tokens.Merge(*table, "ANALYTICS_AUTH_TOKENS"); !s.ok()) return s;
  }
  return options;
}

api::ServiceLimits ServiceLimitsFrom(const ServerConfig& config) {
  api::ServiceLimits limits;
  limits.max_page_size = config.max_page_size;
  limits.default_page_size = std::min(limits.default_page_size, config.max_page_size);
  limits.max_lines_per_ingest_message = config.max_lines_per_ingest_message;
  limits.write_stream.max_message_bytes =
      static_cast<std::size_t>(config.max_receive_message_bytes);
  limits.write_stream.idle_timeout = std::chrono::milliseconds(config.stream_idle_timeout_ms);
  limits.write_stream.require_last = config.require_last_message;
  limits.max_seed_lines = config.max_seed_lines;
  if (config.memory_budget_mb > 0) {
    // A seed is staged whole in memory until it commits (the write log and
    // the columnar engine's staging), so one call must fit the budget.
    const std::int64_t budget_lines = config.memory_budget_mb * 1024 * 1024 / kSeedBytesPerLine;
    limits.max_seed_lines =
        std::max<std::int64_t>(1, std::min(limits.max_seed_lines, budget_lines));
  }
  return limits;
}

api::WriteGateOptions WriteGateOptionsFrom(const ServerConfig& config) {
  return {.max_wait = std::chrono::milliseconds(config.write_wait_ms),
          .max_waiters = config.max_write_waiters};
}

absl::Status ApplyStoreLimits(OrderStore& store, const ServerConfig& config) {
  if (config.max_db_pages == 0) return absl::OkStatus();
  // A PRAGMA takes no bound parameters; the value is a validated integer.
  return store.WithConnectionUnfolded([&](sqlite::Connection& connection) {
    return connection.Execute(absl::StrCat("PRAGMA max_page_count = ", config.max_db_pages));
  });
}

}  // namespace analytics
