#include "common/line_queue.h"

#include <utility>

namespace analytics {

bool LineQueue::Push(std::vector<LineBatch>& batches) {
  std::unique_lock lock(mutex_);
  if (abandoned_ || closed_) {
    paused_ = true;  // never resumed: the reader stops
    batches.clear();
    return false;
  }
  for (LineBatch& batch : batches) {
    if (batch.empty()) continue;
    queued_lines_ += batch.line_count();
    batches_.push_back(std::move(batch));
  }
  batches.clear();
  changed_.notify_one();
  if (queued_lines_ < capacity_lines_) return true;
  paused_ = true;
  return false;
}

LineBatch LineQueue::TakeSpare() {
  std::lock_guard lock(mutex_);
  if (spares_.empty()) return {};
  LineBatch spare = std::move(spares_.back());
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

bool LineQueue::TakeNext(LineBatch& into) {
  bool resume = false;
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !batches_.empty() || closed_ || abandoned_; });
    // A failed stream ends at once: what is queued will not be written.
    if (abandoned_ || batches_.empty() || (closed_ && !status_.ok())) return false;
    into.Swap(batches_.front());
    LineBatch spent = std::move(batches_.front());
    batches_.pop_front();
    queued_lines_ -= into.line_count();
    spent.Clear();
    if (spares_.size() < kMaxSpares) spares_.push_back(std::move(spent));
    if (paused_ && queued_lines_ < capacity_lines_ && !closed_) {
      paused_ = false;
      resume = true;
    }
  }
  // Outside the lock: the callback asks gRPC for the next message, which
  // may call Push on another thread at once.
  if (resume) on_space_();
  return true;
}

bool LineQueue::NextBatch(LineBatch& batch) { return TakeNext(batch); }

bool LineQueue::Next(OrderLine& line) {
  while (!reader_.Next(line)) {
    if (!TakeNext(current_)) return false;
    reader_ = LineBatchReader(current_.bytes());
  }
  return true;
}

absl::Status LineQueue::status() const {
  std::lock_guard lock(mutex_);
  if (abandoned_) return absl::CancelledError("the write was abandoned");
  return status_;
}

}  // namespace analytics
