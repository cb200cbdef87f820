// analytics-server's settings: command-line flags, each with an environment
// variable equivalent (flags win), with defaults shown by --help. Parsing is
// a pure function of argv and an environment lookup so it is unit-testable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace analytics {

struct ServerConfig {
  std::string listen = "0.0.0.0:50051";
  std::string db = "analytics.db";
  // --store sqlite|postgres and --pg-dsn, the explicit spelling of what
  // --db infers from its value. After parsing, `store` is "postgres" for a
  // PostgreSQL store ("" or "sqlite" otherwise), and a PostgreSQL store's
  // URI is in both `pg_dsn` and `db` (what opens it).
  std::string store;
  std::string pg_dsn;
  std::string log_level = "info";
  std::string log_format = "text";  // text | json
  bool seed_demo_if_empty = false;
  int grace_period_seconds = 10;
  // PostgreSQL replicas: health NOT_SERVING while the copy is staler than
  // this (server/lag_readiness.h); 0: lag never affects health.
  std::int64_t max_replica_lag_ms = 5000;
  std::string metrics_listen = "0.0.0.0:9090";  // empty: no metrics endpoint
  // HTTP/JSON API and dashboard (service/http): empty, the default, serves none.
  std::string http_listen;
  // Origins whose pages may call the HTTP API (CORS): empty none, "*" any,
  // or a comma-separated list.
  std::string http_cors_origins;
  std::string engine = "columnar";  // columnar | sql
  // Memory the columnar engine may use, in MiB; above it the server answers
  // from the SQL engine (and logs why). 0: no cap.
  std::int64_t memory_budget_mb = 1024;
  // The columnar engine's snapshot beside a SQLite database (<db>.engine-snapshot):
  // start-up reads it and replays only later writes. Off for :memory: and PostgreSQL.
  bool engine_snapshot = true;

  // Security (README "Security and limits"). Tokens: lines "ROLE TOKEN" from the file
  // and/or ANALYTICS_AUTH_TOKENS (environment only, never a flag: a command
  // line is visible to every user of the machine).
  std::string auth_tokens_file;
  std::string auth_tokens;
  bool allow_unauthenticated_writes = false;
  std::string tls_cert;       // PEM server certificate chain; with tls_key enables TLS
  std::string tls_key;        // PEM private key
  std::string tls_client_ca;  // PEM CA bundle; set: clients must present a cert it signed

  // Limits, each with its documented default.
  int max_receive_message_bytes = 16 * 1024 * 1024;
  int max_page_size = 1000;
  int max_lines_per_ingest_message = 10'000;
  int write_wait_ms = 30'000;  // how long a second writer waits for the first
  int max_write_waiters = 4;
  int max_concurrent_streams = 100;  // per HTTP/2 connection
  std::int64_t max_db_pages = 0;     // 0: SQLite's own maximum; test/ops knob
  // Write streams (api/write_stream.h): how long one may wait for the
  // client's next message (0: no limit), and whether a stream must mark its
  // last message to commit.
  std::int64_t stream_idle_timeout_ms = 60'000;
  bool require_last_message = true;
  // Most lines one SeedDemoData call may generate; the memory budget caps
  // it further (security.h, SeedLimitFrom).
  std::int64_t max_seed_lines = 2'000'000;
  // HMAC key of ListCustomers page tokens (environment only); empty: random.
  std::string page_token_key;

  bool help = false;

  friend bool operator==(const ServerConfig&, const ServerConfig&) = default;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// InvalidArgument naming the flag for unknown flags and bad values.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const EnvLookup& env);

std::string ServerHelpText();

}  // namespace analytics
