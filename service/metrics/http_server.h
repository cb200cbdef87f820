// HTTP endpoint that Prometheus scrapes: `GET /metrics` on its own port.
//
// MetricsHttpServer binds when started (so a busy port is an error the caller
// sees at startup, not a log line later), serves from a background thread and
// stops and joins in its destructor. It renders the Registry it was given on
// every scrape; that Registry must outlive the server. Port 0 binds an
// ephemeral port, which port() reports — the tests use that.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "metrics/registry.h"

namespace analytics::metrics {

// A listen address: "HOST:PORT", "[IPV6]:PORT" or ":PORT" (all IPv4
// interfaces). InvalidArgument naming `what` ("metrics", "HTTP") otherwise.
struct HostPort {
  std::string host;
  int port = 0;
};
absl::StatusOr<HostPort> ParseHostPort(std::string_view text, std::string_view what);

class MetricsHttpServer {
 public:
  // Starts serving on `host_port`: "HOST:PORT", "[IPV6]:PORT" or ":PORT"
  // (all IPv4 interfaces). Fails with InvalidArgument on a malformed
  // address and Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const Registry& registry,
                                                                  std::string_view host_port);

  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The port actually bound.
  int port() const;

 private:
  struct State;
  explicit MetricsHttpServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace analytics::metrics
