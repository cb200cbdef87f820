// bench-replica-lag: the replica lag of `make bench`'s PostgreSQL column
// (bench/pg_bench.sh). Two replicas of analytics-server on one PostgreSQL:
// each round writes a few lines on the writer (SeedDemoData) and, as soon
// as the reply arrives, reads on the reader with the reply's consistency
// token (x-consistency-token), which waits until the reader has applied
// the write. The time from the writer's acknowledgement to the reader's
// answer is the lag a client sees (one read's round trip included).
//
//   bench-replica-lag --writer HOST:PORT --reader HOST:PORT --repeat N
//   bench-replica-lag --compare HOST:PORT,HOST:PORT,...
//
// Prints lag_p50_ms, lag_p99_ms and lag_max_ms as key=value lines. With
// --compare it asks every server for GetKpis, GetRfmSummary and
// ListCustomers (the whole store, one fixed as-of day, a 1000-customer page)
// and prints identical=1 when every answer equals the first server's (the
// SQL engine's, in pg_bench.sh), else identical=0 and which one differs.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
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

// Compares the three reads across `addresses` (comma-separated).
int Compare(const std::string& addresses) {
  std::vector<std::unique_ptr<v1::AnalyticsService::Stub>> stubs;
  for (std::size_t start = 0; start <= addresses.size();) {
    std::size_t end = addresses.find(',', start);
    if (end == std::string::npos) end = addresses.size();
    stubs.push_back(v1::AnalyticsService::NewStub(grpc::CreateChannel(
        addresses.substr(start, end - start), grpc::InsecureChannelCredentials())));
    start = end + 1;
  }
  std::vector<std::string> answers(stubs.size());
  bool failed = false;
  for (std::size_t i = 0; i < stubs.size(); ++i) {
    const auto call = [&](auto method, auto request, auto response) {
      grpc::ClientContext context;
      const grpc::Status status = ((*stubs[i]).*method)(&context, request, &response);
      if (!status.ok()) {
        std::cerr << "bench-replica-lag: " << status.error_message() << "\n";
        failed = true;
      }
      return response;
    };
    v1::GetKpisRequest kpis;
    kpis.mutable_filter()->set_start_date("2000-01-01");
    kpis.mutable_filter()->set_end_date("2025-06-30");
    v1::GetRfmSummaryRequest rfm;
    rfm.mutable_rfm()->set_as_of_date("2025-06-30");
    v1::ListCustomersRequest customers;
    customers.mutable_rfm()->set_as_of_date("2025-06-30");
    customers.set_order_by("customer_id");
    customers.set_page_size(1000);
    v1::ListCustomersResponse page =
        call(&v1::AnalyticsService::Stub::ListCustomers, customers, v1::ListCustomersResponse());
    page.clear_next_page_token();  // sealed with each server's own key
    answers[i] =
        call(&v1::AnalyticsService::Stub::GetKpis, kpis, v1::GetKpisResponse()).DebugString() +
        call(&v1::AnalyticsService::Stub::GetRfmSummary, rfm, v1::GetRfmSummaryResponse())
            .DebugString() +
        page.DebugString();
  }
  bool identical = !failed;
  for (std::size_t i = 1; i < answers.size(); ++i) {
    if (answers[i] != answers[0]) {
      identical = false;
      std::cerr << "bench-replica-lag: server " << i << " answers differently\n";
    }
  }
  std::printf("identical=%d\n", identical ? 1 : 0);
  return identical ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (const std::string compare = Flag(argc, argv, "compare", ""); !compare.empty()) {
    return Compare(compare);
  }
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
