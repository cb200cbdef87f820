// Several replicas of the service behind one channel (README "Scaling out").
//
// With PostgreSQL as the store, any number of server replicas answer the
// same data. CreateReplicaChannel balances calls over them with gRPC's
// round_robin policy, skips replicas whose health check (grpc.health.v1)
// says NOT_SERVING (draining), and retries a call that fails UNAVAILABLE
// (a replica restarting, or not yet caught up with a consistency token) or
// CANCELLED (cut by a replica's shutdown) on the next replica, with
// backoff, so a client sees no failure while one replica at a time goes
// away. Writes are upserts by
// line key, so a retried write cannot duplicate lines.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace customer_analytics {

struct ReplicaChannelOptions {
  // Attempts per call, the first included (gRPC caps this at 5).
  int max_attempts = 5;
  // Null means insecure (plaintext), the service's in-cluster default.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

// `addresses`: "IPv4:PORT" of each replica, or a single target whose name
// resolves to all of them ("dns:///customer-analytics-headless:50051", a
// headless Service). The channel suits AnalyticsClient's channel
// constructor.
std::shared_ptr<grpc::Channel> CreateReplicaChannel(const std::vector<std::string>& addresses,
                                                    const ReplicaChannelOptions& options = {});

}  // namespace customer_analytics
