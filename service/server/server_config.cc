#include "server/server_config.h"

#include <array>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "demo/demo_generator.h"

namespace analytics {
namespace {

struct Flag {
  const char* name;  // without the leading "--"
  const char* env;
  const char* help;
  bool is_bool;
  // Settable only through the environment (secrets).
  bool env_only = false;
};

constexpr std::array<Flag, 26> kFlags = {{
    {"listen", "ANALYTICS_LISTEN", "gRPC listen address host:port (port 0 picks a free one)",
     false},
    {"db", "ANALYTICS_DB", "SQLite database file, created on first start (:memory: for tests)",
     false},
    {"log-level", "ANALYTICS_LOG_LEVEL", "trace|debug|info|warn|error", false},
    {"log-format", "ANALYTICS_LOG_FORMAT", "text|json (json: one object per line)", false},
    {"seed-demo-if-empty", "ANALYTICS_SEED_DEMO_IF_EMPTY",
     "load the default demo data when the store is empty", true},
    {"grace-period", "ANALYTICS_GRACE_PERIOD",
     "seconds in-flight RPCs may take to drain on SIGTERM/SIGINT", false},
    {"metrics-listen", "ANALYTICS_METRICS_LISTEN",
     "Prometheus /metrics address host:port (empty disables)", false},
    {"engine", "ANALYTICS_ENGINE",
     "query engine: columnar (in-memory, fast) or sql (answers from SQLite directly)", false},
    {"memory-budget-mb", "ANALYTICS_MEMORY_BUDGET_MB",
     "MiB the columnar engine may use; above it the server answers from SQL (0: no cap)", false},
    {"auth-tokens-file", "ANALYTICS_AUTH_TOKENS_FILE",
     "file of bearer tokens, one \"ROLE TOKEN\" per line (ROLE reader|writer); empty: no auth",
     false},
    {"auth-tokens", "ANALYTICS_AUTH_TOKENS",
     "bearer tokens \"ROLE TOKEN\" separated by commas or newlines (environment only)", false,
     true},
    {"allow-unauthenticated-writes", "ANALYTICS_ALLOW_UNAUTHENTICATED_WRITES",
     "without tokens, accept writes from any peer (default: loopback only)", true},
    {"tls-cert", "ANALYTICS_TLS_CERT", "PEM certificate chain; with --tls-key serves TLS only",
     false},
    {"tls-key", "ANALYTICS_TLS_KEY", "PEM private key of --tls-cert", false},
    {"tls-client-ca", "ANALYTICS_TLS_CLIENT_CA",
     "PEM CA bundle; clients must present a certificate it signed (mutual TLS)", false},
    {"max-receive-message-bytes", "ANALYTICS_MAX_RECEIVE_MESSAGE_BYTES",
     "largest request message accepted, in bytes", false},
    {"max-page-size", "ANALYTICS_MAX_PAGE_SIZE", "largest ListCustomers page_size", false},
    {"max-lines-per-ingest-message", "ANALYTICS_MAX_LINES_PER_INGEST_MESSAGE",
     "most order lines in one IngestTransactions message", false},
    {"write-wait-ms", "ANALYTICS_WRITE_WAIT_MS",
     "how long a write waits for the one running before ABORTED, in milliseconds", false},
    {"max-write-waiters", "ANALYTICS_MAX_WRITE_WAITERS",
     "writes that may wait at once; more are ABORTED immediately", false},
    {"max-concurrent-streams", "ANALYTICS_MAX_CONCURRENT_STREAMS",
     "concurrent calls per client connection (HTTP/2 streams)", false},
    {"max-seed-lines", "ANALYTICS_MAX_SEED_LINES",
     "most lines one SeedDemoData call may generate (also capped by --memory-budget-mb)", false},
    {"page-token-key", "ANALYTICS_PAGE_TOKEN_KEY",
     "secret (16+ bytes) sealing ListCustomers page tokens; replicas behind one address share "
     "it; unset: a random key per process (environment only)",
     false, true},
    {"stream-idle-timeout", "ANALYTICS_STREAM_IDLE_TIMEOUT",
     "how long an IngestTransactions or ImportCsv stream may send nothing before it fails "
     "DEADLINE_EXCEEDED, releasing the write gate (e.g. 60s, 500ms; 0: no limit)",
     false},
    {"require-last-message", "ANALYTICS_REQUIRE_LAST_MESSAGE",
     "write streams commit only after a message marked last (false: also when a stream just "
     "ends, as older clients send them; a cut final message then goes unnoticed)",
     true},
    {"max-db-pages", "ANALYTICS_MAX_DB_PAGES",
     "cap on database pages (SQLite max_page_count; 0: no cap); writes past it fail "
     "RESOURCE_EXHAUSTED",
     false},
}};

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

// The security and limit flags; an unknown name is left alone.
absl::Status ApplySecurity(ServerConfig& config, const std::string& name,
                           const std::string& value) {
  constexpr int kMaxInt = std::numeric_limits<int>::max();
  if (name == "auth-tokens-file") {
    config.auth_tokens_file = value;
  } else if (name == "auth-tokens") {
    config.auth_tokens = value;
  } else if (name == "allow-unauthenticated-writes") {
    return ParseBool(value, config.allow_unauthenticated_writes);
  } else if (name == "tls-cert") {
    config.tls_cert = value;
  } else if (name == "tls-key") {
    config.tls_key = value;
  } else if (name == "tls-client-ca") {
    config.tls_client_ca = value;
  } else if (name == "max-receive-message-bytes") {
    return ParseInt(value, 1024, kMaxInt, config.max_receive_message_bytes);
  } else if (name == "max-page-size") {
    return ParseInt(value, 1, 1'000'000, config.max_page_size);
  } else if (name == "max-lines-per-ingest-message") {
    return ParseInt(value, 1, 1'000'000, config.max_lines_per_ingest_message);
  } else if (name == "write-wait-ms") {
    return ParseInt(value, 0, 3'600'000, config.write_wait_ms);
  } else if (name == "max-write-waiters") {
    return ParseInt(value, 0, 1000, config.max_write_waiters);
  } else if (name == "max-concurrent-streams") {
    return ParseInt(value, 1, 1'000'000, config.max_concurrent_streams);
  } else if (name == "max-seed-lines") {
    return ParseInt<std::int64_t>(value, 1, kMaxDemoLines, config.max_seed_lines);
  } else if (name == "page-token-key") {
    if (value.size() < 16) return absl::InvalidArgumentError("must be at least 16 bytes");
    config.page_token_key = value;
  } else if (name == "stream-idle-timeout") {
    return ParseDurationMs(value, 0, 24 * 3'600'000, config.stream_idle_timeout_ms);
  } else if (name == "require-last-message") {
    return ParseBool(value, config.require_last_message);
  } else if (name == "max-db-pages") {
    return ParseInt<std::int64_t>(value, 0, std::numeric_limits<std::int64_t>::max(),
                                  config.max_db_pages);
  }
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

absl::Status Apply(ServerConfig& config, const std::string& name, const std::string& value) {
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", why));
  };
  if (name == "listen") {
    if (value.find(':') == std::string::npos) return bad("expected host:port");
    config.listen = value;
  } else if (name == "db") {
    if (value.empty()) return bad("must not be empty");
    config.db = value;
  } else if (name == "log-level") {
    const std::string level = absl::AsciiStrToLower(value);
    if (level != "trace" && level != "debug" && level != "info" && level != "warn" &&
        level != "error") {
      return bad("expected trace, debug, info, warn or error");
    }
    config.log_level = level;
  } else if (name == "log-format") {
    if (value != "text" && value != "json") return bad("expected text or json");
    config.log_format = value;
  } else if (name == "seed-demo-if-empty") {
    const std::string v = absl::AsciiStrToLower(value);
    if (v == "true" || v == "1" || v == "yes" || v.empty()) {
      config.seed_demo_if_empty = true;
    } else if (v == "false" || v == "0" || v == "no") {
      config.seed_demo_if_empty = false;
    } else {
      return bad("expected true or false");
    }
  } else if (name == "grace-period") {
    int seconds = 0;
    if (!absl::SimpleAtoi(value, &seconds) || seconds < 0 || seconds > 3600) {
      return bad("expected whole seconds, 0..3600");
    }
    config.grace_period_seconds = seconds;
  } else if (name == "metrics-listen") {
    if (!value.empty() && value.find(':') == std::string::npos) {
      return bad("expected host:port or empty");
    }
    config.metrics_listen = value;
  } else if (name == "engine") {
    if (value != "columnar" && value != "sql") return bad("expected columnar or sql");
    config.engine = value;
  } else if (name == "memory-budget-mb") {
    std::int64_t mib = 0;
    if (!absl::SimpleAtoi(value, &mib) || mib < 0 || mib > (std::int64_t{1} << 30)) {
      return bad("expected whole MiB, 0 (no cap) or more");
    }
    config.memory_budget_mb = mib;
  } else if (absl::Status s = ApplySecurity(config, name, value); !s.ok()) {
    return bad(std::string(s.message()));
  }
  return absl::OkStatus();
}

const Flag* FindFlag(const std::string& name) {
  for (const Flag& flag : kFlags) {
    if (name == flag.name) return &flag;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const EnvLookup& env) {
  ServerConfig config;
  for (const Flag& flag : kFlags) {
    if (std::optional<std::string> value = env(flag.env)) {
      if (absl::Status s = Apply(config, flag.name, *value); !s.ok()) {
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
      if (flag->is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", name, ": needs a value"));
      }
    }
    if (absl::Status s = Apply(config, name, *value); !s.ok()) return s;
  }
  if (absl::Status s = CheckCombinations(config); !s.ok()) return s;
  return config;
}

std::string ServerHelpText() {
  const ServerConfig defaults;
  const auto default_of = [&](const std::string& name) -> std::string {
    if (name == "listen") return defaults.listen;
    if (name == "db") return defaults.db;
    if (name == "log-level") return defaults.log_level;
    if (name == "log-format") return defaults.log_format;
    if (name == "seed-demo-if-empty") return "false";
    if (name == "grace-period") return std::to_string(defaults.grace_period_seconds);
    if (name == "metrics-listen") return defaults.metrics_listen;
    if (name == "engine") return defaults.engine;
    if (name == "memory-budget-mb") return std::to_string(defaults.memory_budget_mb);
    if (name == "allow-unauthenticated-writes") return "false";
    if (name == "max-receive-message-bytes") {
      return std::to_string(defaults.max_receive_message_bytes);
    }
    if (name == "max-page-size") return std::to_string(defaults.max_page_size);
    if (name == "max-lines-per-ingest-message") {
      return std::to_string(defaults.max_lines_per_ingest_message);
    }
    if (name == "write-wait-ms") return std::to_string(defaults.write_wait_ms);
    if (name == "max-write-waiters") return std::to_string(defaults.max_write_waiters);
    if (name == "max-concurrent-streams") return std::to_string(defaults.max_concurrent_streams);
    if (name == "max-seed-lines") return std::to_string(defaults.max_seed_lines);
    if (name == "max-db-pages") return std::to_string(defaults.max_db_pages);
    if (name == "stream-idle-timeout") {
      return absl::StrCat(defaults.stream_idle_timeout_ms / 1000, "s");
    }
    if (name == "require-last-message") return "true";
    return "";
  };
  std::string text =
      "analytics-server: the customer-analytics gRPC service.\n\n"
      "Usage: analytics-server [flags]\n\n"
      "Every flag can also be set through its environment variable; flags win.\n\n";
  for (const Flag& flag : kFlags) {
    if (flag.env_only) {
      absl::StrAppend(&text, "  env ", flag.env, "\n      ", flag.help, "\n");
      continue;
    }
    absl::StrAppend(&text, "  --", flag.name, flag.is_bool ? "" : " VALUE", "\n      ", flag.help,
                    "\n      env ", flag.env, ", default \"", default_of(flag.name), "\"\n");
  }
  absl::StrAppend(&text,
                  "\nThe first line on stdout is \"listening on HOST:PORT\" once the server "
                  "accepts calls; logs go to stderr.\n");
  return text;
}

}  // namespace analytics
