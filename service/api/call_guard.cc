#include "api/call_guard.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstdlib>

namespace analytics::api {

const std::string& GatewayToken() {
  static const std::string token = [] {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();
    std::string hex;
    for (unsigned char b : bytes) {
      hex += "0123456789abcdef"[b >> 4];
      hex += "0123456789abcdef"[b & 15];
    }
    return hex;
  }();
  return token;
}

std::string CallPeer(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto value = [&metadata](std::string_view key) -> std::string_view {
    auto found = metadata.find(grpc::string_ref(key.data(), key.size()));
    if (found == metadata.end()) return {};
    return std::string_view(found->second.data(), found->second.size());
  };
  const std::string_view peer = value(kForwardedPeerKey);
  const std::string_view token = value(kGatewayTokenKey);
  const std::string& expected = GatewayToken();
  if (!peer.empty() && token.size() == expected.size() &&
      CRYPTO_memcmp(token.data(), expected.data(), expected.size()) == 0) {
    return std::string(peer);
  }
  return context.peer();
}

absl::Status CheckCall(const CallGuards& guards, grpc::CallbackServerContext& context,
                       std::string_view method) {
  if (guards.authorizer != nullptr) {
    std::string_view authorization;
    const auto& metadata = context.client_metadata();
    if (auto found = metadata.find("authorization"); found != metadata.end()) {
      authorization = std::string_view(found->second.data(), found->second.size());
    }
    if (absl::Status s = guards.authorizer->Check(method, authorization, CallPeer(context));
        !s.ok()) {
      return s;
    }
  }
  // A call whose deadline passed while it was queued would only burn a
  // database scan for an answer nobody reads.
  // The deadline is checked first: gRPC also reports an expired deadline as
  // IsCancelled(), and the client should learn which of the two happened.
  if (context.deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the deadline expired before the call started");
  }
  if (context.IsCancelled()) {
    return absl::CancelledError("the call was cancelled before it started");
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
