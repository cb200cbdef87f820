// Choosing the store on the command line (README "Configuration"): `--db`
// alone (a postgresql:// URI is PostgreSQL), or `--store` with `--pg-dsn`,
// or their environment variables; conflicting or missing pieces are refused
// at start-up with INVALID_ARGUMENT naming the flag, never guessed.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "server/server_config.h"

namespace analytics {
namespace {

constexpr char kUri[] = "postgresql://app@127.0.0.1:5432/analytics";
constexpr char kOtherUri[] = "postgresql://app@127.0.0.1:5432/other";

absl::StatusOr<ServerConfig> Parse(const std::vector<std::string>& args,
                                   std::map<std::string, std::string> env = {}) {
  return ParseServerConfig(args, [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

TEST(StoreFlags, EachSpellingSelectsTheSameStore) {
  const std::vector<std::vector<std::string>> postgres = {
      {"--db", kUri},
      {"--store", "postgres", "--pg-dsn", kUri},
      {"--pg-dsn", kUri},
      {"--store", "postgres", "--db", kUri},
      {"--store", "postgres", "--pg-dsn", kUri, "--db", kUri},
  };
  for (const auto& args : postgres) {
    absl::StatusOr<ServerConfig> config = Parse(args);
    ASSERT_TRUE(config.ok()) << args[0] << " " << config.status();
    EXPECT_EQ(config->store, "postgres");
    EXPECT_EQ(config->db, kUri);
    EXPECT_EQ(config->pg_dsn, kUri);
  }
  absl::StatusOr<ServerConfig> from_env =
      Parse({}, {{"ANALYTICS_STORE", "postgres"}, {"ANALYTICS_PG_DSN", kUri}});
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->db, kUri);

  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {"--db", "x.db"}, {"--store", "sqlite"}, {"--store", "sqlite", "--db", "x.db"}}) {
    absl::StatusOr<ServerConfig> config = Parse(args);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_NE(config->store, "postgres");
    EXPECT_TRUE(config->pg_dsn.empty());
  }
  EXPECT_EQ(Parse({})->db, "analytics.db");  // the default is unchanged
}

TEST(StoreFlags, ConflictingOrMissingPiecesAreRefusedNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--store", "postgres"}, "--pg-dsn"},
      {{"--store", "postgres", "--db", "x.db"}, "--pg-dsn"},
      {{"--store", "sqlite", "--pg-dsn", kUri}, "--pg-dsn"},
      {{"--store", "sqlite", "--db", kUri}, "--db"},
      {{"--pg-dsn", kUri, "--db", "x.db"}, "--db and --pg-dsn"},
      {{"--pg-dsn", kUri, "--db", kOtherUri}, "--db and --pg-dsn"},
      {{"--pg-dsn", "host=127.0.0.1 password=secret"}, "--pg-dsn"},
      {{"--store", "mysql"}, "--store"},
  };
  for (const auto& [args, named] : cases) {
    absl::StatusOr<ServerConfig> config = Parse(args);
    ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << args[1];
    const std::string message(config.status().message());
    EXPECT_EQ(message.find(named), 0u) << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  }
  // The environment's --db conflicts with a --pg-dsn naming another database.
  EXPECT_EQ(Parse({"--pg-dsn", kUri}, {{"ANALYTICS_DB", "x.db"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace analytics
