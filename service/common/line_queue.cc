#include "common/line_queue.h"

#include <utility>

namespace analytics {

bool LineQueue::Push(std::vector<OrderLine> batch) {
  std::unique_lock lock(mutex_);
  if (abandoned_ || closed_) {
    paused_ = true;  // never resumed: the reader stops
    return false;
  }
  if (!batch.empty()) {
    queued_lines_ += batch.size();
    batches_.push_back(std::move(batch));
    changed_.notify_one();
  }
  if (queued_lines_ < capacity_lines_) return true;
  paused_ = true;
  return false;
}

void LineQueue::Close(absl::Status status) {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  closed_ = true;
  status_ = std::move(status);
  changed_.notify_all();
}

void LineQueue::Abandon() {
  std::lock_guard lock(mutex_);
  abandoned_ = true;
  batches_.clear();
  queued_lines_ = 0;
}

bool LineQueue::Next(OrderLine& line) {
  if (next_ == current_.size()) {
    bool resume = false;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !batches_.empty() || closed_ || abandoned_; });
      // A failed stream ends at once: what is queued will not be written.
      if (abandoned_ || batches_.empty() || (closed_ && !status_.ok())) return false;
      current_ = std::move(batches_.front());
      batches_.pop_front();
      queued_lines_ -= current_.size();
      next_ = 0;
      if (paused_ && queued_lines_ < capacity_lines_ && !closed_) {
        paused_ = false;
        resume = true;
      }
    }
    // Outside the lock: the callback asks gRPC for the next message, which
    // may call Push on another thread at once.
    if (resume) on_space_();
  }
  line = std::move(current_[next_++]);
  return true;
}

absl::Status LineQueue::status() const {
  std::lock_guard lock(mutex_);
  if (abandoned_) return absl::CancelledError("the write was abandoned");
  return status_;
}

}  // namespace analytics
