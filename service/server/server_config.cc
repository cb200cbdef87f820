#include "server/server_config.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace analytics {
namespace {

struct Flag {
  const char* name;  // without the leading "--"
  const char* env;
  const char* help;
  bool is_bool;
};

constexpr std::array<Flag, 8> kFlags = {{
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
    {"engine", "ANALYTICS_ENGINE", "query engine: sql", false},
}};

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
    if (value != "sql") return bad("expected sql");
    config.engine = value;
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
    return "";
  };
  std::string text =
      "analytics-server: the customer-analytics gRPC service.\n\n"
      "Usage: analytics-server [flags]\n\n"
      "Every flag can also be set through its environment variable; flags win.\n\n";
  for (const Flag& flag : kFlags) {
    absl::StrAppend(&text, "  --", flag.name, flag.is_bool ? "" : " VALUE", "\n      ", flag.help,
                    "\n      env ", flag.env, ", default \"", default_of(flag.name), "\"\n");
  }
  absl::StrAppend(&text,
                  "\nThe first line on stdout is \"listening on HOST:PORT\" once the server "
                  "accepts calls; logs go to stderr.\n");
  return text;
}

}  // namespace analytics
