#include "api/ingest_reactor.h"

#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/call_guard.h"
#include "api/convert.h"
#include "api/ingest_decoder.h"
#include "api/raw_message.h"
#include "api/status.h"
#include "common/rejected_line.h"

namespace analytics::api {

IngestReactor::IngestReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* response,
                             OrderStore& store, RpcObserver& observer, int max_lines_per_message,
                             WriteGate* gate)
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
  if (absl::Status taken = TakeMessage(); !taken.ok()) {
    queue_.Close(taken);
    return;
  }
  // Full: the writer calls StartRead once it has taken some.
  if (queue_.Push(batches_)) StartRead(&request_);
}

absl::Status IngestReactor::TakeMessage() {
  ++message_number_;
  bool readable = false;
  const std::string_view bytes = ContiguousBytes(request_, slices_, joined_, readable);
  if (!readable) return absl::InternalError("cannot read a received message; nothing was written");
  IngestMessageReader reader(bytes);
  // Filled in place: a recycled batch keeps its buffer's capacity.
  LineBatch batch = queue_.TakeSpare();
  WireLine wire;
  OrderLineView line;
  int in_message = 0;
  std::lock_guard lock(tally_mutex_);
  while (reader.Next(wire)) {
    if (++in_message > max_lines_per_message_) {
      return absl::InvalidArgumentError(
          absl::StrCat("lines: at most ", max_lines_per_message_,
                       " lines per message; nothing from this stream was written"));
    }
    ++line_number_;
    if (std::optional<LineError> error = LineFromWire(wire, keys_, key_, line)) {
      ++rejected_;
      if (rejected_lines_.size() < kMaxReportedRejections) {
        v1::RejectedLine& rejected = rejected_lines_.emplace_back();
        rejected.set_line_number(line_number_);
        rejected.set_field(error->field);
        rejected.set_reason(error->reason);
      }
      continue;
    }
    batch.Add(line);
    ++accepted_;
    if (batch.line_count() == kLinesPerBatch) {
      batches_.push_back(std::move(batch));
      batch = queue_.TakeSpare();
    }
  }
  if (!reader.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("message ", message_number_,
                     " of the stream is not a valid IngestTransactionsRequest (malformed "
                     "bytes); nothing from this stream was written"));
  }
  if (!batch.empty()) batches_.push_back(std::move(batch));
  return absl::OkStatus();
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
  v1::IngestTransactionsResponse response;
  {
    // The queue was closed after the last TakeMessage: the tally is final.
    std::lock_guard lock(tally_mutex_);
    response.set_accepted(accepted_);
    response.set_rejected(rejected_);
    for (v1::RejectedLine& rejected : rejected_lines_) {
      *response.add_rejected_lines() = std::move(rejected);
    }
  }
  response.set_inserted(written->inserted);
  response.set_updated(written->updated);
  observer_.OnLinesWritten(response.accepted(), response.rejected());
  SetResponse(response, *response_);
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
