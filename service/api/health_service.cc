#include "api/health_service.h"

#include <optional>
#include <string>

namespace analytics::api {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

bool IsKnownService(const std::string& name) {
  return name.empty() || name == "customer_analytics.v1.AnalyticsService";
}

}  // namespace

// One Watch stream. Writes are one at a time (a gRPC rule): while a write is
// in flight a newer status waits in `pending_`, and only the latest is sent.
class HealthService::Watcher final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  Watcher(HealthService& service, bool known) : service_(service), known_(known) {}

  // Called with the service mutex held.
  void Update(HealthCheckResponse::ServingStatus status) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ = status;
    MaybeWriteLocked();
  }

  // Called with the service mutex held.
  void End() {
    std::lock_guard<std::mutex> lock(mutex_);
    ending_ = true;
    MaybeWriteLocked();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mutex_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status::CANCELLED);
      return;
    }
    MaybeWriteLocked();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mutex_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    service_.Forget(this);
    delete this;
  }

 private:
  void MaybeWriteLocked() {
    if (finished_ || writing_) return;
    if (pending_) {
      response_.set_status(known_ ? *pending_ : HealthCheckResponse::SERVICE_UNKNOWN);
      pending_.reset();
      writing_ = true;
      StartWrite(&response_);
      return;
    }
    if (ending_) FinishLocked(grpc::Status::OK);
  }

  void FinishLocked(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  HealthService& service_;
  const bool known_;
  std::mutex mutex_;
  HealthCheckResponse response_;
  std::optional<HealthCheckResponse::ServingStatus> pending_;
  bool writing_ = false;
  bool ending_ = false;
  bool finished_ = false;
};

HealthService::HealthService() = default;
HealthService::~HealthService() = default;

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!IsKnownService(request->service())) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"));
    return reactor;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    response->set_status(Status());
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* /*context*/, const HealthCheckRequest* request) {
  auto* watcher = new Watcher(*this, IsKnownService(request->service()));
  std::lock_guard<std::mutex> lock(mutex_);
  watchers_.insert(watcher);
  watcher->Update(Status());
  if (shut_down_) watcher->End();
  return watcher;
}

void HealthService::SetServing(bool serving) {
  std::lock_guard<std::mutex> lock(mutex_);
  serving_ = serving;
  for (Watcher* watcher : watchers_) watcher->Update(Status());
}

void HealthService::SetReady(bool ready) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ready_ == ready) return;
  ready_ = ready;
  for (Watcher* watcher : watchers_) watcher->Update(Status());
}

void HealthService::Shutdown() {
  std::lock_guard<std::mutex> lock(mutex_);
  serving_ = false;
  shut_down_ = true;
  for (Watcher* watcher : watchers_) {
    watcher->Update(HealthCheckResponse::NOT_SERVING);
    watcher->End();
  }
}

void HealthService::Forget(Watcher* watcher) {
  std::lock_guard<std::mutex> lock(mutex_);
  watchers_.erase(watcher);
}

}  // namespace analytics::api
