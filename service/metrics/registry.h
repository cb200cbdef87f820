// Prometheus metrics of the analytics server.
//
// A Registry is an ordinary object the server owns and passes to whatever
// records into it (RPC handlers, the ingest path, the HTTP exporter); there is
// no process-wide default registry, so tests can run several side by side.
// It records per-RPC counts by method and gRPC status code name, a latency
// histogram per method, the number of RPCs in flight, ingested and rejected
// line counts, and build information. Store-level gauges (database size,
// lines, customers, latest order date) are not pushed: the server registers a
// callback per gauge and the registry calls it when scraped, so the values are
// always current and cost nothing between scrapes.
//
// Every method is safe to call from any thread. RenderPrometheusText() writes
// the text exposition format 0.0.4 (HELP and TYPE lines, escaped labels).
// This library does not depend on gRPC: status codes arrive as names, and
// StatusCodeName() maps grpc::StatusCode's integer values to those names.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace analytics::metrics {

// Identifies the build in `analytics_build_info{version,git_sha} 1`.
struct BuildInfo {
  std::string version;
  std::string git_sha;
};

// The build this library was compiled in: the CMake project version and the
// git commit seen at configure time (or -DANALYTICS_GIT_SHA), "unknown" when
// neither is known.
BuildInfo CompiledBuildInfo();

// Gauges whose values are read through a callback at scrape time.
enum class StoreGauge {
  kDatabaseSizeBytes,       // analytics_database_size_bytes
  kOrderLines,              // analytics_order_lines
  kCustomers,               // analytics_customers
  kLatestOrderDateSeconds,  // analytics_latest_order_date_seconds (unix time, UTC midnight)
  kWriteWaiters,            // analytics_write_waiters (writes queued behind the write gate)
  kReplicaLagSeconds,       // analytics_replica_lag_seconds (PostgreSQL: follower behind by)
};

// Returns the gauge's current value, or nullopt when it is unknown (an empty
// store has no latest order date; a failed query has no value). A missing
// value leaves the sample out rather than reporting a misleading zero.
using GaugeCallback = std::function<std::optional<double>()>;

// Upper bounds, in seconds, of the `analytics_rpc_duration_seconds` buckets.
// Queries usually finish in milliseconds; imports and demo seeding of large
// files take seconds to a minute, hence the long tail.
inline constexpr std::array<double, 15> kRpcDurationBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

// The canonical name of a gRPC status code ("OK", "INVALID_ARGUMENT", ...), as
// the `code` label expects; codes outside 0..16 map to "UNKNOWN".
std::string_view StatusCodeName(int code);

class Registry {
 public:
  explicit Registry(BuildInfo build_info = CompiledBuildInfo());
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Counts one finished RPC and observes its latency. `method` is the short
  // method name ("GetKpis"); `code` a status code name (see StatusCodeName).
  void RecordRpc(std::string_view method, std::string_view code, double seconds);

  void AddLinesIngested(std::uint64_t lines);
  void AddLinesRejected(std::uint64_t lines);
  // Lines written that nobody reports through AddLinesIngested: the server
  // hands over the store's own count of written lines (every write path,
  // the start-up demo seed included), read at scrape time and added to
  // analytics_lines_ingested_total. Same rules as SetGaugeCallback; an empty
  // function removes it.
  void SetLinesIngestedCallback(std::function<std::uint64_t()> callback);

  // Replaces the gauge's callback; an empty function removes it. The
  // callback runs on the scraping thread without the registry's lock held, so
  // it may query (SQLite) and may even record into this registry. It should
  // not wait behind a writer, though: the scrape waits with it, and
  // Prometheus gives up after its scrape timeout (10 s in our
  // ServiceMonitor). It must stay valid until replaced or the registry is
  // gone.
  void SetGaugeCallback(StoreGauge gauge, GaugeCallback callback);

  // The in-flight gauge. Prefer InFlightGuard; these pair up for callers that
  // see an RPC's start and end as separate events (an observer's OnStart and
  // OnFinish), and every Started must be matched by one Finished.
  void RpcStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void RpcFinished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  std::int64_t InFlight() const { return in_flight_.load(std::memory_order_relaxed); }

  // The whole registry in text exposition format 0.0.4.
  std::string RenderPrometheusText() const;

 private:
  struct MethodStats {
    std::map<std::string, std::uint64_t, std::less<>> requests_by_code;
    std::array<std::uint64_t, kRpcDurationBuckets.size()> buckets{};  // not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };

  const BuildInfo build_info_;
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::uint64_t> lines_ingested_{0};
  std::atomic<std::uint64_t> lines_rejected_{0};

  // One lock for the maps: an RPC holds it for two map lookups and a few
  // adds, nothing next to the SQLite work the RPC itself does. std::less<>
  // lets string_view keys look up without allocating.
  mutable std::mutex mutex_;
  std::map<std::string, MethodStats, std::less<>> methods_;
  std::map<StoreGauge, GaugeCallback> gauges_;
  std::function<std::uint64_t()> lines_ingested_callback_;
};

// Counts an RPC as in flight for the guard's lifetime; create it when the RPC
// starts and let it go when the RPC has finished.
class InFlightGuard {
 public:
  explicit InFlightGuard(Registry& registry) : registry_(registry) { registry_.RpcStarted(); }
  ~InFlightGuard() { registry_.RpcFinished(); }
  InFlightGuard(const InFlightGuard&) = delete;
  InFlightGuard& operator=(const InFlightGuard&) = delete;

 private:
  Registry& registry_;
};

}  // namespace analytics::metrics
