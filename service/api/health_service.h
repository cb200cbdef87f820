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
  // Readiness apart from shutdown (a replica too far behind its store):
  // SERVING needs both. Watchers hear of a change only.
  void SetReady(bool ready);
  // Ends all Watch streams (after a last NOT_SERVING update).
  void Shutdown();

  class Watcher;

 private:
  friend class Watcher;
  void Forget(Watcher* watcher);

  std::mutex mutex_;
  bool serving_ = true;
  bool ready_ = true;
  ServingStatus Status() const {
    return serving_ && ready_ ? grpc::health::v1::HealthCheckResponse::SERVING
                              : grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  }
  bool shut_down_ = false;
  std::set<Watcher*> watchers_;
};

}  // namespace analytics::api
