// The IngestTransactions stream: batches of structured order lines.
//
// Each message's lines are read straight from its wire bytes
// (ingest_decoder.h) and validated as they arrive; invalid ones are counted
// and the first are reported with their field and reason. Valid ones are
// encoded into LineBatches (common/line_batch.h) and go straight into the
// store's write: a writer thread runs one
// OrderStore::Upsert for the whole stream, fed through a bounded LineQueue,
// so SQLite writes the first lines while the client still sends the rest.
// When the client closes the stream the transaction commits; a cancelled or
// broken stream rolls it back and writes nothing. A message over the
// per-message line limit, or one that is not a readable
// IngestTransactionsRequest, fails the whole stream with INVALID_ARGUMENT
// (the method is registered raw: raw_message.h says why).
//
// Threads: gRPC's callback threads run OnReadDone (conversion, validation,
// Push); the writer thread waits for the write gate, runs the Upsert and is
// the only one that calls Finish. While the queue is full the reactor stops asking for messages and
// the writer resumes it (StartRead may be called from any thread).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "api/rpc_observer.h"
#include "api/write_gate.h"
#include "common/line_key.h"
#include "common/line_queue.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "store/order_store.h"

namespace analytics::api {

namespace v1 = ::customer_analytics::v1;

class IngestReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  // `response`: where the serialized IngestTransactionsResponse goes.
  IngestReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* response, OrderStore& store,
                RpcObserver& observer, int max_lines_per_message, WriteGate* gate = nullptr);

  void OnReadDone(bool ok) override;
  void OnDone() override;

 private:
  // Reads and validates request_ into batches_; an error ends the stream.
  absl::Status TakeMessage();
  // The writer thread: the whole write, then Finish.
  void Write();
  void Complete(const absl::Status& status);

  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_;
  OrderStore& store_;
  RpcObserver& observer_;
  const int max_lines_per_message_;
  // The one-writer gate (null: none), waited for by the writer thread and
  // held until the write is over (Complete).
  WriteGate* const gate_;
  WriteGate::Lease lease_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  // Up to ~4 MB of lines wait; a full queue pauses the reads.
  static constexpr std::size_t kQueuedLines = 16'384;
  LineQueue queue_{kQueuedLines, [this] { StartRead(&request_); }};

  // Touched by OnReadDone only (reads are never concurrent with each other).
  grpc::ByteBuffer request_;
  std::vector<grpc::Slice> slices_;
  std::string joined_;  // a message that arrived in several slices, joined
  std::vector<LineBatch> batches_;
  std::string key_;  // a line's default key
  LineKeyAssigner keys_;
  std::int64_t line_number_ = 0;
  std::int64_t message_number_ = 0;

  // Written by OnReadDone, read by the writer once the queue is closed.
  std::mutex tally_mutex_;
  std::int64_t accepted_ = 0;
  std::int64_t rejected_ = 0;
  std::vector<v1::RejectedLine> rejected_lines_;

  std::thread writer_;
};

}  // namespace analytics::api
