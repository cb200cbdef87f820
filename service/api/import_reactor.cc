#include "api/import_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "api/call_guard.h"
#include "api/write_counts.h"
#include "common/line_key.h"

namespace analytics::api {
namespace {

absl::StatusOr<CsvImportOptions> OptionsFromProto(const v1::ImportCsvOptions& proto) {
  CsvImportOptions options;
  switch (proto.date_order()) {
    case v1::DATE_ORDER_UNSPECIFIED:
      options.date_order = DateOrder::kAuto;
      break;
    case v1::DATE_ORDER_DMY:
      options.date_order = DateOrder::kDmy;
      break;
    case v1::DATE_ORDER_MDY:
      options.date_order = DateOrder::kMdy;
      break;
    case v1::DATE_ORDER_YMD:
      options.date_order = DateOrder::kYmd;
      break;
    default:
      return absl::InvalidArgumentError("options.date_order: unknown value");
  }
  switch (proto.encoding()) {
    case v1::ENCODING_UNSPECIFIED:
      options.encoding = TextEncoding::kAuto;
      break;
    case v1::ENCODING_UTF8:
      options.encoding = TextEncoding::kUtf8;
      break;
    case v1::ENCODING_LATIN1:
      options.encoding = TextEncoding::kLatin1;
      break;
    case v1::ENCODING_WINDOWS_1252:
      options.encoding = TextEncoding::kWindows1252;
      break;
    case v1::ENCODING_MAC_ROMAN:
      options.encoding = TextEncoding::kMacRoman;
      break;
    default:
      return absl::InvalidArgumentError("options.encoding: unknown value");
  }
  options.skip_invalid = proto.skip_invalid();
  if (absl::Status s = CheckSource(proto.source()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("options.source: ", s.message()));
  }
  options.source = proto.source();
  return options;
}

v1::DateOrder DateOrderToProto(DateOrder order) {
  switch (order) {
    case DateOrder::kDmy:
      return v1::DATE_ORDER_DMY;
    case DateOrder::kMdy:
      return v1::DATE_ORDER_MDY;
    case DateOrder::kYmd:
      return v1::DATE_ORDER_YMD;
    case DateOrder::kAuto:
      break;
  }
  return v1::DATE_ORDER_UNSPECIFIED;
}

v1::Encoding EncodingToProto(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::kUtf8:
      return v1::ENCODING_UTF8;
    case TextEncoding::kLatin1:
      return v1::ENCODING_LATIN1;
    case TextEncoding::kWindows1252:
      return v1::ENCODING_WINDOWS_1252;
    case TextEncoding::kMacRoman:
      return v1::ENCODING_MAC_ROMAN;
    case TextEncoding::kAuto:
      break;
  }
  return v1::ENCODING_UNSPECIFIED;
}

}  // namespace

ImportReactor::ImportReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* response,
                             OrderStore& store, RpcObserver& observer,
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
    SetSummary(*summary);
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
  SetSummary(*summary);
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
    absl::StatusOr<CsvImportOptions> options = OptionsFromProto(request_.options());
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

void ImportReactor::SetSummary(const CsvImportSummary& summary) {
  response_.set_lines_read(summary.lines_read);
  response_.set_accepted(summary.accepted);
  response_.set_rejected(summary.rejected);
  for (const RejectedLine& line : summary.rejected_lines) {
    v1::RejectedLine& out = *response_.add_rejected_lines();
    out.set_line_number(line.line_number);
    out.set_field(line.field);
    out.set_reason(line.reason);
  }
  for (const std::string& column : summary.unknown_columns) response_.add_unknown_columns(column);
  response_.set_encoding(EncodingToProto(summary.encoding));
  response_.set_date_order(DateOrderToProto(summary.date_order));
}

absl::Status ImportReactor::FinishImport() {
  if (import_ == nullptr) import_ = std::make_unique<CsvImport>(CsvImportOptions{});
  absl::StatusOr<CsvImportSummary> summary = import_->Finish();
  if (!summary.ok()) return summary.status();
  SetSummary(*summary);

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
