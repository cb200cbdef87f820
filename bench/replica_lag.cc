// bench-replica-lag: the replica lag of `make bench`'s PostgreSQL column
// (bench/pg_bench.sh). Two replicas of analytics-server on one PostgreSQL:
// each round writes a few lines on the writer (SeedDemoData) and, as soon
// as the reply arrives, reads on the reader with the reply's consistency
// token (x-consistency-token), which waits until the reader has applied
// the write. The time from the writer's acknowledgement to the reader's
// answer is the lag a client sees (one read's round trip included).
//
//   bench-replica-lag --writer HOST:PORT --reader HOST:PORT --repeat N
//
// Prints lag_p50_ms, lag_p99_ms and lag_max_ms as key=value lines.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "customer_analytics/v1/analytics_service.grpc.pb.h"

namespace {

namespace v1 = ::customer_analytics::v1;
using Clock = std::chrono::steady_clock;

std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return fallback;
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string writer_address = Flag(argc, argv, "writer", "");
  const std::string reader_address = Flag(argc, argv, "reader", "");
  const int repeat = std::stoi(Flag(argc, argv, "repeat", "200"));
  if (writer_address.empty() || reader_address.empty() || repeat < 1) {
    std::cerr << "usage: bench-replica-lag --writer HOST:PORT --reader HOST:PORT --repeat N\n";
    return 2;
  }
  auto writer = v1::AnalyticsService::NewStub(
      grpc::CreateChannel(writer_address, grpc::InsecureChannelCredentials()));
  auto reader = v1::AnalyticsService::NewStub(
      grpc::CreateChannel(reader_address, grpc::InsecureChannelCredentials()));
  std::vector<double> lags_ms;
  for (int round = 0; round < repeat; ++round) {
    grpc::ClientContext write_context;
    v1::SeedDemoDataRequest write;
    write.set_seed(1'000'000 + round);
    write.set_line_count(20);
    write.set_customer_count(20);
    v1::SeedDemoDataResponse written;
    const grpc::Status wrote = writer->SeedDemoData(&write_context, write, &written);
    if (!wrote.ok() || written.consistency_token().empty()) {
      std::cerr << "bench-replica-lag: write failed: " << wrote.error_message() << "\n";
      return 1;
    }
    const auto acknowledged = Clock::now();
    grpc::ClientContext read_context;
    read_context.AddMetadata("x-consistency-token", written.consistency_token());
    v1::GetKpisRequest read;
    v1::GetKpisResponse answer;
    const grpc::Status got = reader->GetKpis(&read_context, read, &answer);
    if (!got.ok()) {
      std::cerr << "bench-replica-lag: read failed: " << got.error_message() << "\n";
      return 1;
    }
    lags_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - acknowledged).count());
  }
  std::printf("lag_p50_ms=%.2f\nlag_p99_ms=%.2f\nlag_max_ms=%.2f\n", Percentile(lags_ms, 0.5),
              Percentile(lags_ms, 0.99), *std::max_element(lags_ms.begin(), lags_ms.end()));
  return 0;
}
