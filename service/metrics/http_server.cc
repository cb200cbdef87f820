#include "metrics/http_server.h"

#include <sys/socket.h>

#include <charconv>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "httplib.h"

namespace analytics::metrics {
namespace {

// Worker threads for scrapes: a few, so that a second scraper (or a curl by
// hand) is not queued behind a slow client.
constexpr std::size_t kWorkerThreads = 4;

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(std::string_view text, std::string_view what) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(std::string(what) + " address \"" + std::string(text) +
                                      "\" is not HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc{} || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(std::string(what) + " address \"" + std::string(text) +
                                      "\" has no valid port");
  }
  return HostPort{host.empty() ? "0.0.0.0" : std::string(host), port};
}

struct MetricsHttpServer::State {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  // Fulfilled once the accept loop runs (or has given up), see Start().
  std::promise<void> running;
  std::once_flag running_once;

  void MarkRunning() {
    std::call_once(running_once, [this] { running.set_value(); });
  }
};

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const Registry& registry, std::string_view host_port) {
  absl::StatusOr<HostPort> address = ParseHostPort(host_port, "metrics");
  if (!address.ok()) return address.status();

  auto state = std::make_unique<State>();
  httplib::Server& server = state->server;
  // httplib's default sets SO_REUSEPORT, which would let a second server
  // silently share a busy port; plain SO_REUSEADDR only allows rebinding over
  // TIME_WAIT, so "port in use" stays an error.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // One request per connection. Prometheus would otherwise keep its scrape
  // connection open between scrapes, and an idle kept-alive connection holds
  // stop() (so the server's exit on SIGTERM) for the whole keep-alive timeout;
  // a scrape every 15 s or more gains nothing from reusing it.
  server.set_keep_alive_max_count(1);
  // A connection that sends nothing holds a worker, and stop(), this long.
  server.set_read_timeout(2, 0);
  server.Get("/metrics", [&registry](const httplib::Request&, httplib::Response& response) {
    response.set_content(registry.RenderPrometheusText(),
                         "text/plain; version=0.0.4; charset=utf-8");
  });

  if (address->port == 0) {
    state->port = server.bind_to_any_port(address->host);
    if (state->port < 0) {
      return absl::UnavailableError("cannot bind metrics address " + std::string(host_port));
    }
  } else {
    if (!server.bind_to_port(address->host, address->port)) {
      return absl::UnavailableError("cannot bind metrics address " + std::string(host_port) +
                                    " (in use, or not an address of this host)");
    }
    state->port = address->port;
  }

  // httplib's stop() does nothing until the accept loop has marked itself
  // running, so a server destroyed right after Start() would never stop.
  // The loop creates its task queue right after marking itself running
  // (httplib 0.11 listen_internal), so that is where we learn it is safe.
  State* raw = state.get();
  server.new_task_queue = [raw] {
    raw->MarkRunning();
    return new httplib::ThreadPool(kWorkerThreads);
  };
  std::future<void> running = state->running.get_future();
  state->thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->MarkRunning();  // in case the loop returned before creating its queue
  });
  running.wait();
  return std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer(std::move(state)));
}

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

MetricsHttpServer::~MetricsHttpServer() {
  state_->server.stop();
  state_->thread.join();
}

int MetricsHttpServer::port() const { return state_->port; }

}  // namespace analytics::metrics
