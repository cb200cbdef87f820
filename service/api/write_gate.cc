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
  // All: a waiter woken here may find its call abandoned and leave; the
  // others must still see the gate free. There are at most max_waiters.
  freed_.notify_all();
}

int WriteGate::waiters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiters_;
}

void WriteGate::WakeWaiters() {
  { std::lock_guard<std::mutex> lock(mutex_); }  // a waiter between its check and its wait
  freed_.notify_all();
}

absl::StatusOr<WriteGate::Lease> WriteGate::Acquire(std::chrono::system_clock::time_point deadline,
                                                    const std::function<bool()>& abandoned) {
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
  // When the call's own deadline is what bounds the wait, running out of it
  // is DEADLINE_EXCEEDED, the answer the client's deadline produces anyway;
  // ABORTED ("retry later") is for the server's bound, which a retry can beat.
  const bool deadline_bounds = until_deadline < options_.max_wait;
  const auto out_of_time = [&](std::string_view detail) {
    return deadline_bounds
               ? absl::DeadlineExceededError(absl::StrCat(
                     "the deadline expired while the call waited for another write; ",
                     std::string(detail)))
               : busy(detail);
  };
  // A caller that cannot wait does not take a waiter's place.
  if (wait.count() <= 0) return out_of_time("the call cannot wait.");
  ++waiters_;
  bool gave_up = false;
  const bool freed = freed_.wait_for(lock, wait, [&] {
    gave_up = abandoned && abandoned();
    return !held_ || gave_up;
  });
  --waiters_;
  if (gave_up) {
    return absl::CancelledError("the call ended while it waited for the write gate");
  }
  if (!freed) {
    return out_of_time(absl::StrCat("waited ", wait.count(), " ms."));
  }
  held_ = true;
  return Lease(this);
}

}  // namespace analytics::api
