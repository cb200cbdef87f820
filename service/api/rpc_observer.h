// What happens around every RPC, separated from what the RPC does.
//
// The service reports each call's start and end to an RpcObserver; the server
// composes the observers it needs (the spdlog access log, Prometheus metrics)
// without the handlers knowing about either. Implementations must be
// thread-safe: RPCs finish on many threads at once.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace analytics::api {

struct RpcRecord {
  std::string_view method;
  std::string peer;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;  // the status message sent to the client
  std::chrono::duration<double> elapsed{0};
};

class RpcObserver {
 public:
  virtual ~RpcObserver() = default;
  virtual void OnStart(std::string_view /*method*/) {}
  virtual void OnFinish(const RpcRecord& record) = 0;
  // Lines written or refused by ingest and import calls.
  virtual void OnLinesWritten(std::int64_t /*accepted*/, std::int64_t /*rejected*/) {}
};

// Logs one line per RPC with spdlog: method, peer, status code, duration;
// failures at warn (client errors) or error (server errors).
class LoggingObserver final : public RpcObserver {
 public:
  void OnFinish(const RpcRecord& record) override;
};

// Forwards to several observers, in order.
class ObserverList final : public RpcObserver {
 public:
  void Add(RpcObserver* observer) { observers_.push_back(observer); }
  void OnStart(std::string_view method) override;
  void OnFinish(const RpcRecord& record) override;
  void OnLinesWritten(std::int64_t accepted, std::int64_t rejected) override;

 private:
  std::vector<RpcObserver*> observers_;
};

// The canonical upper-case name of a status code ("NOT_FOUND").
std::string_view StatusCodeName(grpc::StatusCode code);

}  // namespace analytics::api
