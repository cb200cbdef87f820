// The checks every AnalyticsService call passes before any work: who is
// calling (auth.h), whether its deadline has already gone, and for writes the
// one-writer gate (write_gate.h). Kept apart from the handlers so that the
// unary wrapper and the streaming reactors share exactly one code path, and
// a refused call costs no database or parsing work.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string_view>

#include "absl/status/statusor.h"
#include "api/auth.h"
#include "api/rpc_observer.h"
#include "api/status.h"
#include "api/write_gate.h"

namespace analytics::api {

// Both optional: a service without an Authorizer admits every call (unit
// tests, embedded use), one without a WriteGate lets writes overlap.
struct CallGuards {
  const Authorizer* authorizer = nullptr;
  WriteGate* write_gate = nullptr;
};

// OK with a lease (held only for write methods) when `method` may run now;
// otherwise UNAUTHENTICATED, PERMISSION_DENIED, DEADLINE_EXCEEDED or ABORTED.
absl::StatusOr<WriteGate::Lease> AdmitCall(const CallGuards& guards,
                                           grpc::CallbackServerContext& context,
                                           std::string_view method);

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
