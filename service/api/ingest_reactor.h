// The IngestTransactions stream: batches of structured order lines.
//
// Each message's lines are read straight from its wire bytes
// (ingest_decoder.h) and validated as they arrive; invalid ones are counted
// and the first are reported with their field and reason. Valid ones are
// encoded into LineBatches (common/line_batch.h) and go straight into the
// store's write: a writer thread runs one Store::Upsert for the whole
// stream, fed through a bounded LineQueue, so SQLite writes the first lines
// while the client still sends the rest. The transaction commits only by
// write_stream.h's rule (a message marked last, then a clean end); any other
// end rolls it back and writes nothing. A message over the per-message line
// limit, or one that is not a readable IngestTransactionsRequest, fails the
// whole stream with INVALID_ARGUMENT (the method is registered raw:
// raw_message.h says why). The first message's `source` namespaces every
// line_id of the stream ("<source>:<line_id>", common/line_key.h).
//
// Threads: gRPC's callback threads run the hooks (conversion, validation,
// Push); the writer thread waits for the write gate, runs the Upsert and is
// the only one that calls Complete. While the queue is full the stream stops
// asking for messages and the writer resumes it.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "api/write_stream.h"
#include "common/line_key.h"
#include "common/line_queue.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "store/store.h"

namespace analytics::api {

namespace v1 = ::customer_analytics::v1;

class IngestReactor final : public WriteStreamReactor {
 public:
  // `response`: where the serialized IngestTransactionsResponse goes.
  IngestReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* response, Store& store,
                RpcObserver& observer, int max_lines_per_message,
                const WriteStreamOptions& options = {}, WriteGate* gate = nullptr,
                IdleWatchdog* watchdog = nullptr);

 private:
  // Reads and validates a message into batches_.
  absl::Status TakeMessage(std::string_view bytes, bool& last) override;
  bool Forward() override { return queue_.Push(batches_); }
  void OnEnd() override { queue_.Close(absl::OkStatus()); }
  void OnFail(const absl::Status& status) override { queue_.Close(status); }
  // The writer thread: the whole write, then Complete.
  void Write(WriteGate* gate);

  Store& store_;
  const int max_lines_per_message_;

  // Up to ~4 MB of lines wait; a full queue pauses the reads.
  static constexpr std::size_t kQueuedLines = 16'384;
  LineQueue queue_{kQueuedLines, [this] { ReadNext(); }};

  // Touched by the hooks only (they never overlap).
  std::vector<LineBatch> batches_;
  std::string key_;  // a line's default key
  LineKeyAssigner keys_;
  std::int64_t line_number_ = 0;
  // The stream's key namespace, from its first message (common/line_key.h),
  // and a line's key in it.
  std::string source_;
  std::string sourced_key_;

  // Written by TakeMessage, read by the writer once the queue is closed.
  std::mutex tally_mutex_;
  std::int64_t accepted_ = 0;
  std::int64_t rejected_ = 0;
  std::vector<v1::RejectedLine> rejected_lines_;
};

}  // namespace analytics::api
