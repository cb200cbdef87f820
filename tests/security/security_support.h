// Shared helpers of the security and robustness tests (tests/security/).
//
// Servers run as support/process.h's ServerProcess, most with their log in a
// file (LogFile) so tests can check what the server logged (tokens must
// never appear); files and directories are support/files.h's. TestPki creates a throw-away
// certificate authority, server and client certificates with the openssl
// command at run time, plus a second, unrelated CA for "wrong CA" cases.
// CsvFixture generates a deterministic CSV import and its exact totals.
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "support/files.h"
#include "support/process.h"
#include "support/raw_stream.h"

namespace analytics::security_testing {

namespace v1 = ::customer_analytics::v1;

using testing::LogFile;
using testing::ReadFile;
using testing::ServerProcess;
using testing::TempDir;
using testing::WriteFile;

// Bytes the process has written with write(2)-like calls (/proc/PID/io
// wchar): grows when the server spools an import to its temporary file.
std::int64_t WrittenBytes(pid_t pid);

// The metrics port a server started with `--metrics-listen
// 127.0.0.1:0` logged ("serving Prometheus metrics on port N"), or -1.
int LoggedMetricsPort(const std::string& log_path);
// One unlabelled sample of a scrape of 127.0.0.1:port/metrics, or nullopt
// when the scrape fails or has no such sample.
std::optional<double> ScrapeGauge(int port, const std::string& name);

struct TestPki {
  std::string ca_cert;
  std::string server_cert, server_key;              // for 127.0.0.1 and localhost, signed by ca
  std::string client_cert, client_key;              // signed by ca
  std::string other_ca_cert;                        // an unrelated CA
  std::string other_client_cert, other_client_key;  // signed by the other CA

  // Writes everything into `dir` with openssl; fails the test on error.
  static TestPki Create(const std::string& dir);
};

// Channel credentials from PEM files (empty paths: none).
std::shared_ptr<grpc::ChannelCredentials> TlsCreds(const std::string& ca_file,
                                                   const std::string& cert_file = "",
                                                   const std::string& key_file = "");

std::unique_ptr<v1::AnalyticsService::Stub> Stub(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials());

// A context carrying `token` (if not empty) and a deadline `seconds` ahead.
std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "", int seconds = 30);

// A deterministic CSV of `lines` order lines (ISO dates, Row IDs with
// `prefix`, regions East/West/North/South) and what importing it must add.
struct CsvFixture {
  std::string csv;
  std::int64_t lines = 0;
  std::int64_t revenue_micros = 0;
  std::int64_t units = 0;
  static CsvFixture Make(int lines, const std::string& prefix);
};

// Streams `csv` to ImportCsv in `chunk` byte pieces; returns the status.
grpc::Status ImportCsv(v1::AnalyticsService::Stub& stub, const std::string& csv,
                       const std::string& token = "", v1::ImportCsvResponse* response = nullptr,
                       std::size_t chunk = 64 * 1024);

// Ingests `lines` in one IngestTransactions stream.
grpc::Status Ingest(v1::AnalyticsService::Stub& stub, const std::vector<v1::OrderLine>& lines,
                    const std::string& token = "",
                    v1::IngestTransactionsResponse* response = nullptr);

// Streams `csv` on `writer` until the server (pid) has spooled at least
// `bytes` of it to its temporary file: proof that the server has admitted
// the call and is working on it. The last chunk is held back, so the call
// stays open; if everything else is sent before the spool grows that much
// (transport buffers can take megabytes while a loaded server lags), it
// waits for the server's written-byte count to catch up, for at most two
// minutes. Returns the position reached, or nullopt on a broken stream or
// time-out.
template <typename Writer>
std::optional<std::size_t> StreamUntilSpooled(Writer& writer, const std::string& csv, pid_t pid,
                                              std::int64_t bytes) {
  const std::int64_t baseline = WrittenBytes(pid);
  const auto spooled = [&] { return WrittenBytes(pid) - baseline >= bytes; };
  constexpr std::size_t kChunk = 64 * 1024;
  std::size_t pos = 0;
  for (; pos + kChunk < csv.size(); pos += kChunk) {
    v1::ImportCsvRequest request;
    request.set_chunk(csv.substr(pos, kChunk));
    if (!writer.Write(request)) return std::nullopt;
    if (spooled()) return pos + kChunk;
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!spooled()) {
    if (WrittenBytes(pid) < 0 || std::chrono::steady_clock::now() > give_up) return std::nullopt;
    std::this_thread::yield();
  }
  return pos;
}

v1::OrderLine SimpleLine(const std::string& id, const std::string& region, double sales,
                         const std::string& date = "2024-03-01");

}  // namespace analytics::security_testing
