// Tests of the metrics registry: what it counts, and that its text is what
// the reference Prometheus parser (python3-prometheus-client) reads back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "metrics/registry.h"
#include "support/process.h"

namespace analytics::metrics {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kParser[] = ANALYTICS_SOURCE_DIR "/tests/deploy/prom_parse.py";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The canonical FAMILY/SAMPLE lines of prom_parse.py for `exposition`.
std::vector<std::string> Parse(const std::string& exposition) {
  const analytics::testing::CommandResult result =
      analytics::testing::RunCommand({"/usr/bin/python3", kParser}, {}, exposition);
  EXPECT_EQ(result.exit_code, 0) << "the Prometheus parser rejected:\n"
                                 << exposition << "\nstderr:\n"
                                 << result.err;
  return Lines(result.out);
}

TEST(StatusCodeName, MapsGrpcCodes) {
  EXPECT_EQ(StatusCodeName(0), "OK");
  EXPECT_EQ(StatusCodeName(3), "INVALID_ARGUMENT");
  EXPECT_EQ(StatusCodeName(9), "FAILED_PRECONDITION");
  EXPECT_EQ(StatusCodeName(16), "UNAUTHENTICATED");
  EXPECT_EQ(StatusCodeName(17), "UNKNOWN");
  EXPECT_EQ(StatusCodeName(-1), "UNKNOWN");
}

TEST(Registry, EmptyRegistryStillDescribesEveryFamily) {
  Registry registry(BuildInfo{"1.2.3", "abc123"});
  const std::vector<std::string> parsed = Parse(registry.RenderPrometheusText());
  EXPECT_THAT(parsed, Contains("FAMILY analytics_build_info gauge"));
  EXPECT_THAT(
      parsed,
      Contains(R"(SAMPLE analytics_build_info {"git_sha":"abc123","version":"1.2.3"} 1.0)"));
  // The parser names counter families without their _total suffix.
  EXPECT_THAT(parsed, Contains("FAMILY analytics_rpc_requests counter"));
  EXPECT_THAT(parsed, Contains("FAMILY analytics_rpc_duration_seconds histogram"));
  EXPECT_THAT(parsed, Contains("SAMPLE analytics_rpc_in_flight {} 0.0"));
  EXPECT_THAT(parsed, Contains("SAMPLE analytics_lines_ingested_total {} 0.0"));
  EXPECT_THAT(parsed, Contains("SAMPLE analytics_lines_rejected_total {} 0.0"));
  // No callback, no sample: an unknown size is not a size of zero.
  EXPECT_THAT(parsed, Contains("FAMILY analytics_database_size_bytes gauge"));
  for (const std::string& line : parsed) {
    EXPECT_THAT(line, Not(HasSubstr("SAMPLE analytics_database_size_bytes")));
  }
}

TEST(Registry, CountsRpcsByMethodAndCode) {
  Registry registry(BuildInfo{"v", "s"});
  registry.RecordRpc("GetKpis", "OK", 0.002);
  registry.RecordRpc("GetKpis", "OK", 0.003);
  registry.RecordRpc("GetKpis", StatusCodeName(3), 0.0001);
  registry.RecordRpc("ImportCsv", "OK", 12.0);
  const std::vector<std::string> parsed = Parse(registry.RenderPrometheusText());
  EXPECT_THAT(
      parsed,
      Contains(R"(SAMPLE analytics_rpc_requests_total {"code":"OK","method":"GetKpis"} 2.0)"));
  EXPECT_THAT(
      parsed,
      Contains(
          R"(SAMPLE analytics_rpc_requests_total {"code":"INVALID_ARGUMENT","method":"GetKpis"} 1.0)"));
  EXPECT_THAT(
      parsed,
      Contains(R"(SAMPLE analytics_rpc_requests_total {"code":"OK","method":"ImportCsv"} 1.0)"));
}

TEST(Registry, HistogramBucketsAreCumulative) {
  Registry registry(BuildInfo{"v", "s"});
  // Binary fractions, so the sum below is exact.
  registry.RecordRpc("GetKpis", "OK", 0.0009765625);  // <= 0.001
  registry.RecordRpc("GetKpis", "OK", 0.125);         // <= 0.25
  registry.RecordRpc("GetKpis", "OK", 0.25);          // le is inclusive
  registry.RecordRpc("GetKpis", "OK", 100);           // beyond the last bound
  const std::vector<std::string> parsed = Parse(registry.RenderPrometheusText());
  const std::string bucket = R"(SAMPLE analytics_rpc_duration_seconds_bucket {"le":")";
  EXPECT_THAT(parsed, Contains(bucket + R"(0.001","method":"GetKpis"} 1.0)"));
  EXPECT_THAT(parsed, Contains(bucket + R"(0.1","method":"GetKpis"} 1.0)"));
  EXPECT_THAT(parsed, Contains(bucket + R"(0.25","method":"GetKpis"} 3.0)"));
  EXPECT_THAT(parsed, Contains(bucket + R"(60","method":"GetKpis"} 3.0)"));
  EXPECT_THAT(parsed, Contains(bucket + R"(+Inf","method":"GetKpis"} 4.0)"));
  EXPECT_THAT(parsed,
              Contains(R"(SAMPLE analytics_rpc_duration_seconds_count {"method":"GetKpis"} 4.0)"));
  EXPECT_THAT(
      parsed,
      Contains(R"(SAMPLE analytics_rpc_duration_seconds_sum {"method":"GetKpis"} 100.3759765625)"));
}

TEST(Registry, BadDurationsCountAsZero) {
  Registry registry(BuildInfo{"v", "s"});
  registry.RecordRpc("GetKpis", "OK", -1);
  registry.RecordRpc("GetKpis", "OK", std::numeric_limits<double>::quiet_NaN());
  const std::vector<std::string> parsed = Parse(registry.RenderPrometheusText());
  EXPECT_THAT(parsed,
              Contains(R"(SAMPLE analytics_rpc_duration_seconds_sum {"method":"GetKpis"} 0.0)"));
  EXPECT_THAT(parsed,
              Contains(R"(SAMPLE analytics_rpc_duration_seconds_count {"method":"GetKpis"} 2.0)"));
}

TEST(Registry, EscapesLabelValues) {
  // Label values can carry anything the caller passes; a quote, backslash or
  // newline must not break the exposition.
  Registry registry(BuildInfo{"1.0 \"beta\"", "a\\b\nc"});
  registry.RecordRpc("Get\"Odd\"\\Name\n", "OK", 0.01);
  const std::string text = registry.RenderPrometheusText();
  const std::vector<std::string> parsed = Parse(text);
  EXPECT_THAT(
      parsed,
      Contains(
          R"(SAMPLE analytics_build_info {"git_sha":"a\\b\nc","version":"1.0 \"beta\""} 1.0)"));
  EXPECT_THAT(
      parsed,
      Contains(
          R"(SAMPLE analytics_rpc_requests_total {"code":"OK","method":"Get\"Odd\"\\Name\n"} 1.0)"));
  EXPECT_THAT(text, HasSubstr(R"(method="Get\"Odd\"\\Name\n")"));
}

TEST(Registry, CountsLinesAndInFlight) {
  Registry registry(BuildInfo{"v", "s"});
  registry.AddLinesIngested(1500);
  registry.AddLinesIngested(25);
  registry.AddLinesRejected(3);
  std::optional<std::vector<std::string>> parsed;
  {
    InFlightGuard first(registry);
    InFlightGuard second(registry);
    EXPECT_EQ(registry.InFlight(), 2);
    parsed = Parse(registry.RenderPrometheusText());
  }
  EXPECT_EQ(registry.InFlight(), 0);
  registry.RpcStarted();
  EXPECT_EQ(registry.InFlight(), 1);
  registry.RpcFinished();
  EXPECT_EQ(registry.InFlight(), 0);
  EXPECT_THAT(*parsed, Contains("SAMPLE analytics_rpc_in_flight {} 2.0"));
  EXPECT_THAT(*parsed, Contains("SAMPLE analytics_lines_ingested_total {} 1525.0"));
  EXPECT_THAT(*parsed, Contains("SAMPLE analytics_lines_rejected_total {} 3.0"));
}

TEST(Registry, LinesIngestedAddTheWrittenLinesCallbackAtScrapeTime) {
  Registry registry(BuildInfo{"v", "s"});
  registry.AddLinesIngested(5);
  std::uint64_t written = 1500;
  registry.SetLinesIngestedCallback([&written] { return written; });
  EXPECT_THAT(Parse(registry.RenderPrometheusText()),
              Contains("SAMPLE analytics_lines_ingested_total {} 1505.0"));
  written = 1600;
  EXPECT_THAT(Parse(registry.RenderPrometheusText()),
              Contains("SAMPLE analytics_lines_ingested_total {} 1605.0"));
  registry.SetLinesIngestedCallback({});
  EXPECT_THAT(Parse(registry.RenderPrometheusText()),
              Contains("SAMPLE analytics_lines_ingested_total {} 5.0"));
}

TEST(Registry, GaugesAreReadAtScrapeTime) {
  Registry registry(BuildInfo{"v", "s"});
  double lines = 10;
  registry.SetGaugeCallback(StoreGauge::kOrderLines, [&lines] { return lines; });
  registry.SetGaugeCallback(StoreGauge::kCustomers, [] { return 4.0; });
  registry.SetGaugeCallback(StoreGauge::kDatabaseSizeBytes, [] { return 1048576.0; });
  registry.SetGaugeCallback(StoreGauge::kLatestOrderDateSeconds,
                            []() -> std::optional<double> { return std::nullopt; });
  lines = 1500;
  const std::vector<std::string> parsed = Parse(registry.RenderPrometheusText());
  EXPECT_THAT(parsed, Contains("SAMPLE analytics_order_lines {} 1500.0"));
  EXPECT_THAT(parsed, Contains("SAMPLE analytics_customers {} 4.0"));
  EXPECT_THAT(parsed, Contains("SAMPLE analytics_database_size_bytes {} 1048576.0"));
  EXPECT_THAT(parsed, Contains("FAMILY analytics_latest_order_date_seconds gauge"));
  for (const std::string& line : parsed) {
    EXPECT_THAT(line, Not(HasSubstr("SAMPLE analytics_latest_order_date_seconds")));
  }

  registry.SetGaugeCallback(StoreGauge::kOrderLines, nullptr);
  registry.SetGaugeCallback(StoreGauge::kLatestOrderDateSeconds, [] { return 1767225600.0; });
  const std::string text = registry.RenderPrometheusText();
  EXPECT_THAT(text, Not(HasSubstr("\nanalytics_order_lines ")));
  EXPECT_THAT(text, HasSubstr("\nanalytics_latest_order_date_seconds 1767225600\n"));
}

TEST(Registry, GaugeCallbackMayRecordIntoTheRegistry) {
  // Callbacks run without the registry's lock; one that records (a store
  // query timed as an RPC, say) must not deadlock the scrape.
  Registry registry(BuildInfo{"v", "s"});
  registry.SetGaugeCallback(StoreGauge::kOrderLines, [&registry] {
    registry.RecordRpc("Scrape", "OK", 0);
    return 1.0;
  });
  EXPECT_THAT(registry.RenderPrometheusText(), HasSubstr("\nanalytics_order_lines 1\n"));
  EXPECT_THAT(registry.RenderPrometheusText(),
              HasSubstr(R"(analytics_rpc_requests_total{method="Scrape",code="OK"} 1)"));
}

TEST(Registry, ConcurrentRecordingLosesNothing) {
  Registry registry(BuildInfo{"v", "s"});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&registry, t] {
      const std::string method = t % 2 == 0 ? "GetKpis" : "ListCustomers";
      for (int i = 0; i < kPerThread; ++i) {
        InFlightGuard guard(registry);
        registry.RecordRpc(method, "OK", 0.001);
        registry.AddLinesIngested(1);
        if (i % 100 == 0) registry.RenderPrometheusText();  // scrapes race with records
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::vector<std::string> parsed = Parse(registry.RenderPrometheusText());
  EXPECT_THAT(
      parsed,
      Contains(R"(SAMPLE analytics_rpc_requests_total {"code":"OK","method":"GetKpis"} 20000.0)"));
  EXPECT_THAT(
      parsed,
      Contains(
          R"(SAMPLE analytics_rpc_requests_total {"code":"OK","method":"ListCustomers"} 20000.0)"));
  EXPECT_THAT(parsed, Contains("SAMPLE analytics_lines_ingested_total {} 40000.0"));
  EXPECT_THAT(parsed, Contains("SAMPLE analytics_rpc_in_flight {} 0.0"));
}

TEST(CompiledBuildInfo, NamesTheProjectVersion) {
  const BuildInfo info = CompiledBuildInfo();
  EXPECT_FALSE(info.version.empty());
  EXPECT_NE(info.version, "unknown");
  EXPECT_FALSE(info.git_sha.empty());
}

}  // namespace
}  // namespace analytics::metrics
