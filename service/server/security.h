// Turns the security and limit settings of ServerConfig into the objects the
// server is built from: transport credentials (plaintext, TLS, or mutual
// TLS), the token table, the one-writer gate's bounds, the per-call limits,
// and the store's page cap. Everything that reads a file happens here, at
// start, so a missing certificate or a malformed token file stops the server
// with a clear message instead of failing the first call.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "api/analytics_service.h"
#include "api/auth.h"
#include "api/write_gate.h"
#include "server/server_config.h"
#include "store/order_store.h"

namespace analytics {

// InvalidArgument naming the files when the certificate or the key cannot be
// read, or the key is not the certificate's ("TLS key does not match
// certificate").
absl::Status CheckKeyMatchesCertificate(const ServerConfig& config, const std::string& cert_pem,
                                        const std::string& key_pem);

// TLS when --tls-cert/--tls-key are set (client certificates required and
// verified when --tls-client-ca is set too); plaintext otherwise.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerConfig& config);

// Tokens from --auth-tokens-file and ANALYTICS_AUTH_TOKENS together. The
// messages name the file and the entry number, never a token.
absl::StatusOr<api::AuthOptions> LoadAuthOptions(const ServerConfig& config);

// Peak memory one seeded line costs until its write commits (generation,
// the write log's staging and the columnar engine's copy), measured with
// SeedDemoData of 1M lines; ServiceLimitsFrom caps a seed at the memory
// budget divided by it.
inline constexpr std::int64_t kSeedBytesPerLine = 320;

// The per-call limits; the seed cap is the smaller of --max-seed-lines and
// what --memory-budget-mb holds.
api::ServiceLimits ServiceLimitsFrom(const ServerConfig& config);
api::WriteGateOptions WriteGateOptionsFrom(const ServerConfig& config);

// Caps the database at --max-db-pages pages (SQLite's max_page_count), so a
// write that would grow it further fails with SQLITE_FULL, which the store
// reports as RESOURCE_EXHAUSTED. No-op when the flag is 0.
absl::Status ApplyStoreLimits(OrderStore& store, const ServerConfig& config);

// Reads a whole (small) file: certificates, keys, token files.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, std::string_view what);

}  // namespace analytics
