// Tests of the /metrics HTTP endpoint, scraped for real over loopback: by a
// plain socket client written here (independent of httplib) and by Python's
// urllib feeding the reference Prometheus parser.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "metrics/http_server.h"
#include "support/process.h"

namespace analytics::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kParser[] = ANALYTICS_SOURCE_DIR "/tests/deploy/prom_parse.py";

struct HttpResponse {
  std::string status_line;
  std::string headers;
  std::string body;
};

// Connects to 127.0.0.1:port; returns the socket, or -1 with errno set.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// A GET that reads the response to end of stream, so it returns once the
// server closes the connection (at once for HTTP/1.0).
std::optional<HttpResponse> Get(int port, const std::string& path,
                                const std::string& version = "HTTP/1.0") {
  const int fd = Connect(port);
  if (fd < 0) return std::nullopt;
  const std::string request = "GET " + path + " " + version + "\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return std::nullopt;
  }
  std::string raw;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      return std::nullopt;
    }
    raw.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  const std::size_t status_end = raw.find("\r\n");
  const std::size_t headers_end = raw.find("\r\n\r\n");
  if (status_end == std::string::npos || headers_end == std::string::npos) return std::nullopt;
  return HttpResponse{raw.substr(0, status_end),
                      raw.substr(status_end + 2, headers_end - status_end),
                      raw.substr(headers_end + 4)};
}

std::unique_ptr<MetricsHttpServer> StartOrDie(const Registry& registry, std::string_view address) {
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
      MetricsHttpServer::Start(registry, address);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

TEST(MetricsHttpServer, ServesTheRegistryOnAnEphemeralPort) {
  Registry registry(BuildInfo{"9.9.9", "feedface"});
  std::unique_ptr<MetricsHttpServer> server = StartOrDie(registry, "127.0.0.1:0");
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);

  // Recorded after the start: every scrape renders the registry afresh.
  registry.RecordRpc("GetKpis", "OK", 0.004);
  const std::optional<HttpResponse> response = Get(server->port(), "/metrics");
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->status_line, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(response->headers,
              HasSubstr("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(response->body,
              HasSubstr("\nanalytics_rpc_requests_total{method=\"GetKpis\",code=\"OK\"} 1\n"));
  EXPECT_THAT(response->body,
              HasSubstr("analytics_build_info{version=\"9.9.9\",git_sha=\"feedface\"} 1\n"));
}

TEST(MetricsHttpServer, PrometheusParserReadsAScrape) {
  Registry registry(BuildInfo{"v", "s"});
  registry.RecordRpc("ListCustomers", "NOT_FOUND", 0.02);
  registry.SetGaugeCallback(StoreGauge::kOrderLines, [] { return 1500.0; });
  std::unique_ptr<MetricsHttpServer> server = StartOrDie(registry, "127.0.0.1:0");
  ASSERT_NE(server, nullptr);
  const std::string url = "http://127.0.0.1:" + std::to_string(server->port()) + "/metrics";
  const analytics::testing::CommandResult result =
      analytics::testing::RunCommand({"/usr/bin/python3", kParser, url});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("CONTENT-TYPE text/plain; version=0.0.4; charset=utf-8\n"));
  EXPECT_THAT(result.out, HasSubstr("SAMPLE analytics_rpc_requests_total "
                                    R"({"code":"NOT_FOUND","method":"ListCustomers"} 1.0)"));
  EXPECT_THAT(result.out, HasSubstr("SAMPLE analytics_order_lines {} 1500.0\n"));
}

TEST(MetricsHttpServer, ClosesEachConnectionAfterOneScrape) {
  // An HTTP/1.1 client (Prometheus) would keep an idle connection open, and
  // that would hold the server's shutdown for the keep-alive timeout. The
  // server must say it closes, and close: Get() reads to end of stream, so
  // it only returns here because the server hung up.
  Registry registry(BuildInfo{"v", "s"});
  std::unique_ptr<MetricsHttpServer> server = StartOrDie(registry, "127.0.0.1:0");
  ASSERT_NE(server, nullptr);
  const std::optional<HttpResponse> response = Get(server->port(), "/metrics", "HTTP/1.1");
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->status_line, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(response->headers, HasSubstr("Connection: close\r\n"));
}

TEST(MetricsHttpServer, OtherPathsAreNotFound) {
  Registry registry(BuildInfo{"v", "s"});
  std::unique_ptr<MetricsHttpServer> server = StartOrDie(registry, "127.0.0.1:0");
  ASSERT_NE(server, nullptr);
  const std::optional<HttpResponse> response = Get(server->port(), "/");
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(response->status_line, StartsWith("HTTP/1.1 404"));
}

TEST(MetricsHttpServer, BusyPortIsAnErrorAtStart) {
  Registry registry(BuildInfo{"v", "s"});
  std::unique_ptr<MetricsHttpServer> first = StartOrDie(registry, "127.0.0.1:0");
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> second =
      MetricsHttpServer::Start(registry, "127.0.0.1:" + std::to_string(first->port()));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

TEST(MetricsHttpServer, RejectsMalformedAddresses) {
  Registry registry(BuildInfo{"v", "s"});
  for (const char* address :
       {"9090", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000", "127.0.0.1:-1", "host:9 0"}) {
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
        MetricsHttpServer::Start(registry, address);
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << address;
  }
}

TEST(MetricsHttpServer, AcceptsBracketedAndHostlessAddresses) {
  Registry registry(BuildInfo{"v", "s"});
  // ":0" binds every IPv4 interface, loopback among them.
  std::unique_ptr<MetricsHttpServer> any = StartOrDie(registry, ":0");
  ASSERT_NE(any, nullptr);
  EXPECT_TRUE(Get(any->port(), "/metrics").has_value());
  // "[127.0.0.1]" exercises the bracket stripping without needing IPv6 here.
  std::unique_ptr<MetricsHttpServer> bracketed = StartOrDie(registry, "[127.0.0.1]:0");
  ASSERT_NE(bracketed, nullptr);
  EXPECT_TRUE(Get(bracketed->port(), "/metrics").has_value());
}

TEST(MetricsHttpServer, DestructorStopsEvenRightAfterStart) {
  // httplib ignores stop() until its accept loop runs; destroying at once
  // used to be able to hang. Repeat to give the race its chances (the ctest
  // timeout turns a hang into a failure).
  Registry registry(BuildInfo{"v", "s"});
  for (int i = 0; i < 50; ++i) {
    std::unique_ptr<MetricsHttpServer> server = StartOrDie(registry, "127.0.0.1:0");
    ASSERT_NE(server, nullptr);
  }
}

TEST(MetricsHttpServer, PortIsClosedAfterDestruction) {
  Registry registry(BuildInfo{"v", "s"});
  std::unique_ptr<MetricsHttpServer> server = StartOrDie(registry, "127.0.0.1:0");
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  ASSERT_TRUE(Get(port, "/metrics").has_value());
  server.reset();
  EXPECT_EQ(Connect(port), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
}

}  // namespace
}  // namespace analytics::metrics
