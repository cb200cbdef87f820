#include "api/ingest_reactor.h"

#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/call_guard.h"
#include "api/convert.h"
#include "api/status.h"
#include "common/rejected_line.h"

namespace analytics::api {

IngestReactor::IngestReactor(grpc::CallbackServerContext* context,
                             v1::IngestTransactionsResponse* response, OrderStore& store,
                             RpcObserver& observer, int max_lines_per_message, WriteGate* gate)
    : context_(context),
      response_(response),
      store_(store),
      observer_(observer),
      max_lines_per_message_(max_lines_per_message),
      gate_(gate) {
  observer_.OnStart("IngestTransactions");
  // The read first: the writer may finish the call at once (the store
  // refused the transaction), and no read may start after Finish.
  StartRead(&request_);
  try {
    writer_ = std::thread([this] { Write(); });
  } catch (const std::system_error&) {
    queue_.Abandon();
    Complete(absl::ResourceExhaustedError("cannot start a writer thread; nothing was written"));
  }
}

void IngestReactor::OnDone() {
  // Its thread may have finished the call itself, so OnDone may run on it.
  JoinUnlessCurrent(writer_);
  delete this;
}

void IngestReactor::OnReadDone(bool ok) {
  if (!ok) {
    // End of stream: a half-close commits, anything else writes nothing.
    queue_.Close(context_->IsCancelled()
                     ? absl::CancelledError("the client cancelled; nothing was written")
                     : absl::OkStatus());
    return;
  }
  absl::StatusOr<std::vector<OrderLine>> batch = TakeBatch();
  if (!batch.ok()) {
    queue_.Close(batch.status());
    return;
  }
  // Full: the writer calls StartRead once it has taken some.
  if (queue_.Push(*std::move(batch))) StartRead(&request_);
}

absl::StatusOr<std::vector<OrderLine>> IngestReactor::TakeBatch() {
  if (request_.lines_size() > max_lines_per_message_) {
    return absl::InvalidArgumentError(
        absl::StrCat("lines: at most ", max_lines_per_message_,
                     " lines per message; nothing from this stream was written"));
  }
  // Filled in place: a recycled batch's strings keep their capacity, so
  // converting copies bytes without allocating.
  std::vector<OrderLine> batch = queue_.TakeSpare();
  std::size_t filled = 0;
  std::lock_guard lock(tally_mutex_);
  for (const v1::OrderLine& proto : request_.lines()) {
    ++line_number_;
    if (filled == batch.size()) batch.emplace_back();
    if (std::optional<LineError> error = OrderLineFromProto(proto, keys_, batch[filled])) {
      ++rejected_;
      if (rejected_lines_.size() < kMaxReportedRejections) {
        v1::RejectedLine& rejected = rejected_lines_.emplace_back();
        rejected.set_line_number(line_number_);
        rejected.set_field(error->field);
        rejected.set_reason(error->reason);
      }
      continue;
    }
    ++filled;
    ++accepted_;
  }
  batch.resize(filled);
  return batch;
}

void IngestReactor::Write() {
  if (gate_ != nullptr) {
    // Meanwhile the reader fills the queue, then pauses.
    absl::StatusOr<WriteGate::Lease> lease = gate_->Acquire(context_->deadline());
    if (!lease.ok()) {
      queue_.Abandon();
      Complete(lease.status());
      return;
    }
    lease_ = *std::move(lease);
  }
  CallAwareSource guarded(queue_, *context_);
  absl::StatusOr<WriteResult> written = store_.Upsert(guarded);
  if (!written.ok()) {
    queue_.Abandon();  // the reader stops; what it still converts is dropped
    Complete(written.status());
    return;
  }
  {
    // The queue was closed after the last TakeBatch: the tally is final.
    std::lock_guard lock(tally_mutex_);
    response_->set_accepted(accepted_);
    response_->set_rejected(rejected_);
    for (v1::RejectedLine& rejected : rejected_lines_) {
      *response_->add_rejected_lines() = std::move(rejected);
    }
  }
  response_->set_inserted(written->inserted);
  response_->set_updated(written->updated);
  observer_.OnLinesWritten(response_->accepted(), response_->rejected());
  Complete(absl::OkStatus());
}

void IngestReactor::Complete(const absl::Status& status) {
  // The store's part is over (committed or rolled back): the next writer
  // may start. Not left to OnDone: Finish from this thread schedules OnDone
  // on gRPC's callback executor, whose few threads may all be blocked in
  // other writers' WriteGate waits — for this lease.
  lease_ = WriteGate::Lease();
  grpc::Status grpc_status = ToGrpcStatus(status, "IngestTransactions");
  observer_.OnFinish({.method = "IngestTransactions",
                      .peer = context_->peer(),
                      .code = grpc_status.error_code(),
                      .message = grpc_status.error_message(),
                      .elapsed = std::chrono::steady_clock::now() - started_});
  Finish(grpc_status);
}

}  // namespace analytics::api
