// analytics-server's settings: command-line flags, each with an environment
// variable equivalent (flags win), with defaults shown by --help. Parsing is
// a pure function of argv and an environment lookup so it is unit-testable.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace analytics {

struct ServerConfig {
  std::string listen = "0.0.0.0:50051";
  std::string db = "analytics.db";
  std::string log_level = "info";
  std::string log_format = "text";  // text | json
  bool seed_demo_if_empty = false;
  int grace_period_seconds = 10;
  std::string metrics_listen = "0.0.0.0:9090";  // empty: no metrics endpoint
  std::string engine = "sql";
  bool help = false;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// InvalidArgument naming the flag for unknown flags and bad values.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const EnvLookup& env);

std::string ServerHelpText();

}  // namespace analytics
