#include "server/logging.h"

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>

namespace analytics {
namespace {

void AppendJsonString(spdlog::memory_buf_t& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out.append(std::string_view("\\\""));
        break;
      case '\\':
        out.append(std::string_view("\\\\"));
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\r':
        out.append(std::string_view("\\r"));
        break;
      case '\t':
        out.append(std::string_view("\\t"));
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out.append(std::string_view(escaped));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// {"time":"…Z","level":"info","message":"…"} plus, for access-log lines of
// the form "rpc key=value …" (api/rpc_observer.h) or "http key=value …"
// (http/gateway.cc), each key as its own field.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(msg.time);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(msg.time - seconds).count();
    const std::time_t t = std::chrono::system_clock::to_time_t(msg.time);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<long long>(micros));
    const std::string_view message(msg.payload.data(), msg.payload.size());
    dest.append(std::string_view("{\"time\":\""));
    dest.append(std::string_view(stamp));
    dest.append(std::string_view("\",\"level\":"));
    const auto level = spdlog::level::to_string_view(msg.level);
    AppendJsonString(dest, std::string_view(level.data(), level.size()));
    dest.append(std::string_view(",\"message\":"));
    AppendJsonString(dest, message);
    AppendRpcFields(message, dest);
    dest.append(std::string_view("}\n"));
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  static void AppendRpcFields(std::string_view message, spdlog::memory_buf_t& dest) {
    std::size_t pos;
    if (message.rfind("rpc ", 0) == 0) {
      pos = 4;
    } else if (message.rfind("http ", 0) == 0) {
      pos = 5;
    } else {
      return;
    }
    while (pos < message.size()) {
      const std::size_t eq = message.find('=', pos);
      if (eq == std::string_view::npos) return;
      const std::string_view key = message.substr(pos, eq - pos);
      std::size_t end;
      std::string_view value;
      if (eq + 1 < message.size() && message[eq + 1] == '"') {
        end = message.find('"', eq + 2);
        if (end == std::string_view::npos) end = message.size();
        value = message.substr(eq + 2, end - eq - 2);
        end = std::min(message.size(), end + 1);
      } else {
        end = message.find(' ', eq + 1);
        if (end == std::string_view::npos) end = message.size();
        value = message.substr(eq + 1, end - eq - 1);
      }
      dest.push_back(',');
      AppendJsonString(dest, key);
      dest.push_back(':');
      AppendJsonString(dest, value);
      pos = end + 1;
    }
  }
};

}  // namespace

void ConfigureLogging(const std::string& format, const std::string& level) {
  auto logger = std::make_shared<spdlog::logger>("analytics",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == "json") {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace analytics
