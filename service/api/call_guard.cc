#include "api/call_guard.h"

#include <chrono>

namespace analytics::api {

absl::Status CheckCall(const CallGuards& guards, grpc::CallbackServerContext& context,
                       std::string_view method) {
  if (guards.authorizer != nullptr) {
    std::string_view authorization;
    const auto& metadata = context.client_metadata();
    if (auto found = metadata.find("authorization"); found != metadata.end()) {
      authorization = std::string_view(found->second.data(), found->second.size());
    }
    if (absl::Status s = guards.authorizer->Check(method, authorization, context.peer()); !s.ok()) {
      return s;
    }
  }
  // A call whose deadline passed while it was queued would only burn a
  // database scan for an answer nobody reads.
  const auto deadline = context.deadline();
  if (context.IsCancelled() || deadline <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the deadline expired before the call started");
  }
  return absl::OkStatus();
}

absl::StatusOr<WriteGate::Lease> AdmitCall(const CallGuards& guards,
                                           grpc::CallbackServerContext& context,
                                           std::string_view method) {
  if (absl::Status s = CheckCall(guards, context, method); !s.ok()) return s;
  if (guards.write_gate != nullptr && IsWriteMethod(method)) {
    return guards.write_gate->Acquire(context.deadline());
  }
  return WriteGate::Lease();
}

void JoinUnlessCurrent(std::thread& thread) {
  if (!thread.joinable()) return;
  if (thread.get_id() == std::this_thread::get_id()) {
    thread.detach();
  } else {
    thread.join();
  }
}

bool CallAwareSource::Abandoned() {
  if (context_.IsCancelled() || context_.deadline() <= std::chrono::system_clock::now()) {
    status_ =
        absl::CancelledError("the call was cancelled or its deadline passed; nothing was written");
    return true;
  }
  return false;
}

bool CallAwareSource::Next(OrderLine& line) {
  if (!status_.ok()) return false;
  if (++count_ % 4096 == 0 && Abandoned()) return false;
  if (lines_.Next(line)) return true;
  return Ended();
}

bool CallAwareSource::NextBatch(LineBatch& batch) {
  if (!status_.ok() || Abandoned()) return false;
  if (lines_.NextBatch(batch)) return true;
  return Ended();
}

bool CallAwareSource::Ended() {
  status_ = lines_.status();
  if (status_.ok()) Abandoned();
  return false;
}

}  // namespace analytics::api
