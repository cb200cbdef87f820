#include "customer_analytics/replicas.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>

namespace customer_analytics {

std::shared_ptr<grpc::Channel> CreateReplicaChannel(const std::vector<std::string>& addresses,
                                                    const ReplicaChannelOptions& options) {
  std::string target;
  if (addresses.size() == 1) {
    target = addresses.front();
  } else {
    // The ipv4 resolver takes a comma-separated list of addresses.
    target = "ipv4:";
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      if (i > 0) target += ',';
      target += addresses[i];
    }
  }
  const int attempts = std::clamp(options.max_attempts, 2, 5);
  grpc::ChannelArguments arguments;
  // Health checking (grpc.health.v1 Watch): a replica that starts draining
  // reports NOT_SERVING and round_robin stops picking it before it goes.
  // Retries, on every method of the service: UNAVAILABLE means the call did
  // not run (or, for a write, at most committed an upsert that a retry
  // repeats); CANCELLED is what a server shutting down answers the calls it
  // had accepted but not yet started.
  arguments.SetServiceConfigJSON(
      R"({"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":""},)"
      R"("methodConfig":[{"name":[{"service":"customer_analytics.v1.AnalyticsService"}],)"
      R"("retryPolicy":{"maxAttempts":)" +
      std::to_string(attempts) +
      R"(,"initialBackoff":"0.05s","maxBackoff":"1s","backoffMultiplier":2,)"
      R"("retryableStatusCodes":["UNAVAILABLE","CANCELLED"]}}]})");
  return grpc::CreateCustomChannel(
      target, options.credentials ? options.credentials : grpc::InsecureChannelCredentials(),
      arguments);
}

}  // namespace customer_analytics
