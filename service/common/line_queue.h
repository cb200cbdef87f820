// A bounded hand-over of order lines from a stream's reader to its writer.
//
// IngestTransactions writes lines into the store's transaction while the
// client is still sending them: the gRPC thread converts each message into a
// batch and pushes it here, and the writer thread's OrderStore::Upsert pulls
// lines out as a LineSource. Receiving and writing then overlap (on two
// cores, the write's cost hides most of the transfer's) and no line is
// copied to disk and read back first.
//
// Memory stays bounded without blocking the pusher (a gRPC callback thread
// must not block): Push says when the queue is full, the pusher stops asking
// for messages, and `on_space` tells it, from the writer's thread, when to
// go on. Close ends the stream with a status: OK commits, anything else makes
// the writer's Upsert roll back and return that status. Abandon is the
// writer's side of an early end (its write failed): later pushes are dropped
// and report full, so the reader stops.
//
// Batches are recycled: the consumer swaps each line out (Next leaves the
// caller's previous line in the batch's slot) and returns the spent batch,
// which the producer takes back with TakeSpare and overwrites in place. The
// lines' strings keep their capacity all the way round, so a stream of
// millions of lines costs no malloc or free per field once it runs.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "common/order_line.h"

namespace analytics {

class LineQueue final : public LineSource {
 public:
  // Push reports full once `capacity_lines` or more lines wait.
  LineQueue(std::size_t capacity_lines, std::function<void()> on_space)
      : capacity_lines_(capacity_lines), on_space_(std::move(on_space)) {}

  // Producer side. False when the queue is full (or abandoned): push no
  // more until on_space runs. An empty batch is ignored.
  bool Push(std::vector<OrderLine> batch);
  // A spent batch to fill in place (its lines' strings keep their
  // capacity), or an empty vector when none is spare.
  std::vector<OrderLine> TakeSpare();
  // Ends the stream; the first call wins.
  void Close(absl::Status status);

  // Consumer side: blocks until a line, the end or Close.
  bool Next(OrderLine& line) override;
  absl::Status status() const override;
  // The consumer gives up: pending and later batches are dropped.
  void Abandon();

 private:
  static constexpr std::size_t kMaxSpares = 4;
  const std::size_t capacity_lines_;
  const std::function<void()> on_space_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<OrderLine>> batches_;  // guarded by mutex_
  std::vector<std::vector<OrderLine>> spares_;  // guarded by mutex_
  std::size_t queued_lines_ = 0;                // guarded by mutex_
  bool paused_ = false;                         // a Push said full and on_space has not run yet
  bool closed_ = false;                         // guarded by mutex_
  bool abandoned_ = false;                      // guarded by mutex_
  absl::Status status_;                         // guarded by mutex_; the Close status

  // The consumer's current batch; only its thread touches these.
  std::vector<OrderLine> current_;
  std::size_t next_ = 0;
};

}  // namespace analytics
