#include "api/write_gate.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace analytics::api {

void WriteGate::Lease::Release() {
  if (gate_ != nullptr) std::exchange(gate_, nullptr)->Unlock();
}

void WriteGate::Unlock() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    held_ = false;
  }
  freed_.notify_one();
}

absl::StatusOr<WriteGate::Lease> WriteGate::Acquire(
    std::chrono::system_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!held_) {
    held_ = true;
    return Lease(this);
  }
  const auto busy = [&](std::string_view detail) {
    return absl::AbortedError(
        absl::StrCat("another write is in progress; ", std::string(detail), " Retry later."));
  };
  if (waiters_ >= options_.max_waiters) {
    return busy(absl::StrCat(waiters_, " more are waiting already."));
  }
  // The call's own deadline is a system_clock point; the wait bound is
  // measured on the steady clock so a clock step cannot stretch it.
  const auto now = std::chrono::system_clock::now();
  const auto until_deadline =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::max(deadline, now) - now);
  const auto wait = std::min(options_.max_wait, until_deadline);
  // A caller that cannot wait does not take a waiter's place.
  if (wait.count() <= 0) return busy("the call cannot wait.");
  ++waiters_;
  const bool freed = freed_.wait_for(lock, wait, [&] { return !held_; });
  --waiters_;
  if (!freed) {
    return busy(absl::StrCat("waited ", wait.count(), " ms."));
  }
  held_ = true;
  return Lease(this);
}

}  // namespace analytics::api
