// What the two write streams (IngestTransactions, ImportCsv) share: the
// rule that decides whether a stream may commit, and the plumbing around it
// (reading, the idle clock, threads, the write gate's lease, Finish).
//
// The commit rule, enforced here and nowhere else: a write commits only if a
// message marked `last` arrived, the next read then reported the end of the
// stream, and the call was not cancelled. gRPC cannot tell a clean
// half-close from a stream whose final frame was cut off in transit (it drops
// an incomplete frame at END_STREAM without an error), nor, at that moment,
// from a call it is cancelling (a message over its size limit, a client's
// RST_STREAM); only the client knows where its stream ends, so it says so.
// Every other end fails the call and writes nothing:
//   - no message marked last, or a message after it: INVALID_ARGUMENT
//     (unless WriteStreamOptions::require_last is off: see there);
//   - a message over the size limit: RESOURCE_EXHAUSTED;
//   - a message with the compressed flag but no grpc-encoding: INVALID_ARGUMENT;
//   - no message for the idle timeout while one is awaited: DEADLINE_EXCEEDED;
//   - cancelled by the client or its deadline: CANCELLED.
//
// A subclass says what a message means (TakeMessage), where its work goes
// (Forward, OnEnd, OnFail) and ends the call through Complete, exactly once.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "api/idle_watchdog.h"
#include "api/rpc_observer.h"
#include "api/write_gate.h"
#include "google/protobuf/message_lite.h"

namespace analytics::api {

struct WriteStreamOptions {
  // The largest request message, checked by the stream on each message's
  // bytes, so the reply and the access log both say RESOURCE_EXHAUSTED.
  // gRPC's own limit is set a little above it (GrpcReceiveLimit): when gRPC
  // refuses a message itself it cancels the call without telling the
  // reactor why, and the access log can only say CANCELLED.
  std::size_t max_message_bytes = 16 * 1024 * 1024;
  // How long a stream may keep a read waiting for the client's next message
  // (and the write gate held) before it fails; zero (or no IdleWatchdog
  // given to the stream): no limit.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  // Off: a stream that ends without a message marked last commits, as
  // clients written before `last` existed expect. Then a final message cut
  // off in transit cannot be told from a clean end (its lines are silently
  // missing), nor can an end caused by gRPC cancelling the call.
  bool require_last = true;
};

// gRPC's receive limit for a server whose write streams check
// `max_message_bytes` themselves: a sixteenth (at least 1 KiB) above it, so
// a message somewhat over the limit reaches the stream, which refuses it
// with the real code. Only a little above: the typed methods rely on gRPC's
// limit alone, and accept messages up to it.
int GrpcReceiveLimit(std::size_t max_message_bytes);

class WriteStreamReactor : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  void OnReadDone(bool ok) final;
  void OnDone() final;

 protected:
  // `method`: a string literal (kept as a view). `response`: where the
  // serialized reply goes. `watchdog` enforces options.idle_timeout; it must
  // outlive the call.
  WriteStreamReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* response,
                     RpcObserver& observer, std::string_view method,
                     const WriteStreamOptions& options, IdleWatchdog* watchdog);
  ~WriteStreamReactor() override;

  // --- Hooks. TakeMessage, Forward, OnEnd and OnFail are never called
  // concurrently with each other, and after OnEnd or OnFail none is called.

  // One message's bytes (valid for the call only): act on them and set
  // `last` from the message. An error fails the stream (OnFail).
  virtual absl::Status TakeMessage(std::string_view bytes, bool& last) = 0;
  // After a taken message: pass its work on. False pauses reading; the
  // subclass then calls ReadNext itself (e.g. when its queue has room).
  virtual bool Forward() { return true; }
  // The stream ended after its message marked last: commit (or decide) and
  // end the call.
  virtual void OnEnd() = 0;
  // The stream failed with `status`: roll back and end the call.
  virtual void OnFail(const absl::Status& status) = 0;

  // --- For subclasses.

  // Asks for the next message; the idle clock runs until it arrives. Any
  // thread, but not with a hook running (it may fail the stream at once).
  void ReadNext();
  // Runs `body` on a thread of the stream's own (joined in OnDone).
  // ResourceExhausted when no thread can be had.
  absl::Status StartThread(std::function<void()> body);
  // Waits for the one-writer gate (blocking: call it on a thread of the
  // stream's own, never a gRPC callback thread) and holds the lease until
  // Complete. OK at once when `gate` is null.
  absl::Status HoldGate(WriteGate* gate);
  // Ends the call: releases the lease, sends `reply` when `status` is OK and
  // Finishes (the call is reported to the observer in OnDone, once it is
  // known whether the client got this status). Only the first call counts.
  // Any thread.
  void Complete(const absl::Status& status, const google::protobuf::MessageLite* reply = nullptr);

  grpc::CallbackServerContext& context() { return *context_; }
  // The number of the message being taken (1 for the first); for hooks.
  std::int64_t message_number() const { return message_number_; }
  RpcObserver& observer() { return observer_; }

 private:
  // Fails the stream unless it already ended (the idle clock's way in).
  void FailUnlessEnded(const absl::Status& status);
  // OnFail, then stops a wait for the write gate: the call is over, and
  // OnDone must not be kept joining a thread that waits for nothing.
  void Fail(const absl::Status& status);
  void AbandonGateWait();
  // The call to the observer, with what the client got.
  void Report();
  // Why the message just read must be refused, if it must.
  absl::Status CheckReceived(std::size_t bytes) const;

  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_;
  RpcObserver& observer_;
  const std::string_view method_;
  const std::string peer_;  // taken at the start: a cancelled call forgets it
  const WriteStreamOptions options_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  // Serialises the hooks: OnReadDone against the idle clock's failure.
  std::mutex stream_mutex_;
  bool ended_ = false;               // guarded by stream_mutex_: OnEnd or OnFail ran
  bool last_seen_ = false;           // guarded by stream_mutex_
  std::int64_t message_number_ = 0;  // guarded by stream_mutex_

  // Touched by OnReadDone only (reads never overlap).
  grpc::ByteBuffer request_;
  std::string joined_;  // a message that arrived in several slices, joined

  std::mutex complete_mutex_;
  bool completed_ = false;  // guarded by complete_mutex_
  std::atomic<bool> abandoned_{false};
  WriteGate* waiting_gate_ = nullptr;  // guarded by complete_mutex_
  absl::Status failure_;               // guarded by complete_mutex_: why Fail ended the stream
  WriteGate::Lease lease_;             // guarded by complete_mutex_
  // The status sent by Complete; read in OnDone, after Finish.
  grpc::StatusCode sent_code_ = grpc::StatusCode::UNKNOWN;
  std::string sent_message_;

  IdleWatchdog* const watchdog_;  // null: no idle timeout
  IdleWatchdog::Id idle_id_ = 0;
  std::mutex threads_mutex_;
  std::vector<std::thread> threads_;  // guarded by threads_mutex_
};

}  // namespace analytics::api
