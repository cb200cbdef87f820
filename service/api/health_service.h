// grpc.health.v1.Health, served from our own compiled health.proto.
//
// gRPC's built-in health service answers Kubernetes probes but is invisible
// to reflection clients; serving the generated service ourselves makes it
// reachable both ways. Known services: "" (the whole server) and
// "customer_analytics.v1.AnalyticsService". On shutdown the server sets
// NOT_SERVING, then ends every Watch stream so draining is not held up by
// watchers.
#pragma once

#include <mutex>
#include <set>

#include "grpc/health/v1/health.grpc.pb.h"

namespace analytics::api {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  HealthService();
  ~HealthService() override;

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

  void SetServing(bool serving);
  // Ends all Watch streams (after a last NOT_SERVING update).
  void Shutdown();

  class Watcher;

 private:
  friend class Watcher;
  void Forget(Watcher* watcher);

  std::mutex mutex_;
  bool serving_ = true;
  bool shut_down_ = false;
  std::set<Watcher*> watchers_;
};

}  // namespace analytics::api
