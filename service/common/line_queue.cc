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

std::vector<OrderLine> LineQueue::TakeSpare() {
  std::lock_guard lock(mutex_);
  if (spares_.empty()) return {};
  std::vector<OrderLine> spare = std::move(spares_.back());
  spares_.pop_back();
  return spare;
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
      // The spent batch goes back to the producer (a few are enough: the
      // producer takes one per message).
      if (!current_.empty() && spares_.size() < kMaxSpares) spares_.push_back(std::move(current_));
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
  // A swap, not a move: the slot keeps the caller's previous strings (and
  // their capacity) for the producer to fill again.
  SwapLines(line, current_[next_++]);
  return true;
}

absl::Status LineQueue::status() const {
  std::lock_guard lock(mutex_);
  if (abandoned_) return absl::CancelledError("the write was abandoned");
  return status_;
}

}  // namespace analytics
