// Readiness tied to replica lag (README "Scaling out"): while a PostgreSQL
// replica's copy is staler than --max-replica-lag, its gRPC health check
// answers NOT_SERVING, so Kubernetes' readiness probe takes it out of the
// Service until it has caught up; reads sent to it directly still work (a
// read with a consistency token waits for its write as before).
//
// A thread samples the staleness every `interval` and flips the health
// service's readiness on a change, logging each change once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "api/health_service.h"

namespace analytics {

class LagReadiness {
 public:
  // `staleness_seconds`: the store's (PgStore::StalenessSeconds).
  LagReadiness(std::function<double()> staleness_seconds, std::chrono::milliseconds max_lag,
               api::HealthService& health,
               std::chrono::milliseconds interval = std::chrono::milliseconds(200));
  ~LagReadiness();
  LagReadiness(const LagReadiness&) = delete;
  LagReadiness& operator=(const LagReadiness&) = delete;

 private:
  void Run();

  const std::function<double()> staleness_seconds_;
  const double max_lag_seconds_;
  api::HealthService& health_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace analytics
