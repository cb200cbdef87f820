#include "api/ingest_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "api/call_guard.h"
#include "api/convert.h"
#include "api/ingest_decoder.h"
#include "api/write_counts.h"
#include "common/rejected_line.h"

namespace analytics::api {

IngestReactor::IngestReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* response,
                             Store& store, RpcObserver& observer, int max_lines_per_message,
                             const WriteStreamOptions& options, WriteGate* gate,
                             IdleWatchdog* watchdog)
    : WriteStreamReactor(context, response, observer, "IngestTransactions", options, watchdog),
      store_(store),
      max_lines_per_message_(max_lines_per_message) {
  // The read first: the writer may finish the call at once (the store
  // refused the transaction), and no read may start after Finish.
  ReadNext();
  if (absl::Status started = StartThread([this, gate] { Write(gate); }); !started.ok()) {
    queue_.Abandon();
    Complete(started);
  }
}

absl::Status IngestReactor::TakeMessage(std::string_view bytes, bool& last) {
  // Malformed bytes fail below, where the lines are read.
  std::string_view source;
  if (IngestMessageReader::FindSource(bytes, source)) {
    if (message_number() == 1) {
      if (absl::Status s = CheckSource(source); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("source: ", s.message(), "; nothing from this stream was written"));
      }
      source_ = source;
    } else if (!source.empty() && source != source_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "source: message ", message_number(), " names another source than the first message (",
          source_.empty() ? "none" : source_,
          "); set it in the first message; nothing from this stream was written"));
    }
  }
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
    constexpr std::size_t kLineIdText = v1::OrderLine::kLineIdFieldNumber - 1;
    if (!source_.empty() && !wire.texts[kLineIdText].empty()) {
      SourcedKey(source_, line.line_key, sourced_key_);
      line.line_key = sourced_key_;
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
        absl::StrCat("message ", message_number(),
                     " of the stream is not a valid IngestTransactionsRequest (malformed "
                     "bytes); nothing from this stream was written"));
  }
  if (!batch.empty()) batches_.push_back(std::move(batch));
  last = reader.last();
  return absl::OkStatus();
}

void IngestReactor::Write(WriteGate* gate) {
  // Meanwhile the reader fills the queue, then pauses.
  if (absl::Status held = HoldGate(gate); !held.ok()) {
    queue_.Abandon();
    Complete(held);
    return;
  }
  CallAwareSource guarded(queue_, context());
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
  SetWriteCounts(*written, response);
  observer().OnLinesWritten(response.accepted(), response.rejected());
  Complete(absl::OkStatus(), &response);
}

}  // namespace analytics::api
