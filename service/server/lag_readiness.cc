#include "server/lag_readiness.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace analytics {

LagReadiness::LagReadiness(std::function<double()> staleness_seconds,
                           std::chrono::milliseconds max_lag, api::HealthService& health,
                           std::chrono::milliseconds interval)
    : staleness_seconds_(std::move(staleness_seconds)),
      max_lag_seconds_(std::chrono::duration<double>(max_lag).count()),
      health_(health),
      interval_(interval),
      thread_([this] { Run(); }) {}

LagReadiness::~LagReadiness() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  thread_.join();
}

void LagReadiness::Run() {
  bool ready = true;
  std::unique_lock lock(mutex_);
  while (!stop_.wait_for(lock, interval_, [this] { return stopping_; })) {
    const double staleness = staleness_seconds_();
    const bool now_ready = staleness <= max_lag_seconds_;
    if (now_ready == ready) continue;
    ready = now_ready;
    health_.SetReady(ready);
    if (ready) {
      spdlog::info("replica caught up (lag {:.1f} s): health SERVING again", staleness);
    } else {
      spdlog::warn("replica lag {:.1f} s over --max-replica-lag {:.1f} s: health NOT_SERVING",
                   staleness, max_lag_seconds_);
    }
  }
}

}  // namespace analytics
