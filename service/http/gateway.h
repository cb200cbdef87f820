// The HTTP/JSON edge of the service: the dashboard (web/, compiled in) at
// "/", the OpenAPI document at /v1/openapi.json, and every RPC with a
// google.api.http option (routes.h) transcoded to and from JSON with
// protobuf's JSON utilities.
//
// Each API request becomes one gRPC call over `channel`, the server's own
// in-process channel (grpc::Server::InProcessChannel): the same handlers,
// auth (the Authorization header is passed on as metadata), limits, write
// gate, consistent reads and per-call logging and metrics as a gRPC client
// gets, with no second code path to keep in step. The HTTP client's address
// goes along in api::kForwardedPeerKey, which the server believes only on
// that channel (api/call_guard.h), so "writes from loopback only" means the
// HTTP client's loopback, not the gateway's.
//
// Errors: the HTTP status from the gRPC code (google.rpc.Code's mapping) and
// a JSON body {"error": {"code", "status", "message", "details"}} with the
// call's google.rpc.Status details (ErrorInfo, BadRequest), as Google's JSON
// APIs answer. CORS is off unless origins are configured.
#pragma once

#include <grpcpp/channel.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace analytics::http {

struct GatewayOptions {
  // "HOST:PORT", "[IPV6]:PORT" or ":PORT"; port 0 picks a free one.
  std::string listen;
  // Full names of the gRPC services to route ("customer_analytics.v1.AnalyticsService").
  std::vector<std::string> services;
  // Origins allowed to call the API from another site's page: "" (none,
  // no CORS headers), "*" or a comma-separated list of exact origins.
  std::string cors_origins;
  // Largest JSON body of a unary request, and of one JSON message of a
  // streamed one (the gRPC receive limit applies to each message as well).
  std::size_t max_json_bytes = 16 << 20;
  // Raw bytes per stream message of a streamed bytes body (a CSV upload).
  std::size_t chunk_bytes = 1 << 20;
  // Requests served at once; more wait for a free worker.
  int threads = 8;
  // PEM files: with a certificate and key the listener speaks HTTPS only
  // (the gRPC port's --tls-cert/--tls-key), with a client CA it also
  // requires a client certificate it signed.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
};

class HttpGateway {
 public:
  static absl::StatusOr<std::unique_ptr<HttpGateway>> Start(std::shared_ptr<grpc::Channel> channel,
                                                            const GatewayOptions& options);
  ~HttpGateway();
  HttpGateway(const HttpGateway&) = delete;
  HttpGateway& operator=(const HttpGateway&) = delete;

  // The port actually bound.
  int port() const;

 private:
  struct State;
  explicit HttpGateway(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The HTTP status for a gRPC status code (google/rpc/code.proto's table).
int HttpStatusFromGrpcCode(int code);

}  // namespace analytics::http
