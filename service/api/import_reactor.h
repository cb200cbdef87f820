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
// the import's spool until the end decides their form, and are written then.
// Structural problems (missing required columns, undecidable date order,
// broken quoting) fail the call with INVALID_ARGUMENT. A stream that does not
// end cleanly after a message marked last (write_stream.h) writes nothing.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "api/write_stream.h"
#include "common/line_queue.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "import/csv_import.h"
#include "store/store.h"

namespace analytics::api {

namespace v1 = ::customer_analytics::v1;

// Registered raw (raw_message.h): a message that is not a readable
// ImportCsvRequest fails the call with INVALID_ARGUMENT, nothing written.
// The import commits only by write_stream.h's rule.
class ImportReactor final : public WriteStreamReactor {
 public:
  // With a `gate`, a thread of the stream's waits for it before the first
  // read (a gRPC callback thread must not block in that wait, see
  // IngestReactor) and the lease is held until the import is over.
  // `response`: where the serialized ImportCsvResponse goes.
  ImportReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* response, Store& store,
                RpcObserver& observer, const WriteStreamOptions& options = {},
                WriteGate* gate = nullptr, IdleWatchdog* watchdog = nullptr);

 private:
  // Parses a message into request_, then acts on it.
  absl::Status TakeMessage(std::string_view bytes, bool& last) override;
  // Streaming: queues the lines accepted so far; false when the queue is full.
  bool Forward() override;
  void OnEnd() override;
  void OnFail(const absl::Status& status) override;
  absl::Status FinishImport();
  void WriteStreamed();

  v1::ImportCsvResponse response_;
  Store& store_;

  v1::ImportCsvRequest request_;
  bool first_message_ = true;
  bool dry_run_ = false;
  bool skip_invalid_ = false;
  std::unique_ptr<CsvImport> import_;

  // Streaming only (see above): set by the first message, before the
  // writer thread starts. Up to 16,384 lines (~3 MB) wait.
  static constexpr std::size_t kQueuedLines = 16'384;
  std::unique_ptr<LineQueue> queue_;
  std::vector<LineBatch> batches_;
  // Set by OnEnd, before it closes the queue.
  std::mutex summary_mutex_;
  std::optional<CsvImportSummary> summary_;  // guarded by summary_mutex_
  bool commit_ = false;                      // guarded by summary_mutex_
};

}  // namespace analytics::api
