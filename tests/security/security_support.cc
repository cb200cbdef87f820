#include "security/security_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "support/process.h"

extern char** environ;

namespace analytics::security_testing {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "security test support: %s\n", message.c_str());
  std::abort();
}

}  // namespace

std::int64_t WrittenBytes(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/io"));
  std::string key;
  std::int64_t value = 0;
  while (in >> key >> value) {
    if (key == "wchar:") return value;
  }
  return -1;
}

TestPki TestPki::Create(const std::string& dir) {
  const auto run = [](std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/openssl");
    const testing::CommandResult result = testing::RunCommand(args);
    if (result.exit_code != 0) {
      Die(absl::StrCat("openssl ", args[1], " failed: ", result.err));
    }
  };
  const auto path = [&](const std::string& name) { return absl::StrCat(dir, "/", name); };
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                       "-nodes"};
  const auto make_ca = [&](const std::string& name) {
    std::vector<std::string> args = {"req", "-x509"};
    args.insert(args.end(), ec.begin(), ec.end());
    args.insert(args.end(),
                {"-keyout", path(name + ".key"), "-out", path(name + ".pem"), "-days", "2", "-subj",
                 "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                 "keyUsage=critical,keyCertSign,cRLSign"});
    run(args);
  };
  const auto make_leaf = [&](const std::string& name, const std::string& ca,
                             const std::string& extensions) {
    std::vector<std::string> args = {"req", "-new"};
    args.insert(args.end(), ec.begin(), ec.end());
    args.insert(args.end(), {"-keyout", path(name + ".key"), "-out", path(name + ".csr"), "-subj",
                             "/CN=" + name});
    run(args);
    WriteFile(path(name + ".ext"), extensions);
    run({"x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".pem"), "-CAkey",
         path(ca + ".key"), "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2",
         "-extfile", path(name + ".ext")});
  };
  make_ca("ca");
  make_ca("other-ca");
  make_leaf("server", "ca",
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
            "extendedKeyUsage=serverAuth\n");
  make_leaf("client", "ca", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  make_leaf("other-client", "other-ca", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  return TestPki{.ca_cert = path("ca.pem"),
                 .server_cert = path("server.pem"),
                 .server_key = path("server.key"),
                 .client_cert = path("client.pem"),
                 .client_key = path("client.key"),
                 .other_ca_cert = path("other-ca.pem"),
                 .other_client_cert = path("other-client.pem"),
                 .other_client_key = path("other-client.key")};
}

std::shared_ptr<grpc::ChannelCredentials> TlsCreds(const std::string& ca_file,
                                                   const std::string& cert_file,
                                                   const std::string& key_file) {
  grpc::SslCredentialsOptions options;
  if (!ca_file.empty()) options.pem_root_certs = ReadFile(ca_file);
  if (!cert_file.empty()) {
    options.pem_cert_chain = ReadFile(cert_file);
    options.pem_private_key = ReadFile(key_file);
  }
  return grpc::SslCredentials(options);
}

std::unique_ptr<v1::AnalyticsService::Stub> Stub(const std::string& address,
                                                 std::shared_ptr<grpc::ChannelCredentials> creds) {
  return v1::AnalyticsService::NewStub(grpc::CreateChannel(address, creds));
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token, int seconds) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

CsvFixture CsvFixture::Make(int lines, const std::string& prefix) {
  static constexpr const char* kRegions[] = {"East", "West", "North", "South"};
  CsvFixture fixture;
  fixture.csv = "Row ID,Order ID,Order Date,Customer ID,Region,Category,Sales,Quantity\n";
  fixture.csv.reserve(static_cast<std::size_t>(lines) * 64);
  for (int i = 0; i < lines; ++i) {
    // Sales are whole cents, so the expected micros are exact.
    const std::int64_t cents = 100 + (static_cast<std::int64_t>(i) * 7919) % 100'000;
    const int quantity = 1 + i % 5;
    absl::StrAppend(&fixture.csv, prefix, i, ",", prefix, "O", i / 3, ",2024-",
                    (i % 12 < 9 ? "0" : ""), i % 12 + 1, "-", (i % 28 < 9 ? "0" : ""), i % 28 + 1,
                    ",C", i % 997, ",", kRegions[i % 4], ",Technology,", cents / 100, ".",
                    (cents % 100 < 10 ? "0" : ""), cents % 100, ",", quantity, "\n");
    fixture.revenue_micros += cents * 10'000;
    fixture.units += quantity;
  }
  fixture.lines = lines;
  return fixture;
}

grpc::Status ImportCsv(v1::AnalyticsService::Stub& stub, const std::string& csv,
                       const std::string& token, v1::ImportCsvResponse* response,
                       std::size_t chunk) {
  std::unique_ptr<grpc::ClientContext> context = Context(token, 300);
  v1::ImportCsvResponse ignored;
  auto writer = stub.ImportCsv(context.get(), response != nullptr ? response : &ignored);
  for (std::size_t pos = 0; pos < csv.size(); pos += chunk) {
    v1::ImportCsvRequest request;
    request.set_chunk(csv.substr(pos, chunk));
    if (!writer->Write(request)) break;
  }
  testing::EndStream(*writer);
  return writer->Finish();
}

grpc::Status Ingest(v1::AnalyticsService::Stub& stub, const std::vector<v1::OrderLine>& lines,
                    const std::string& token, v1::IngestTransactionsResponse* response) {
  std::unique_ptr<grpc::ClientContext> context = Context(token, 300);
  v1::IngestTransactionsResponse ignored;
  auto writer = stub.IngestTransactions(context.get(), response != nullptr ? response : &ignored);
  v1::IngestTransactionsRequest request;
  for (const v1::OrderLine& line : lines) *request.add_lines() = line;
  request.set_last(true);  // the stream's only message
  if (writer->Write(request)) writer->WritesDone();
  return writer->Finish();
}

v1::OrderLine SimpleLine(const std::string& id, const std::string& region, double sales,
                         const std::string& date) {
  v1::OrderLine line;
  line.set_line_id(id);
  line.set_order_id("O-" + id);
  line.set_order_date(date);
  line.set_customer_id("C-" + id);
  line.set_region(region);
  line.set_category("Technology");
  line.set_sales(sales);
  line.set_quantity(1);
  return line;
}

int LoggedMetricsPort(const std::string& log_path) {
  constexpr std::string_view kMark = "serving Prometheus metrics on port ";
  const std::string log = ReadFile(log_path);
  const std::size_t at = log.find(kMark);
  if (at == std::string::npos) return -1;
  const std::size_t start = at + kMark.size();
  const std::size_t end = log.find(' ', start);
  int port = -1;
  if (!absl::SimpleAtoi(log.substr(start, end - start), &port)) return -1;
  return port;
}

std::optional<double> ScrapeGauge(int port, const std::string& name) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t got = 0;
      while ((got = recv(fd, buffer, sizeof buffer, 0)) > 0) response.append(buffer, got);
    }
  }
  close(fd);
  const std::string mark = "\n" + name + " ";
  const std::size_t at = response.find(mark);
  if (at == std::string::npos) return std::nullopt;
  const std::size_t start = at + mark.size();
  double value = 0;
  if (!absl::SimpleAtod(response.substr(start, response.find('\n', start) - start), &value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace analytics::security_testing
