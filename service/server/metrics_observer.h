// Feeds the Prometheus registry from the service: RPC counts, latencies and
// in-flight calls through the RpcObserver interface, and the store gauges
// (size, lines, customers, latest order date) through scrape-time callbacks.
#pragma once

#include "api/rpc_observer.h"
#include "metrics/registry.h"
#include "query/query_engine.h"
#include "store/store.h"

namespace analytics {

class MetricsObserver final : public api::RpcObserver {
 public:
  explicit MetricsObserver(metrics::Registry& registry) : registry_(registry) {}
  void OnStart(std::string_view method) override;
  void OnFinish(const api::RpcRecord& record) override;
  void OnLinesWritten(std::int64_t accepted, std::int64_t rejected) override;

 private:
  metrics::Registry& registry_;
};

// Registers the store gauges and the store's count of written lines (for
// analytics_lines_ingested_total); `store` and `engine` must outlive the
// registry's use of them (the server removes nothing: all three live until
// exit).
void RegisterStoreGauges(metrics::Registry& registry, Store& store, QueryEngine& engine);

}  // namespace analytics
