#include "api/ingest_reactor.h"

#include "absl/strings/str_cat.h"
#include "api/call_guard.h"
#include "api/convert.h"
#include "api/status.h"
#include "common/rejected_line.h"

namespace analytics::api {

IngestReactor::IngestReactor(grpc::CallbackServerContext* context,
                             v1::IngestTransactionsResponse* response, OrderStore& store,
                             RpcObserver& observer, int max_lines_per_message,
                             WriteGate::Lease lease)
    : context_(context),
      response_(response),
      store_(store),
      observer_(observer),
      max_lines_per_message_(max_lines_per_message),
      lease_(std::move(lease)) {
  observer_.OnStart("IngestTransactions");
  absl::StatusOr<LineSpool> spool = LineSpool::Create();
  if (!spool.ok()) {
    Complete(spool.status());
    return;
  }
  spool_.emplace(std::move(*spool));
  StartRead(&request_);
}

void IngestReactor::OnReadDone(bool ok) {
  if (!ok) {
    // End of stream: a half-close commits, anything else writes nothing.
    Complete(context_->IsCancelled()
                 ? absl::CancelledError("the client cancelled; nothing was written")
                 : Commit());
    return;
  }
  if (absl::Status status = TakeBatch(); !status.ok()) {
    Complete(status);
    return;
  }
  StartRead(&request_);
}

absl::Status IngestReactor::TakeBatch() {
  if (request_.lines_size() > max_lines_per_message_) {
    return absl::InvalidArgumentError(
        absl::StrCat("lines: at most ", max_lines_per_message_,
                     " lines per message; nothing from this stream was written"));
  }
  OrderLine line;
  for (const v1::OrderLine& proto : request_.lines()) {
    ++line_number_;
    if (std::optional<LineError> error = OrderLineFromProto(proto, keys_, line)) {
      response_->set_rejected(response_->rejected() + 1);
      if (response_->rejected_lines_size() < static_cast<int>(kMaxReportedRejections)) {
        v1::RejectedLine& rejected = *response_->add_rejected_lines();
        rejected.set_line_number(line_number_);
        rejected.set_field(error->field);
        rejected.set_reason(error->reason);
      }
      continue;
    }
    if (absl::Status status = spool_->Append(line); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status IngestReactor::Commit() {
  std::unique_ptr<LineSource> lines = spool_->Replay();
  CallAwareSource guarded(*lines, *context_);
  absl::StatusOr<WriteResult> written = store_.Upsert(guarded);
  if (!written.ok()) return written.status();
  response_->set_accepted(spool_->size());
  response_->set_inserted(written->inserted);
  response_->set_updated(written->updated);
  observer_.OnLinesWritten(response_->accepted(), response_->rejected());
  return absl::OkStatus();
}

void IngestReactor::Complete(const absl::Status& status) {
  grpc::Status grpc_status = ToGrpcStatus(status, "IngestTransactions");
  observer_.OnFinish({.method = "IngestTransactions",
                      .peer = context_->peer(),
                      .code = grpc_status.error_code(),
                      .message = grpc_status.error_message(),
                      .elapsed = std::chrono::steady_clock::now() - started_});
  Finish(grpc_status);
}

}  // namespace analytics::api
