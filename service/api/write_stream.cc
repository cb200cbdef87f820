#include "api/write_stream.h"

#include <grpc/compression.h>

#include <algorithm>
#include <climits>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/call_guard.h"
#include "api/raw_message.h"
#include "api/status.h"

// gRPC core's record of the last received message's flags and of the call's
// incoming compression. Its C++ API exposes neither, but libgrpc exports both
// (src/core/lib/surface/call_test_only.h; C++ linkage, hence declared here
// as gRPC declares them). Only MessageCompressedWithoutEncoding uses them.
uint32_t grpc_call_test_only_get_message_flags(grpc_call* call);
grpc_compression_algorithm grpc_call_test_only_get_compression_algorithm(grpc_call* call);

namespace analytics::api {
namespace {

// The flag gRPC core sets on a received message whose frame said
// "compressed" (src/core/lib/transport/transport.h).
constexpr uint32_t kWriteInternalCompress = 0x80000000u;

// A frame marked compressed on a call without grpc-encoding: gRPC passes its
// bytes on as they are, so they would be read as an uncompressed message.
// Such a message is malformed (the gRPC spec: "compressed flag set but no
// encoding" is an error).
bool MessageCompressedWithoutEncoding(grpc::CallbackServerContext& context) {
  grpc_call* call = context.c_call();
  if (call == nullptr) return false;
  return (grpc_call_test_only_get_message_flags(call) & kWriteInternalCompress) != 0 &&
         grpc_call_test_only_get_compression_algorithm(call) == GRPC_COMPRESS_NONE;
}

}  // namespace

int GrpcReceiveLimit(std::size_t max_message_bytes) {
  const std::size_t headroom = std::max<std::size_t>(max_message_bytes / 16, 1024);
  return static_cast<int>(std::min<std::size_t>(max_message_bytes + headroom, INT_MAX));
}

WriteStreamReactor::WriteStreamReactor(grpc::CallbackServerContext* context,
                                       grpc::ByteBuffer* response, RpcObserver& observer,
                                       std::string_view method, const WriteStreamOptions& options,
                                       IdleWatchdog* watchdog)
    : context_(context),
      response_(response),
      observer_(observer),
      method_(method),
      peer_(CallPeer(*context)),
      options_(options),
      watchdog_(options.idle_timeout.count() > 0 ? watchdog : nullptr) {
  observer_.OnStart(method_);
  if (watchdog_ != nullptr) {
    idle_id_ = watchdog_->Add([this] {
      FailUnlessEnded(absl::DeadlineExceededError(
          absl::StrCat("the stream sent no message for ", options_.idle_timeout.count(),
                       " ms (the server's --stream-idle-timeout); nothing was written")));
    });
  }
}

WriteStreamReactor::~WriteStreamReactor() = default;

void WriteStreamReactor::OnDone() {
  Report();
  // OnDone may run on one of the stream's own threads (its last act was
  // Complete) or on the watchdog's: that one is detached, the others joined.
  if (watchdog_ != nullptr) watchdog_->Remove(idle_id_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(threads_mutex_);
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) JoinUnlessCurrent(thread);
  delete this;
}

void WriteStreamReactor::ReadNext() {
  if (watchdog_ != nullptr) {
    watchdog_->Arm(idle_id_, std::chrono::steady_clock::now() + options_.idle_timeout);
  }
  StartRead(&request_);
}

absl::Status WriteStreamReactor::StartThread(std::function<void()> body) {
  std::lock_guard lock(threads_mutex_);
  try {
    threads_.emplace_back(std::move(body));
  } catch (const std::system_error&) {
    return absl::ResourceExhaustedError(
        "cannot start a thread for the stream; nothing was written");
  }
  return absl::OkStatus();
}

absl::Status WriteStreamReactor::HoldGate(WriteGate* gate) {
  if (gate == nullptr) return absl::OkStatus();
  {
    std::lock_guard lock(complete_mutex_);
    waiting_gate_ = gate;
  }
  absl::StatusOr<WriteGate::Lease> lease =
      gate->Acquire(context_->deadline(), [this] { return abandoned_.load(); });
  std::lock_guard lock(complete_mutex_);
  waiting_gate_ = nullptr;
  // A wait the stream's failure cut short reports that failure, not the
  // cut: whoever completes the call with it must send the real reason.
  if (!lease.ok()) return failure_.ok() ? lease.status() : failure_;
  if (!completed_) lease_ = *std::move(lease);  // else released here, at once
  return absl::OkStatus();
}

void WriteStreamReactor::AbandonGateWait() {
  abandoned_.store(true);
  std::lock_guard lock(complete_mutex_);
  if (waiting_gate_ != nullptr) waiting_gate_->WakeWaiters();
}

void WriteStreamReactor::Fail(const absl::Status& status) {
  ended_ = true;
  {
    std::lock_guard lock(complete_mutex_);
    failure_ = status;
  }
  OnFail(status);
  AbandonGateWait();
}

absl::Status WriteStreamReactor::CheckReceived(std::size_t bytes) const {
  if (bytes > options_.max_message_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "message ", message_number_, " of the stream is ", bytes, " bytes, over the limit of ",
        options_.max_message_bytes, " (--max-receive-message-bytes); nothing was written"));
  }
  if (MessageCompressedWithoutEncoding(*context_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message ", message_number_,
        " of the stream is marked compressed but the call has no grpc-encoding; nothing was "
        "written"));
  }
  return absl::OkStatus();
}

void WriteStreamReactor::OnReadDone(bool ok) {
  if (watchdog_ != nullptr) watchdog_->Disarm(idle_id_);
  {
    std::lock_guard lock(stream_mutex_);
    if (ended_) return;  // failed while the read was pending (idle)
    if (!ok) {
      if (context_->IsCancelled()) {
        Fail(absl::CancelledError("the call was cancelled; nothing was written"));
      } else if (!last_seen_ && options_.require_last) {
        Fail(absl::InvalidArgumentError(
            "last: the stream ended without a message marked last (or its final message was "
            "cut off); nothing was written"));
      } else {
        ended_ = true;
        OnEnd();
      }
      return;
    }
    ++message_number_;
    absl::Status status;
    if (last_seen_) {
      status = absl::InvalidArgumentError(
          absl::StrCat("last: message ", message_number_,
                       " arrived after the one marked last; nothing was written"));
    } else {
      status = CheckReceived(request_.Length());
    }
    if (status.ok()) {
      // Its slice references end with this block: before Fail or Forward,
      // either of which can lead to the next read refilling request_ (and
      // freeing the message with our references the last): raw_message.h.
      const MessageBytes message(request_, joined_);
      if (!message.ok()) {
        status = absl::InternalError("cannot read a received message; nothing was written");
      } else if (status = CheckReceived(message.bytes().size()); status.ok()) {
        bool last = false;
        status = TakeMessage(message.bytes(), last);
        last_seen_ = last;
      }
    }
    // The message is taken (its hooks copy what they keep): its memory goes
    // back to gRPC now, not when the next message arrives. A stream paused
    // on a full queue or waiting for the write gate would otherwise pin a
    // message's worth of gRPC's memory quota, and enough of them push gRPC
    // into reclaiming by cancelling streams (RST_STREAM ENHANCE_YOUR_CALM,
    // RESOURCE_EXHAUSTED at the client). Freed through the buffer, which
    // gives gRPC the ExecCtx it needs (raw_message.h).
    request_.Clear();
    if (!status.ok()) {
      Fail(status);
      return;
    }
    if (!Forward()) return;  // the subclass resumes reading
  }
  ReadNext();
}

void WriteStreamReactor::FailUnlessEnded(const absl::Status& status) {
  std::lock_guard lock(stream_mutex_);
  if (ended_) return;
  Fail(status);
}

void WriteStreamReactor::Complete(const absl::Status& status,
                                  const google::protobuf::MessageLite* reply) {
  {
    std::lock_guard lock(complete_mutex_);
    if (completed_) return;
    completed_ = true;
    abandoned_.store(true);
    if (waiting_gate_ != nullptr) waiting_gate_->WakeWaiters();
    // The store's part is over (committed or rolled back): the next writer
    // may start. Not left to OnDone: Finish from a stream's thread schedules
    // OnDone on gRPC's callback executor, whose few threads may all be
    // blocked in other writers' WriteGate waits — for this lease.
    lease_ = WriteGate::Lease();
  }
  grpc::Status grpc_status = ToGrpcStatus(status, method_);
  if (grpc_status.ok() && reply != nullptr) SetResponse(*reply, *response_);
  sent_code_ = grpc_status.error_code();
  sent_message_ = grpc_status.error_message();
  Finish(grpc_status);
}

void WriteStreamReactor::Report() {
  RpcRecord record{.method = method_,
                   .peer = peer_,
                   .code = sent_code_,
                   .message = sent_message_,
                   .elapsed = std::chrono::steady_clock::now() - started_};
  // Known only now that the call is over: whether the client got the status
  // sent (IsCancelled is final in OnDone). When gRPC itself ended the call
  // (the client's RST_STREAM or deadline, a message over gRPC's own size
  // limit), the reactor saw only an end of stream, and the code it sent
  // never arrived: the log must not claim it did.
  if (context_->IsCancelled()) {
    const bool late = context_->deadline() <= std::chrono::system_clock::now();
    record.code = late ? grpc::StatusCode::DEADLINE_EXCEEDED : grpc::StatusCode::CANCELLED;
    record.message = absl::StrCat(
        late ? "the deadline passed"
             : "the call was cancelled (by the client, or by gRPC: e.g. "
               "a message over its size limit)",
        sent_code_ == grpc::StatusCode::OK ? " after the write committed" : "; nothing was written",
        sent_message_.empty() ? "" : absl::StrCat(" (the server's status: ", sent_message_, ")"));
  }
  observer_.OnFinish(record);
}

}  // namespace analytics::api
