// The checks every AnalyticsService call passes before any work: who is
// calling (auth.h), whether its deadline has already gone, and for writes the
// one-writer gate (write_gate.h). Kept apart from the handlers so that the
// unary wrapper and the streaming reactors share exactly one code path, and
// a refused call costs no database or parsing work.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "api/auth.h"
#include "api/rpc_observer.h"
#include "api/status.h"
#include "api/write_gate.h"
#include "common/order_line.h"

namespace analytics::api {

// Both optional: a service without an Authorizer admits every call (unit
// tests, embedded use), one without a WriteGate lets writes overlap.
struct CallGuards {
  const Authorizer* authorizer = nullptr;
  WriteGate* write_gate = nullptr;
};

// Metadata of a call the HTTP gateway (service/http) forwards over the
// server's in-process channel: the HTTP client as a gRPC peer string
// ("ipv4:10.1.2.3:5555"), and this process's gateway token, a random secret
// made at start-up that never leaves the process. The peer is believed only
// with the token, so no network client can pass itself off as loopback.
inline constexpr std::string_view kForwardedPeerKey = "x-analytics-forwarded-peer";
inline constexpr std::string_view kGatewayTokenKey = "x-analytics-gateway-token";
const std::string& GatewayToken();

// The peer a call is authorized as: context.peer(), or for a call the HTTP
// gateway forwards the HTTP client, so that "writes from loopback only"
// holds for HTTP clients too.
std::string CallPeer(const grpc::ServerContextBase& context);

// OK with a lease (held only for write methods) when `method` may run now;
// otherwise UNAUTHENTICATED, PERMISSION_DENIED, DEADLINE_EXCEEDED or ABORTED.
// Waiting for the write gate blocks the calling thread.
absl::StatusOr<WriteGate::Lease> AdmitCall(const CallGuards& guards,
                                           grpc::CallbackServerContext& context,
                                           std::string_view method);

// AdmitCall without the write gate: for a write that waits for the gate on
// a thread of its own, since a gRPC callback thread blocked in the wait can
// starve the very call holding the gate (gRPC runs every reaction on a few
// such threads).
absl::Status CheckCall(const CallGuards& guards, grpc::CallbackServerContext& context,
                       std::string_view method);

// The lines a streaming write commits, read through the call: it stops
// (status Cancelled, so the store commits nothing) as soon as the call is
// cancelled or past its deadline, checked every few thousand lines and once
// more after the last line, right before the store commits. Needed because
// a client's cancel or expired deadline can reach a reactor as an ordinary
// end of stream (OnReadDone(false)) before IsCancelled() turns true; the
// final check runs after the whole write was staged, when the cancellation
// has arrived. A cancellation after that point can still lose the race with
// the commit — the write is then whole, and retrying it is safe (upserts).
class CallAwareSource final : public LineSource {
 public:
  CallAwareSource(LineSource& lines, grpc::CallbackServerContext& context)
      : lines_(lines), context_(context) {}
  bool Next(OrderLine& line) override;
  // Batches are checked one by one (a check costs a clock read: nothing
  // next to a batch).
  bool NextBatch(LineBatch& batch) override;
  absl::Status status() const override { return status_; }

 private:
  bool Abandoned();
  bool Ended();

  LineSource& lines_;
  grpc::CallbackServerContext& context_;
  std::int64_t count_ = 0;
  absl::Status status_;
};

// For a reactor's OnDone: joins the reactor's own thread, or detaches it when
// OnDone runs on that very thread (its last act was Finish).
void JoinUnlessCurrent(std::thread& thread);

// A client-streaming call refused before it started: finishes with `status`
// at once (the client's writes then fail and Finish reports the status) and
// reports the call to the observer like any other.
template <typename Request>
class RefusedStream final : public grpc::ServerReadReactor<Request> {
 public:
  RefusedStream(grpc::CallbackServerContext* context, RpcObserver& observer,
                std::string_view method, const absl::Status& status) {
    observer.OnStart(method);
    grpc::Status grpc_status = ToGrpcStatus(status, method);
    observer.OnFinish({.method = method,
                       .peer = context->peer(),
                       .code = grpc_status.error_code(),
                       .message = grpc_status.error_message()});
    this->Finish(grpc_status);
  }
  void OnDone() override { delete this; }
};

}  // namespace analytics::api
