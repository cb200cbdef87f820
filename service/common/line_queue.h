// A bounded hand-over of order lines from a stream's reader to its writer.
//
// IngestTransactions writes lines into the store's transaction while the
// client is still sending them: the gRPC thread encodes each message's lines
// into LineBatches and pushes them here, and the writer thread's
// OrderStore::Upsert pulls them out as a LineSource (whole batches, or line
// by line). Receiving and writing then overlap (on two
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
// Batches are recycled: NextBatch swaps the queued batch with the caller's
// spent one, which the producer takes back with TakeSpare and refills. The
// buffers keep their capacity all the way round, so a stream of millions of
// lines costs no malloc or free once it runs.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "common/line_batch.h"
#include "common/order_line.h"

namespace analytics {

class LineQueue final : public LineSource {
 public:
  // Push reports full once `capacity_lines` or more lines wait.
  LineQueue(std::size_t capacity_lines, std::function<void()> on_space)
      : capacity_lines_(capacity_lines), on_space_(std::move(on_space)) {}

  // Producer side. Queues the batches (moved out; empty ones are dropped).
  // False when the queue is full (or abandoned): push no more until
  // on_space runs.
  bool Push(std::vector<LineBatch>& batches);
  // An empty batch to fill: a spent one (its buffer keeps its capacity) when
  // there is one.
  LineBatch TakeSpare();
  // Ends the stream; the first call wins.
  void Close(absl::Status status);

  // Consumer side: block until a line (a batch), the end or Close.
  bool Next(OrderLine& line) override;
  bool NextBatch(LineBatch& batch) override;
  absl::Status status() const override;
  // The consumer gives up: pending and later batches are dropped.
  void Abandon();

 private:
  // Waits for the next batch and swaps it into `into`, whose old buffer
  // becomes a spare. False at the end (or when the stream failed).
  bool TakeNext(LineBatch& into);

  static constexpr std::size_t kMaxSpares = 32;
  const std::size_t capacity_lines_;
  const std::function<void()> on_space_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<LineBatch> batches_;  // guarded by mutex_
  std::vector<LineBatch> spares_;  // guarded by mutex_
  std::size_t queued_lines_ = 0;   // guarded by mutex_
  bool paused_ = false;            // a Push said full and on_space has not run yet
  bool closed_ = false;            // guarded by mutex_
  bool abandoned_ = false;         // guarded by mutex_
  absl::Status status_;            // guarded by mutex_; the Close status

  // Line by line: the consumer's current batch and where it is in it; only
  // its thread touches these.
  LineBatch current_;
  LineBatchReader reader_{std::string_view()};
};

}  // namespace analytics
