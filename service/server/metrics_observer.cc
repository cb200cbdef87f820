#include "server/metrics_observer.h"

namespace analytics {

void MetricsObserver::OnStart(std::string_view /*method*/) { registry_.RpcStarted(); }

void MetricsObserver::OnFinish(const api::RpcRecord& record) {
  registry_.RecordRpc(record.method, api::StatusCodeName(record.code), record.elapsed.count());
  registry_.RpcFinished();
}

void MetricsObserver::OnLinesWritten(std::int64_t /*accepted*/, std::int64_t rejected) {
  // Written lines are counted by the store (RegisterStoreGauges), which also
  // sees the writes no RPC reports: the start-up seed and SeedDemoData.
  if (rejected > 0) registry_.AddLinesRejected(static_cast<std::uint64_t>(rejected));
}

void RegisterStoreGauges(metrics::Registry& registry, Store& store, QueryEngine& engine) {
  using metrics::StoreGauge;
  registry.SetLinesIngestedCallback([&store]() -> std::uint64_t {
    return static_cast<std::uint64_t>(store.LastCommittedStats().lines_written);
  });
  // As of the last commit: a scrape never waits for a running write.
  registry.SetGaugeCallback(StoreGauge::kDatabaseSizeBytes, [&store]() -> std::optional<double> {
    return static_cast<double>(store.LastCommittedStats().database_bytes);
  });
  registry.SetGaugeCallback(StoreGauge::kOrderLines, [&store]() -> std::optional<double> {
    return static_cast<double>(store.LastCommittedStats().lines);
  });
  registry.SetGaugeCallback(StoreGauge::kCustomers, [&engine]() -> std::optional<double> {
    absl::StatusOr<Measures> totals = engine.Totals({});
    if (!totals.ok()) return std::nullopt;
    return static_cast<double>(totals->customers);
  });
  registry.SetGaugeCallback(StoreGauge::kLatestOrderDateSeconds,
                            [&engine]() -> std::optional<double> {
                              absl::StatusOr<std::optional<DateSpan>> span = engine.Span({});
                              if (!span.ok() || !span->has_value()) return std::nullopt;
                              return static_cast<double>((*span)->last) * 86400.0;
                            });
}

}  // namespace analytics
