// Unit tests of the pieces behind authentication and limits: the token file
// parser, constant-time lookup, the per-call decision, the loopback check,
// the one-writer gate, and the security flags of the server's config.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api/auth.h"
#include "api/write_gate.h"
#include "server/server_config.h"

namespace analytics {
namespace {

using api::AuthOptions;
using api::Authorizer;
using api::Role;
using api::TokenTable;

constexpr char kReaderToken[] = "reader-token-0123456789";
constexpr char kWriterToken[] = "writer-token-0123456789";

TokenTable Table() {
  absl::StatusOr<TokenTable> table = TokenTable::Parse(
      "# comment\n\nreader reader-token-0123456789\n  writer:writer-token-0123456789  \n");
  EXPECT_TRUE(table.ok()) << table.status();
  return *table;
}

TEST(TokenTableTest, ParsesRolesCommentsAndBothSeparators) {
  const TokenTable table = Table();
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(*table.Find(kReaderToken), Role::kReader);
  EXPECT_EQ(*table.Find(kWriterToken), Role::kWriter);
  EXPECT_EQ(table.Find("reader-token-012345678").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(table.Find("").status().code(), absl::StatusCode::kNotFound);
  // Commas separate entries too (environment variables).
  absl::StatusOr<TokenTable> env =
      TokenTable::Parse("reader:reader-token-0123456789,writer writer-token-0123456789");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->size(), 2u);
}

TEST(TokenTableTest, RefusesBadEntriesWithoutEchoingTheToken) {
  for (const char* text :
       {"admin some-long-enough-token", "reader short", "reader",
        "reader tok\x01en-with-control-char", "writer \xc3\xa9-non-ascii-tokenxx"}) {
    absl::StatusOr<TokenTable> table = TokenTable::Parse(text);
    ASSERT_FALSE(table.ok()) << text;
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(table.status().message()).find("token-"), std::string::npos)
        << table.status();
  }
  EXPECT_TRUE(TokenTable::Parse(std::string(4096, 'x').insert(0, "reader ")).ok());
  EXPECT_FALSE(TokenTable::Parse(std::string(4097, 'x').insert(0, "reader ")).ok());
}

// Which role was meant cannot be guessed: refused, naming both entries.
TEST(TokenTableTest, ATokenListedWithTwoRolesIsRefused) {
  absl::StatusOr<TokenTable> table =
      TokenTable::Parse("writer same-token-0123456789\n# note\nreader same-token-0123456789");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(table.status().message().find("token entry 3 (line 3)"), 0u) << table.status();
  EXPECT_NE(table.status().message().find("entry 1 (line 1)"), std::string::npos);
  EXPECT_EQ(table.status().message().find("same-token"), std::string::npos);
}

TEST(TokenTableTest, ATokenListedTwiceWithOneRoleKeepsIt) {
  absl::StatusOr<TokenTable> table =
      TokenTable::Parse("reader same-token-0123456789,reader same-token-0123456789");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(*table->Find("same-token-0123456789"), Role::kReader);
}

TEST(TokenTableTest, MergingATokenWithAnotherRoleIsRefused) {
  absl::StatusOr<TokenTable> file = TokenTable::Parse("reader same-token-0123456789");
  absl::StatusOr<TokenTable> env = TokenTable::Parse("writer same-token-0123456789");
  ASSERT_TRUE(file.ok() && env.ok());
  const absl::Status merged = file->Merge(*env, "ANALYTICS_AUTH_TOKENS");
  EXPECT_EQ(merged.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(merged.message().find("ANALYTICS_AUTH_TOKENS: token entry 1"), 0u) << merged;
  EXPECT_EQ(*file->Find("same-token-0123456789"), Role::kReader) << "nothing merged";
}

TEST(AuthorizerTest, TokensDecideEveryCall) {
  const Authorizer auth(AuthOptions{.tokens = Table()});
  const std::string_view peer = "ipv4:10.0.0.7:4242";
  EXPECT_EQ(auth.Check("GetKpis", "", peer).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.Check("GetKpis", "Bearer wrong-token-0123456789", peer).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.Check("GetKpis", "Basic cmVhZGVyOnB3", peer).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.Check("GetKpis", "Bearer ", peer).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth.Check("GetKpis", "Bearer reader-token-0123456789", peer).ok());
  EXPECT_TRUE(auth.Check("GetKpis", "bearer  reader-token-0123456789 ", peer).ok());
  EXPECT_EQ(auth.Check("ImportCsv", "Bearer reader-token-0123456789", peer).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(auth.Check("SeedDemoData", "Bearer reader-token-0123456789", peer).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(auth.Check("IngestTransactions", "Bearer reader-token-0123456789", peer).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(auth.Check("ImportCsv", "Bearer writer-token-0123456789", peer).ok());
  EXPECT_TRUE(auth.Check("GetCustomer", "Bearer writer-token-0123456789", peer).ok());
  // Loopback gives no privilege once tokens exist.
  EXPECT_EQ(auth.Check("GetKpis", "", "ipv4:127.0.0.1:1").code(),
            absl::StatusCode::kUnauthenticated);
  // No message ever carries the presented token.
  const absl::Status denied = auth.Check("ImportCsv", "Bearer reader-token-0123456789", peer);
  EXPECT_EQ(std::string(denied.message()).find(kReaderToken), std::string::npos);
}

TEST(AuthorizerTest, WithoutTokensWritesOnlyFromLoopbackUnlessAllowed) {
  const Authorizer closed(AuthOptions{});
  EXPECT_TRUE(closed.Check("GetKpis", "", "ipv4:10.1.2.3:5").ok());
  EXPECT_TRUE(closed.Check("ImportCsv", "", "ipv4:127.0.0.1:5").ok());
  EXPECT_TRUE(closed.Check("ImportCsv", "", "ipv6:[::1]:5").ok());
  EXPECT_TRUE(closed.Check("ImportCsv", "", "unix:/run/analytics.sock").ok());
  EXPECT_EQ(closed.Check("ImportCsv", "", "ipv4:10.1.2.3:5").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(closed.Check("SeedDemoData", "", "ipv6:[2001:db8::1]:5").code(),
            absl::StatusCode::kPermissionDenied);
  AuthOptions open_options;
  open_options.allow_unauthenticated_writes = true;
  const Authorizer open(std::move(open_options));
  EXPECT_TRUE(open.Check("ImportCsv", "", "ipv4:10.1.2.3:5").ok());
}

TEST(LoopbackPeerTest, RecognisesLocalAddressesOnly) {
  for (const char* peer :
       {"ipv4:127.0.0.1:80", "ipv4:127.8.9.10:1", "ipv6:[::1]:443", "ipv6:%5B::1%5D:443",
        "ipv6:[::ffff:127.0.0.1]:9", "unix:/tmp/s", "unix-abstract:x"}) {
    EXPECT_TRUE(api::IsLoopbackPeer(peer)) << peer;
  }
  for (const char* peer : {"ipv4:10.0.0.1:80", "ipv4:1.127.0.0:1", "ipv6:[::2]:443",
                           "ipv6:[::10]:1", "ipv6:[::ffff:10.0.0.1]:9", "", "127.0.0.1:5"}) {
    EXPECT_FALSE(api::IsLoopbackPeer(peer)) << peer;
  }
}

TEST(WriteGateTest, SecondWriterWaitsThenIsAborted) {
  api::WriteGate gate({.max_wait = std::chrono::milliseconds(50), .max_waiters = 1});
  const auto far = std::chrono::system_clock::now() + std::chrono::hours(1);
  absl::StatusOr<api::WriteGate::Lease> first = gate.Acquire(far);
  ASSERT_TRUE(first.ok());
  absl::StatusOr<api::WriteGate::Lease> second = gate.Acquire(far);
  ASSERT_EQ(second.status().code(), absl::StatusCode::kAborted);
  EXPECT_NE(second.status().message().find("another write is in progress"),
            absl::string_view::npos);
  // An expired deadline does not wait at all, even with a long bound, and
  // says the deadline is what ran out.
  api::WriteGate patient({.max_wait = std::chrono::hours(1), .max_waiters = 1});
  absl::StatusOr<api::WriteGate::Lease> held = patient.Acquire(far);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(patient.Acquire(std::chrono::system_clock::now()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  // A deadline nearer than the server's bound: the wait ends with it.
  const absl::Status expired =
      patient.Acquire(std::chrono::system_clock::now() + std::chrono::milliseconds(30)).status();
  EXPECT_EQ(expired.code(), absl::StatusCode::kDeadlineExceeded) << expired;
  EXPECT_NE(expired.message().find("waited"), absl::string_view::npos) << expired;
}

TEST(WriteGateTest, AWaiterGetsTheGateWhenItIsReleased) {
  api::WriteGate gate({.max_wait = std::chrono::hours(1), .max_waiters = 1});
  const auto far = std::chrono::system_clock::now() + std::chrono::hours(1);
  auto first = std::make_unique<api::WriteGate::Lease>(*gate.Acquire(far));
  auto second = std::async(std::launch::async, [&] { return gate.Acquire(far).ok(); });
  // A third writer finds the one waiting slot taken and is refused at once,
  // which also proves the second is waiting.
  absl::StatusOr<api::WriteGate::Lease> third;
  do {
    third = gate.Acquire(std::chrono::system_clock::now());
    ASSERT_FALSE(third.ok());
  } while (third.status().message().find("waiting already") == absl::string_view::npos);
  first.reset();
  EXPECT_TRUE(second.get());
  // Moved-from leases release nothing; the moved-to one releases once.
  absl::StatusOr<api::WriteGate::Lease> a = gate.Acquire(far);
  ASSERT_TRUE(a.ok());
  api::WriteGate::Lease b = std::move(*a);
  EXPECT_FALSE(a->held());
  EXPECT_TRUE(b.held());
  b = api::WriteGate::Lease();
  EXPECT_TRUE(gate.Acquire(far).ok());
}

std::optional<std::string> NoEnv(const std::string&) { return std::nullopt; }

TEST(ServerConfigSecurityTest, FlagsAndEnvironment) {
  absl::StatusOr<ServerConfig> config = ParseServerConfig({"--auth-tokens-file",
                                                           "/run/secrets/tokens",
                                                           "--tls-cert",
                                                           "c.pem",
                                                           "--tls-key",
                                                           "k.pem",
                                                           "--tls-client-ca",
                                                           "ca.pem",
                                                           "--max-receive-message-bytes",
                                                           "2048",
                                                           "--max-page-size",
                                                           "10",
                                                           "--max-lines-per-ingest-message",
                                                           "5",
                                                           "--write-wait-ms",
                                                           "250",
                                                           "--max-write-waiters",
                                                           "2",
                                                           "--max-concurrent-streams",
                                                           "8",
                                                           "--max-db-pages",
                                                           "64",
                                                           "--allow-unauthenticated-writes"},
                                                          NoEnv);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->auth_tokens_file, "/run/secrets/tokens");
  EXPECT_EQ(config->tls_client_ca, "ca.pem");
  EXPECT_EQ(config->max_receive_message_bytes, 2048);
  EXPECT_EQ(config->max_page_size, 10);
  EXPECT_EQ(config->max_lines_per_ingest_message, 5);
  EXPECT_EQ(config->write_wait_ms, 250);
  EXPECT_EQ(config->max_write_waiters, 2);
  EXPECT_EQ(config->max_concurrent_streams, 8);
  EXPECT_EQ(config->max_db_pages, 64);
  EXPECT_TRUE(config->allow_unauthenticated_writes);

  const ServerConfig defaults;
  EXPECT_EQ(defaults.max_receive_message_bytes, 16 * 1024 * 1024);
  EXPECT_EQ(defaults.max_page_size, 1000);
  EXPECT_EQ(defaults.max_lines_per_ingest_message, 10'000);
  EXPECT_EQ(defaults.write_wait_ms, 30'000);
  EXPECT_EQ(defaults.max_concurrent_streams, 100);
  EXPECT_FALSE(defaults.allow_unauthenticated_writes);

  absl::StatusOr<ServerConfig> from_env =
      ParseServerConfig({}, [](const std::string& name) -> std::optional<std::string> {
        if (name == "ANALYTICS_AUTH_TOKENS") return "reader:abcdefghijklmnopq";
        if (name == "ANALYTICS_MAX_PAGE_SIZE") return "20";
        return std::nullopt;
      });
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->auth_tokens, "reader:abcdefghijklmnopq");
  EXPECT_EQ(from_env->max_page_size, 20);
}

TEST(ServerConfigSecurityTest, RefusesSecretsOnTheCommandLineAndHalfTls) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--auth-tokens", "reader:abcdefghijklmnopq"},
                                             {"--tls-cert", "c.pem"},
                                             {"--tls-key", "k.pem"},
                                             {"--tls-client-ca", "ca.pem"},
                                             {"--max-page-size", "0"},
                                             {"--max-page-size", "-5"},
                                             {"--max-receive-message-bytes", "12"},
                                             {"--max-concurrent-streams", "0"},
                                             {"--max-db-pages", "-1"},
                                             {"--write-wait-ms", "soon"},
                                             {"--allow-unauthenticated-writes=maybe"}}) {
    absl::StatusOr<ServerConfig> config = ParseServerConfig(args, NoEnv);
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << args[0];
  }
  absl::StatusOr<ServerConfig> secret =
      ParseServerConfig({"--auth-tokens", "reader:abcdefghijklmnopq"}, NoEnv);
  EXPECT_EQ(std::string(secret.status().message()).find("abcdefghijklmnopq"), std::string::npos);
}

TEST(ServerConfigSecurityTest, HelpListsEveryLimitWithItsDefault) {
  const std::string help = ServerHelpText();
  for (const char* text : {"--auth-tokens-file", "env ANALYTICS_AUTH_TOKENS", "--tls-client-ca",
                           "--max-receive-message-bytes", "default \"16777216\"", "--max-page-size",
                           "default \"1000\"", "--max-lines-per-ingest-message",
                           "default \"10000\"", "--write-wait-ms", "default \"30000\"",
                           "--max-concurrent-streams", "default \"100\"", "--max-db-pages"}) {
    EXPECT_NE(help.find(text), std::string::npos) << text;
  }
}

// Each flag's default is shown from the same place its value is parsed
// into: feeding every default --help prints back to the parser (as flags
// and as environment variables) gives the default settings.
TEST(ServerConfigSecurityTest, HelpDefaultsParseBackToTheDefaults) {
  const std::string help = ServerHelpText();
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::size_t at = 0;
  while ((at = help.find("\n  --", at)) != std::string::npos) {
    const std::size_t name_start = at + 5;
    const std::size_t name_end = help.find_first_of(" \n", name_start);
    const std::string name = help.substr(name_start, name_end - name_start);
    const std::size_t env_start = help.find("env ", name_end) + 4;
    const std::string variable = help.substr(env_start, help.find(',', env_start) - env_start);
    const std::size_t value_start = help.find("default \"", name_end) + 9;
    const std::string value = help.substr(value_start, help.find('"', value_start) - value_start);
    args.push_back(absl::StrCat("--", name, "=", value));
    env[variable] = value;
    at = name_end;
  }
  EXPECT_GE(args.size(), 20u);
  absl::StatusOr<ServerConfig> from_flags = ParseServerConfig(args, NoEnv);
  ASSERT_TRUE(from_flags.ok()) << from_flags.status();
  EXPECT_TRUE(*from_flags == ServerConfig());
  absl::StatusOr<ServerConfig> from_env =
      ParseServerConfig({}, [&](const std::string& name) -> std::optional<std::string> {
        const auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
      });
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_TRUE(*from_env == ServerConfig());
  // A changed setting is not the default (the comparison sees the fields).
  absl::StatusOr<ServerConfig> changed = ParseServerConfig({"--stream-idle-timeout=61s"}, NoEnv);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_FALSE(*changed == ServerConfig());
  EXPECT_NE(help.find("default \"60s\""), std::string::npos);
}

}  // namespace
}  // namespace analytics
