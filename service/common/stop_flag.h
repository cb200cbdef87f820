// Stopping long writes from outside: a StopFlag that whoever shuts the
// service down raises once, and a LineSource wrapper that ends a write's
// stream with a non-OK status as soon as it sees the flag. The store commits
// nothing for a source that ends that way (order_store.h), so a write
// stopped mid-way is rolled back whole. Header-only and free of gRPC: the
// server raises it on SIGTERM, so in-flight writes roll back at once instead
// of holding the drain past its grace period.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "common/order_line.h"

namespace analytics {

class StopFlag {
 public:
  void Stop() { stopped_.store(true, std::memory_order_relaxed); }
  bool stopped() const { return stopped_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> stopped_{false};
};

// The lines of `lines` until `flag` is raised: checked every few thousand
// lines, before every batch, and once more after the last line (right
// before the store commits). Stopped: status() is Unavailable.
class StoppableSource final : public LineSource {
 public:
  StoppableSource(LineSource& lines, const StopFlag& flag) : lines_(lines), flag_(flag) {}

  bool Next(OrderLine& line) override {
    if (!status_.ok()) return false;
    if (++count_ % 4096 == 0 && Stopped()) return false;
    if (lines_.Next(line)) return true;
    return Ended();
  }
  bool NextBatch(LineBatch& batch) override {
    if (!status_.ok() || Stopped()) return false;
    if (lines_.NextBatch(batch)) return true;
    return Ended();
  }
  absl::Status status() const override { return status_; }

 private:
  bool Stopped() {
    if (!flag_.stopped()) return false;
    status_ = absl::UnavailableError(
        "the server is shutting down: the write was stopped and nothing was written; retry it "
        "against a running server");
    return true;
  }
  bool Ended() {
    status_ = lines_.status();
    if (status_.ok()) Stopped();
    return false;
  }

  LineSource& lines_;
  const StopFlag& flag_;
  std::int64_t count_ = 0;
  absl::Status status_;
};

}  // namespace analytics
