#include "api/import_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "api/call_guard.h"
#include "api/convert.h"
#include "api/write_counts.h"
#include "common/line_key.h"

namespace analytics::api {
ImportReactor::ImportReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* response,
                             Store& store, RpcObserver& observer,
                             const WriteStreamOptions& options, WriteGate* gate,
                             IdleWatchdog* watchdog)
    : WriteStreamReactor(context, response, observer, "ImportCsv", options, watchdog),
      store_(store) {
  if (gate == nullptr) {
    ReadNext();
    return;
  }
  const absl::Status started = StartThread([this, gate] {
    if (absl::Status held = HoldGate(gate); !held.ok()) {
      Complete(held);
      return;
    }
    ReadNext();
  });
  if (!started.ok()) Complete(started);
}

bool ImportReactor::Forward() {
  if (queue_ == nullptr) return true;
  import_->TakeLines(batches_);
  return queue_->Push(batches_);
}

void ImportReactor::OnFail(const absl::Status& status) {
  if (queue_ != nullptr) {
    queue_->Close(status);  // the writer thread ends the call
  } else {
    Complete(status);
  }
}

void ImportReactor::OnEnd() {
  if (queue_ == nullptr) {
    Complete(FinishImport(), &response_);
    return;
  }
  // Streaming: the writer thread ends the call; every outcome goes through
  // the queue.
  absl::StatusOr<CsvImportSummary> summary = import_->Finish();
  if (!summary.ok()) {
    queue_->Close(summary.status());
    return;
  }
  Forward();
  const bool commit = summary->rejected == 0 || skip_invalid_;
  {
    std::lock_guard lock(summary_mutex_);
    summary_ = *std::move(summary);
    commit_ = commit;
  }
  // All-or-nothing: a rejected line rolls the whole write back.
  queue_->Close(commit ? absl::OkStatus()
                       : absl::AbortedError("some lines were rejected; nothing was written"));
}

void ImportReactor::WriteStreamed() {
  CallAwareSource guarded(*queue_, context());
  absl::StatusOr<WriteResult> written = store_.Upsert(guarded);
  if (!written.ok()) queue_->Abandon();  // the reader stops
  std::optional<CsvImportSummary> summary;
  bool commit = false;
  {
    std::lock_guard lock(summary_mutex_);
    summary = summary_;
    commit = commit_;
  }
  if (summary && !commit) {
    // Rolled back on purpose: the reply says what to fix.
    ImportSummaryToProto(*summary, response_);
    observer().OnLinesWritten(0, summary->rejected);
    Complete(absl::OkStatus(), &response_);
    return;
  }
  if (!written.ok()) {
    Complete(written.status());
    return;
  }
  if (!summary) {  // committed without Finish: cannot happen
    Complete(absl::InternalError("the import ended without a summary"));
    return;
  }
  ImportSummaryToProto(*summary, response_);
  SetWriteCounts(*written, response_);
  response_.set_committed(true);
  observer().OnLinesWritten(summary->accepted, summary->rejected);
  Complete(absl::OkStatus(), &response_);
}

absl::Status ImportReactor::TakeMessage(std::string_view bytes, bool& last) {
  if (!request_.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("message ", message_number(),
                     " of the stream is not a valid ImportCsvRequest (malformed bytes); nothing "
                     "was written"));
  }
  if (request_.has_options()) {
    if (!first_message_) {
      return absl::InvalidArgumentError("options: allowed only in the first message");
    }
    absl::StatusOr<CsvImportOptions> options = ImportOptionsFromProto(request_.options());
    if (!options.ok()) return options.status();
    dry_run_ = request_.options().dry_run();
    skip_invalid_ = options->skip_invalid;
    // Lines whose final form is known at once (encoding and date order
    // given) are written while the file arrives; a dry run writes nothing.
    options->stream_lines = !dry_run_;
    import_ = std::make_unique<CsvImport>(*options);
    if (import_->streaming()) {
      queue_ = std::make_unique<LineQueue>(kQueuedLines, [this] { ReadNext(); });
      if (absl::Status started = StartThread([this] { WriteStreamed(); }); !started.ok()) {
        queue_.reset();
        return started;
      }
    }
  }
  first_message_ = false;
  last = request_.last();
  if (import_ == nullptr) import_ = std::make_unique<CsvImport>(CsvImportOptions{});
  if (request_.has_chunk()) return import_->Feed(request_.chunk());
  return absl::OkStatus();
}

absl::Status ImportReactor::FinishImport() {
  if (import_ == nullptr) import_ = std::make_unique<CsvImport>(CsvImportOptions{});
  absl::StatusOr<CsvImportSummary> summary = import_->Finish();
  if (!summary.ok()) return summary.status();
  ImportSummaryToProto(*summary, response_);

  std::unique_ptr<LineSource> lines = import_->AcceptedLines();
  if (dry_run_) {
    absl::StatusOr<WriteResult> classified = store_.Classify(*lines);
    if (!classified.ok()) return classified.status();
    SetWriteCounts(*classified, response_);
    return absl::OkStatus();
  }
  if (summary->rejected > 0 && !skip_invalid_) {
    observer().OnLinesWritten(0, summary->rejected);
    return absl::OkStatus();  // all-or-nothing: the reply says what to fix
  }
  CallAwareSource guarded(*lines, context());
  absl::StatusOr<WriteResult> written = store_.Upsert(guarded);
  if (!written.ok()) return written.status();
  SetWriteCounts(*written, response_);
  response_.set_committed(true);
  observer().OnLinesWritten(summary->accepted, summary->rejected);
  return absl::OkStatus();
}

}  // namespace analytics::api
