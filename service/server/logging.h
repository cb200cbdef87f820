// Process-wide logging setup for analytics-server: spdlog to stderr, as text
// for people or as one JSON object per line for cluster log collectors.
#pragma once

#include <string>

namespace analytics {

// `format` is "text" or "json"; `level` one of trace|debug|info|warn|error.
void ConfigureLogging(const std::string& format, const std::string& level);

}  // namespace analytics
