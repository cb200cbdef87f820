// The ImportCsv stream: a CSV file's raw bytes, in chunks of any size.
//
// The first message may carry the options; every chunk is parsed as it
// arrives (import/csv_import.h), so memory stays bounded whatever the file's
// size. At the end of the stream the reply reports what was read, and the
// accepted lines are upserted in one transaction — unless it is a dry run, or
// a line was rejected and skip_invalid is off (all-or-nothing: committed =
// false, nothing written).
//
// When the options give the encoding and the date order, each accepted line
// is final as soon as it is read: the lines then stream into the store's
// transaction while the file still arrives (a writer thread, fed through a
// LineQueue, as IngestTransactions does), and the transaction commits or
// rolls back at the end by the same rule. Otherwise (kAuto) the lines wait in
// the import's spool until the end decides their form, and are written then. Structural problems
// (missing required columns, undecidable date order, broken quoting) fail the call with
// INVALID_ARGUMENT. A cancelled or broken stream writes nothing.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "api/rpc_observer.h"
#include "api/write_gate.h"
#include "common/line_queue.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "import/csv_import.h"
#include "store/order_store.h"

namespace analytics::api {

namespace v1 = ::customer_analytics::v1;

// Registered raw (raw_message.h): a message that is not a readable
// ImportCsvRequest fails the call with INVALID_ARGUMENT, nothing written.
class ImportReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  // With a `gate`, a thread of the reactor's waits for it before the first
  // read (a gRPC callback thread must not block in that wait, see
  // IngestReactor) and the lease is held until the import is over.
  // `response`: where the serialized ImportCsvResponse goes.
  ImportReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* response, OrderStore& store,
                RpcObserver& observer, WriteGate* gate = nullptr);

  void OnReadDone(bool ok) override;
  void OnDone() override;

 private:
  // Parses raw_request_ into request_, then acts on it.
  absl::Status TakeMessage();
  absl::Status FinishImport();
  void SetSummary(const CsvImportSummary& summary);
  // Streaming (queue_ set): reads feed the queue, the writer ends the call.
  void OnStreamedRead(bool ok);
  // Queues the lines accepted so far; false when the queue is full.
  bool PushLines();
  void WriteStreamed();
  void Complete(const absl::Status& status);

  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_bytes_;
  v1::ImportCsvResponse response_message_;
  v1::ImportCsvResponse* const response_ = &response_message_;
  OrderStore& store_;
  RpcObserver& observer_;
  // The one-writer gate: waited for by gate_waiter_, held until Complete.
  WriteGate::Lease lease_;
  std::thread gate_waiter_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  grpc::ByteBuffer raw_request_;
  std::vector<grpc::Slice> slices_;
  std::string joined_;
  std::int64_t message_number_ = 0;
  v1::ImportCsvRequest request_;
  bool first_message_ = true;
  bool dry_run_ = false;
  bool skip_invalid_ = false;
  std::unique_ptr<CsvImport> import_;

  // Streaming only (see above). Up to 16,384 lines (~3 MB) wait.
  static constexpr std::size_t kQueuedLines = 16'384;
  std::unique_ptr<LineQueue> queue_;
  std::vector<LineBatch> batches_;
  std::thread writer_;
  // Set by the reader at the end of the stream, before it closes the queue.
  std::mutex summary_mutex_;
  std::optional<CsvImportSummary> summary_;  // guarded by summary_mutex_
  bool commit_ = false;                      // guarded by summary_mutex_
};

}  // namespace analytics::api
