#include "server/server_config.h"

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "demo/demo_generator.h"

namespace analytics {
namespace {

absl::Status ParseBool(const std::string& value, bool& out) {
  const std::string v = absl::AsciiStrToLower(value);
  if (v == "true" || v == "1" || v == "yes" || v.empty()) {
    out = true;
  } else if (v == "false" || v == "0" || v == "no") {
    out = false;
  } else {
    return absl::InvalidArgumentError("expected true or false");
  }
  return absl::OkStatus();
}

// An integer flag within [min, max].
template <typename Int>
absl::Status ParseInt(const std::string& value, Int min, Int max, Int& out) {
  Int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
    return absl::InvalidArgumentError(absl::StrCat("expected a whole number, ", min, "..", max));
  }
  out = parsed;
  return absl::OkStatus();
}

// A duration: "250ms", "90s" or whole seconds ("90"), in [min_ms, max_ms].
absl::Status ParseDurationMs(const std::string& value, std::int64_t min_ms, std::int64_t max_ms,
                             std::int64_t& out) {
  absl::string_view number = value;
  std::int64_t scale = 1000;
  if (absl::ConsumeSuffix(&number, "ms")) {
    scale = 1;
  } else {
    absl::ConsumeSuffix(&number, "s");
  }
  std::int64_t parsed = 0;
  if (!absl::SimpleAtoi(number, &parsed) || parsed < 0 || parsed > max_ms / scale ||
      parsed * scale < min_ms) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a duration such as 500ms or 60s (whole seconds without a unit), ",
                     min_ms, "ms..", max_ms / 1000, "s"));
  }
  out = parsed * scale;
  return absl::OkStatus();
}

// Settings that only make sense together.
absl::Status CheckCombinations(const ServerConfig& config) {
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key: give both or neither");
  }
  if (!config.tls_client_ca.empty() && config.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca: needs --tls-cert and --tls-key");
  }
  return absl::OkStatus();
}

// A libpq URI, which is what selects PostgreSQL (store/pg_store.h's
// IsPostgresDsn; the config library does not link the store).
bool IsPostgresUri(const std::string& value) {
  return value.starts_with("postgres://") || value.starts_with("postgresql://");
}

// "" (inferred from --db / --pg-dsn), sqlite or postgres.
absl::Status StoreKind(const std::string& value) {
  if (value.empty() || value == "sqlite" || value == "postgres") return absl::OkStatus();
  return absl::InvalidArgumentError("expected sqlite or postgres");
}

absl::Status PostgresUri(const std::string& value) {
  if (value.empty() || IsPostgresUri(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "expected a postgresql://USER@HOST:PORT/DATABASE URI (write a libpq key=value string as a "
      "URI)");
}

// --store, --pg-dsn and --db together: the store they name, or why they
// disagree. `db_given`: --db or ANALYTICS_DB was set (not the default).
absl::Status ResolveStore(ServerConfig& config, bool db_given) {
  const bool db_is_postgres = IsPostgresUri(config.db);
  // Inferred PostgreSQL is written down; inferred SQLite stays "" so that
  // the defaults parse back to a default ServerConfig.
  if (config.store.empty() && (!config.pg_dsn.empty() || db_is_postgres)) {
    config.store = "postgres";
  }
  if (config.store != "postgres") {
    if (!config.pg_dsn.empty()) {
      return absl::InvalidArgumentError(
          "--pg-dsn: only with --store postgres (the store is sqlite)");
    }
    if (db_is_postgres) {
      return absl::InvalidArgumentError(
          "--db: a postgresql:// URI with --store sqlite; use --store postgres (or leave --store "
          "out)");
    }
    return absl::OkStatus();
  }
  if (config.pg_dsn.empty()) {
    if (!db_is_postgres) {
      return absl::InvalidArgumentError(
          "--pg-dsn: --store postgres needs the database's postgresql:// URI (--pg-dsn, or --db)");
    }
    config.pg_dsn = config.db;
  } else if (db_given && config.db != config.pg_dsn) {
    return absl::InvalidArgumentError(
        "--db and --pg-dsn name different databases: give the PostgreSQL URI once");
  }
  config.db = config.pg_dsn;
  return absl::OkStatus();
}

// How a flag's value becomes a setting, and how --help shows the setting.
struct Binding {
  bool is_bool = false;
  // Parses `value` into `config`; the error says why, without the flag.
  std::function<absl::Status(ServerConfig&, const std::string&)> set;
  // The setting as text: of a default ServerConfig, the flag's default.
  std::function<std::string(const ServerConfig&)> show;
};

struct Flag {
  const char* name;  // without the leading "--"
  const char* env;
  const char* help;
  Binding binding;
  // Settable only through the environment (secrets); --help shows no value.
  bool env_only = false;
};

// Any text, checked by `check` when given ("" is OK unless it says so).
Binding Text(std::string ServerConfig::*field,
             absl::Status (*check)(const std::string&) = nullptr) {
  return {.set =
              [field, check](ServerConfig& config, const std::string& value) {
                if (check != nullptr) {
                  if (absl::Status s = check(value); !s.ok()) return s;
                }
                config.*field = value;
                return absl::OkStatus();
              },
          .show = [field](const ServerConfig& config) { return config.*field; }};
}

// One of `choices`; `lower_case`: compared and kept in lower case.
Binding Choice(std::string ServerConfig::*field, std::vector<std::string> choices,
               bool lower_case = false) {
  return {.set =
              [field, choices, lower_case](ServerConfig& config, const std::string& value) {
                const std::string v = lower_case ? absl::AsciiStrToLower(value) : value;
                for (const std::string& choice : choices) {
                  if (v == choice) {
                    config.*field = v;
                    return absl::OkStatus();
                  }
                }
                std::string expected = "expected ";
                for (std::size_t i = 0; i < choices.size(); ++i) {
                  absl::StrAppend(&expected,
                                  i == 0                    ? ""
                                  : i + 1 == choices.size() ? " or "
                                                            : ", ",
                                  choices[i]);
                }
                return absl::InvalidArgumentError(expected);
              },
          .show = [field](const ServerConfig& config) { return config.*field; }};
}

Binding Bool(bool ServerConfig::*field) {
  return {.is_bool = true,
          .set = [field](ServerConfig& config,
                         const std::string& value) { return ParseBool(value, config.*field); },
          .show = [field](const ServerConfig& config) -> std::string {
            return config.*field ? "true" : "false";
          }};
}

// A whole number in [min, max]; `why`: the message for anything else
// (default: the range).
template <typename Int>
Binding Number(Int ServerConfig::*field, Int min, Int max, const char* why = nullptr) {
  return {.set =
              [field, min, max, why](ServerConfig& config, const std::string& value) {
                absl::Status s = ParseInt(value, min, max, config.*field);
                if (!s.ok() && why != nullptr) return absl::InvalidArgumentError(why);
                return s;
              },
          .show = [field](const ServerConfig& config) { return absl::StrCat(config.*field); }};
}

// A duration in milliseconds within [min_ms, max_ms] (ParseDurationMs).
Binding Duration(std::int64_t ServerConfig::*field, std::int64_t min_ms, std::int64_t max_ms) {
  return {.set =
              [field, min_ms, max_ms](ServerConfig& config, const std::string& value) {
                return ParseDurationMs(value, min_ms, max_ms, config.*field);
              },
          .show =
              [field](const ServerConfig& config) {
                const std::int64_t ms = config.*field;
                return ms % 1000 == 0 ? absl::StrCat(ms / 1000, "s") : absl::StrCat(ms, "ms");
              }};
}

absl::Status HostPort(const std::string& value) {
  if (value.find(':') == std::string::npos) return absl::InvalidArgumentError("expected host:port");
  return absl::OkStatus();
}

absl::Status HostPortOrEmpty(const std::string& value) {
  if (!value.empty() && value.find(':') == std::string::npos) {
    return absl::InvalidArgumentError("expected host:port or empty");
  }
  return absl::OkStatus();
}

absl::Status NotEmpty(const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError("must not be empty");
  return absl::OkStatus();
}

absl::Status SixteenBytesOrMore(const std::string& value) {
  if (value.size() < 16) return absl::InvalidArgumentError("must be at least 16 bytes");
  return absl::OkStatus();
}

// Every flag, once: name, environment variable, help, where its value goes
// and how it is checked (defaults are ServerConfig's initializers). Flags
// are applied from the environment in this order, and --help lists them
// in it.
const std::vector<Flag>& Flags() {
  using C = ServerConfig;
  constexpr int kMaxInt = std::numeric_limits<int>::max();
  static const std::vector<Flag> flags = {
      {"listen", "ANALYTICS_LISTEN", "gRPC listen address host:port (port 0 picks a free one)",
       Text(&C::listen, HostPort)},
      {"db", "ANALYTICS_DB",
       "SQLite database file, created on first start (:memory: for tests), or a postgresql:// "
       "URI (PostgreSQL, shared by replicas)",
       Text(&C::db, NotEmpty)},
      {"max-replica-lag", "ANALYTICS_MAX_REPLICA_LAG",
       "PostgreSQL replicas: the health check says NOT_SERVING (readiness fails) while this "
       "replica's copy lags the database by more (0: never)",
       Duration(&C::max_replica_lag_ms, 0, 3600 * 1000)},
      {"store", "ANALYTICS_STORE",
       "sqlite or postgres; empty: from --db (a postgresql:// URI is PostgreSQL) or --pg-dsn",
       Text(&C::store, StoreKind)},
      {"pg-dsn", "ANALYTICS_PG_DSN",
       "PostgreSQL URI postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE[?sslmode=…] (implies "
       "--store postgres; the same as giving it as --db)",
       Text(&C::pg_dsn, PostgresUri)},
      {"log-level", "ANALYTICS_LOG_LEVEL", "trace|debug|info|warn|error",
       Choice(&C::log_level, {"trace", "debug", "info", "warn", "error"}, true)},
      {"log-format", "ANALYTICS_LOG_FORMAT", "text|json (json: one object per line)",
       Choice(&C::log_format, {"text", "json"})},
      {"seed-demo-if-empty", "ANALYTICS_SEED_DEMO_IF_EMPTY",
       "load the default demo data when the store is empty", Bool(&C::seed_demo_if_empty)},
      {"grace-period", "ANALYTICS_GRACE_PERIOD",
       "seconds in-flight RPCs may take to drain on SIGTERM/SIGINT",
       Number(&C::grace_period_seconds, 0, 3600, "expected whole seconds, 0..3600")},
      {"metrics-listen", "ANALYTICS_METRICS_LISTEN",
       "Prometheus /metrics address host:port (empty disables)",
       Text(&C::metrics_listen, HostPortOrEmpty)},
      {"http-listen", "ANALYTICS_HTTP_LISTEN",
       "HTTP/JSON API and dashboard address host:port, the page at / (empty: none)",
       Text(&C::http_listen, HostPortOrEmpty)},
      {"http-cors-origins", "ANALYTICS_HTTP_CORS_ORIGINS",
       "origins whose pages may call the HTTP API: comma-separated, \"*\" any (empty: no CORS)",
       Text(&C::http_cors_origins)},
      {"engine", "ANALYTICS_ENGINE",
       "query engine: columnar (in-memory, fast) or sql (answers from SQLite directly)",
       Choice(&C::engine, {"columnar", "sql"})},
      {"memory-budget-mb", "ANALYTICS_MEMORY_BUDGET_MB",
       "MiB the columnar engine may use; above it the server answers from SQL (0: no cap)",
       Number<std::int64_t>(&C::memory_budget_mb, 0, std::int64_t{1} << 30,
                            "expected whole MiB, 0 (no cap) or more")},
      {"engine-snapshot", "ANALYTICS_ENGINE_SNAPSHOT",
       "keep the columnar engine's snapshot beside a SQLite --db (<db>.engine-snapshot) and "
       "start from it",
       Bool(&C::engine_snapshot)},
      {"auth-tokens-file", "ANALYTICS_AUTH_TOKENS_FILE",
       "file of bearer tokens, one \"ROLE TOKEN\" per line (ROLE reader|writer); empty: no auth",
       Text(&C::auth_tokens_file)},
      {"auth-tokens", "ANALYTICS_AUTH_TOKENS",
       "bearer tokens \"ROLE TOKEN\" separated by commas or newlines (environment only)",
       Text(&C::auth_tokens), true},
      {"allow-unauthenticated-writes", "ANALYTICS_ALLOW_UNAUTHENTICATED_WRITES",
       "without tokens, accept writes from any peer (default: loopback only)",
       Bool(&C::allow_unauthenticated_writes)},
      {"tls-cert", "ANALYTICS_TLS_CERT", "PEM certificate chain; with --tls-key serves TLS only",
       Text(&C::tls_cert)},
      {"tls-key", "ANALYTICS_TLS_KEY", "PEM private key of --tls-cert", Text(&C::tls_key)},
      {"tls-client-ca", "ANALYTICS_TLS_CLIENT_CA",
       "PEM CA bundle; clients must present a certificate it signed (mutual TLS)",
       Text(&C::tls_client_ca)},
      {"max-receive-message-bytes", "ANALYTICS_MAX_RECEIVE_MESSAGE_BYTES",
       "largest request message accepted, in bytes",
       Number(&C::max_receive_message_bytes, 1024, kMaxInt)},
      {"max-page-size", "ANALYTICS_MAX_PAGE_SIZE", "largest ListCustomers page_size",
       Number(&C::max_page_size, 1, 1'000'000)},
      {"max-lines-per-ingest-message", "ANALYTICS_MAX_LINES_PER_INGEST_MESSAGE",
       "most order lines in one IngestTransactions message",
       Number(&C::max_lines_per_ingest_message, 1, 1'000'000)},
      {"write-wait-ms", "ANALYTICS_WRITE_WAIT_MS",
       "how long a write waits for the one running before ABORTED, in milliseconds",
       Number(&C::write_wait_ms, 0, 3'600'000)},
      {"max-write-waiters", "ANALYTICS_MAX_WRITE_WAITERS",
       "writes that may wait at once; more are ABORTED immediately",
       Number(&C::max_write_waiters, 0, 1000)},
      {"max-concurrent-streams", "ANALYTICS_MAX_CONCURRENT_STREAMS",
       "concurrent calls per client connection (HTTP/2 streams)",
       Number(&C::max_concurrent_streams, 1, 1'000'000)},
      {"max-seed-lines", "ANALYTICS_MAX_SEED_LINES",
       "most lines one SeedDemoData call may generate (also capped by --memory-budget-mb)",
       Number<std::int64_t>(&C::max_seed_lines, 1, kMaxDemoLines)},
      {"page-token-key", "ANALYTICS_PAGE_TOKEN_KEY",
       "secret (16+ bytes) sealing ListCustomers page tokens; replicas behind one address share "
       "it; unset: a random key per process (environment only)",
       Text(&C::page_token_key, SixteenBytesOrMore), true},
      {"stream-idle-timeout", "ANALYTICS_STREAM_IDLE_TIMEOUT",
       "how long an IngestTransactions or ImportCsv stream may send nothing before it fails "
       "DEADLINE_EXCEEDED, releasing the write gate (e.g. 60s, 500ms; 0: no limit)",
       Duration(&C::stream_idle_timeout_ms, 0, 24 * 3'600'000)},
      {"require-last-message", "ANALYTICS_REQUIRE_LAST_MESSAGE",
       "write streams commit only after a message marked last (false: also when a stream just "
       "ends, as older clients send them; a cut final message then goes unnoticed)",
       Bool(&C::require_last_message)},
      {"max-db-pages", "ANALYTICS_MAX_DB_PAGES",
       "cap on database pages (SQLite max_page_count; 0: no cap); writes past it fail "
       "RESOURCE_EXHAUSTED",
       Number<std::int64_t>(&C::max_db_pages, 0, std::numeric_limits<std::int64_t>::max())},
  };
  return flags;
}

absl::Status Apply(ServerConfig& config, const Flag& flag, const std::string& value) {
  if (absl::Status s = flag.binding.set(config, value); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag.name, ": ", s.message()));
  }
  return absl::OkStatus();
}

const Flag* FindFlag(const std::string& name) {
  for (const Flag& flag : Flags()) {
    if (name == flag.name) return &flag;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const EnvLookup& env) {
  ServerConfig config;
  bool db_given = false;
  for (const Flag& flag : Flags()) {
    if (std::optional<std::string> value = env(flag.env)) {
      if (std::string_view(flag.name) == "db") db_given = true;
      if (absl::Status s = Apply(config, flag, *value); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag.env, " (environment): ", std::string(s.message())));
      }
    }
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      config.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const Flag* flag = FindFlag(name);
    if (flag == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    if (flag->env_only) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, ": set it through ", flag->env,
                       " only; a command line is visible to every user of the machine"));
    }
    if (!value) {
      if (flag->binding.is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", name, ": needs a value"));
      }
    }
    if (absl::Status s = Apply(config, *flag, *value); !s.ok()) return s;
    if (name == "db") db_given = true;
  }
  if (absl::Status s = CheckCombinations(config); !s.ok()) return s;
  if (absl::Status s = ResolveStore(config, db_given); !s.ok()) return s;
  return config;
}

std::string ServerHelpText() {
  const ServerConfig defaults;
  std::string text =
      "analytics-server: the customer-analytics gRPC service.\n\n"
      "Usage: analytics-server [flags]\n\n"
      "Every flag can also be set through its environment variable; flags win.\n\n";
  for (const Flag& flag : Flags()) {
    if (flag.env_only) {
      absl::StrAppend(&text, "  env ", flag.env, "\n      ", flag.help, "\n");
      continue;
    }
    absl::StrAppend(&text, "  --", flag.name, flag.binding.is_bool ? "" : " VALUE", "\n      ",
                    flag.help, "\n      env ", flag.env, ", default \"",
                    flag.binding.show(defaults), "\"\n");
  }
  absl::StrAppend(&text,
                  "\nThe first line on stdout is \"listening on HOST:PORT\" once the server "
                  "accepts calls; logs go to stderr.\n");
  return text;
}

}  // namespace analytics
