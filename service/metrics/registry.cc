#include "metrics/registry.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace analytics::metrics {
namespace {

// Label values escape backslash, double quote and line feed (format 0.0.4).
void AppendLabelValue(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

// HELP text escapes only backslash and line feed.
void AppendHelp(std::string& out, std::string_view name, std::string_view help,
                std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// Shortest text that parses back to the same double; Prometheus spells the
// special values NaN, +Inf and -Inf.
void AppendDouble(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[64];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    // 64 bytes hold any shortest double; a failure here is a library bug.
    if (error == std::errc{}) out.append(buffer, end);
  }
}

void AppendUnsigned(std::string& out, std::uint64_t value) {
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (error == std::errc{}) out.append(buffer, end);
}

// `name{k1="v1",k2="v2"} ` — labels given as alternating keys and values.
void AppendSeries(std::string& out, std::string_view name,
                  std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  out += name;
  if (labels.size() > 0) {
    out += '{';
    bool first = true;
    for (const auto& [key, value] : labels) {
      if (!first) out += ',';
      first = false;
      out += key;
      out += "=\"";
      AppendLabelValue(out, value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

struct GaugeDescription {
  StoreGauge gauge;
  std::string_view name;
  std::string_view help;
};

constexpr GaugeDescription kStoreGauges[] = {
    {StoreGauge::kDatabaseSizeBytes, "analytics_database_size_bytes",
     "Logical size of the SQLite database as of the last committed write: page count times "
     "page size, free pages included. The write-ahead log file is not included (it holds "
     "recent writes until a checkpoint copies them into the database)."},
    {StoreGauge::kOrderLines, "analytics_order_lines", "Order lines held in the store."},
    {StoreGauge::kCustomers, "analytics_customers", "Distinct customers held in the store."},
    {StoreGauge::kLatestOrderDateSeconds, "analytics_latest_order_date_seconds",
     "Latest order date held, as unix seconds at UTC midnight."},
    {StoreGauge::kWriteWaiters, "analytics_write_waiters",
     "Writes waiting for the one-writer gate (at most --max-write-waiters)."},
    {StoreGauge::kReplicaLagSeconds, "analytics_replica_lag_seconds",
     "PostgreSQL store: seconds the oldest write not yet applied by this replica has waited "
     "(0 when caught up)."},
};

}  // namespace

std::string_view StatusCodeName(int code) {
  static constexpr std::string_view kNames[] = {"OK",
                                                "CANCELLED",
                                                "UNKNOWN",
                                                "INVALID_ARGUMENT",
                                                "DEADLINE_EXCEEDED",
                                                "NOT_FOUND",
                                                "ALREADY_EXISTS",
                                                "PERMISSION_DENIED",
                                                "RESOURCE_EXHAUSTED",
                                                "FAILED_PRECONDITION",
                                                "ABORTED",
                                                "OUT_OF_RANGE",
                                                "UNIMPLEMENTED",
                                                "INTERNAL",
                                                "UNAVAILABLE",
                                                "DATA_LOSS",
                                                "UNAUTHENTICATED"};
  if (code < 0 || code >= static_cast<int>(std::size(kNames))) return "UNKNOWN";
  return kNames[code];
}

Registry::Registry(BuildInfo build_info) : build_info_(std::move(build_info)) {}

void Registry::RecordRpc(std::string_view method, std::string_view code, double seconds) {
  // A NaN or negative duration (a caller's clock bug) would poison the sum
  // forever; count the call but observe it as instantaneous.
  if (!(seconds >= 0)) seconds = 0;
  std::lock_guard lock(mutex_);
  auto method_it = methods_.find(method);
  if (method_it == methods_.end()) method_it = methods_.emplace(method, MethodStats{}).first;
  MethodStats& stats = method_it->second;
  auto code_it = stats.requests_by_code.find(code);
  if (code_it == stats.requests_by_code.end()) {
    code_it = stats.requests_by_code.emplace(code, 0).first;
  }
  ++code_it->second;
  for (std::size_t i = 0; i < kRpcDurationBuckets.size(); ++i) {
    if (seconds <= kRpcDurationBuckets[i]) {
      ++stats.buckets[i];
      break;
    }
  }
  ++stats.count;
  stats.sum += seconds;
}

void Registry::AddLinesIngested(std::uint64_t lines) {
  lines_ingested_.fetch_add(lines, std::memory_order_relaxed);
}

void Registry::AddLinesRejected(std::uint64_t lines) {
  lines_rejected_.fetch_add(lines, std::memory_order_relaxed);
}

void Registry::SetLinesIngestedCallback(std::function<std::uint64_t()> callback) {
  std::lock_guard lock(mutex_);
  lines_ingested_callback_ = std::move(callback);
}

void Registry::SetGaugeCallback(StoreGauge gauge, GaugeCallback callback) {
  std::lock_guard lock(mutex_);
  if (callback) {
    gauges_[gauge] = std::move(callback);
  } else {
    gauges_.erase(gauge);
  }
}

std::string Registry::RenderPrometheusText() const {
  // Copy under the lock, format and call gauge callbacks outside it, so a
  // slow scrape never holds up RPCs.
  std::map<std::string, MethodStats, std::less<>> methods;
  std::map<StoreGauge, GaugeCallback> gauges;
  std::function<std::uint64_t()> lines_ingested_callback;
  {
    std::lock_guard lock(mutex_);
    methods = methods_;
    gauges = gauges_;
    lines_ingested_callback = lines_ingested_callback_;
  }

  std::string out;
  out.reserve(4096);

  AppendHelp(out, "analytics_build_info", "Build of the running server; the value is always 1.",
             "gauge");
  AppendSeries(out, "analytics_build_info",
               {{"version", build_info_.version}, {"git_sha", build_info_.git_sha}});
  out += "1\n";

  AppendHelp(out, "analytics_rpc_requests_total", "RPCs finished, by method and status code.",
             "counter");
  for (const auto& [method, stats] : methods) {
    for (const auto& [code, count] : stats.requests_by_code) {
      AppendSeries(out, "analytics_rpc_requests_total", {{"method", method}, {"code", code}});
      AppendUnsigned(out, count);
      out += '\n';
    }
  }

  AppendHelp(out, "analytics_rpc_duration_seconds",
             "Time from an RPC's start to its finish, by method.", "histogram");
  for (const auto& [method, stats] : methods) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kRpcDurationBuckets.size(); ++i) {
      cumulative += stats.buckets[i];
      std::string bound;
      AppendDouble(bound, kRpcDurationBuckets[i]);
      AppendSeries(out, "analytics_rpc_duration_seconds_bucket",
                   {{"method", method}, {"le", bound}});
      AppendUnsigned(out, cumulative);
      out += '\n';
    }
    AppendSeries(out, "analytics_rpc_duration_seconds_bucket",
                 {{"method", method}, {"le", "+Inf"}});
    AppendUnsigned(out, stats.count);
    out += '\n';
    AppendSeries(out, "analytics_rpc_duration_seconds_sum", {{"method", method}});
    AppendDouble(out, stats.sum);
    out += '\n';
    AppendSeries(out, "analytics_rpc_duration_seconds_count", {{"method", method}});
    AppendUnsigned(out, stats.count);
    out += '\n';
  }

  AppendHelp(out, "analytics_rpc_in_flight", "RPCs started and not yet finished.", "gauge");
  AppendSeries(out, "analytics_rpc_in_flight", {});
  out += std::to_string(in_flight_.load(std::memory_order_relaxed));
  out += '\n';

  AppendHelp(out, "analytics_lines_ingested_total",
             "Order lines written to the store since start-up: accepted by ingest and import, "
             "and generated by demo seeding (--seed-demo-if-empty and SeedDemoData).",
             "counter");
  AppendSeries(out, "analytics_lines_ingested_total", {});
  AppendUnsigned(out, lines_ingested_.load(std::memory_order_relaxed) +
                          (lines_ingested_callback ? lines_ingested_callback() : 0));
  out += '\n';

  AppendHelp(out, "analytics_lines_rejected_total",
             "Order lines rejected by ingest and import validation.", "counter");
  AppendSeries(out, "analytics_lines_rejected_total", {});
  AppendUnsigned(out, lines_rejected_.load(std::memory_order_relaxed));
  out += '\n';

  for (const GaugeDescription& description : kStoreGauges) {
    AppendHelp(out, description.name, description.help, "gauge");
    const auto it = gauges.find(description.gauge);
    if (it == gauges.end()) continue;
    const std::optional<double> value = it->second();
    if (!value.has_value()) continue;
    AppendSeries(out, description.name, {});
    AppendDouble(out, *value);
    out += '\n';
  }
  return out;
}

}  // namespace analytics::metrics
