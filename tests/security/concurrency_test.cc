// Reads while writes run: several client threads call every read RPC while
// one thread imports CSV files and another ingests batches. Every call must
// succeed, and every answer must be consistent with some committed state:
// within one response the parts add up to the whole (revenue by region sums
// to the total; RFM tiers and segments sum to the customer and revenue
// totals), and totals never go backwards, since the writes only add lines.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "security/security_support.h"

namespace analytics {
namespace {

using namespace security_testing;  // NOLINT: test helpers

class Failures {
 public:
  void Add(std::string what) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (messages_.size() < 20) messages_.push_back(std::move(what));
    ++count_;
  }
  int count() const { return count_; }
  std::string Summary() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string out;
    for (const std::string& m : messages_) absl::StrAppend(&out, m, "\n");
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> messages_;
  std::atomic<int> count_{0};
};

void ReadEverything(v1::AnalyticsService::Stub& stub, Failures& failures,
                    std::int64_t& last_revenue, std::int64_t base, std::int64_t final_revenue) {
  const auto check = [&](const grpc::Status& status, const char* rpc) {
    if (!status.ok()) failures.Add(absl::StrCat(rpc, ": ", status.error_message()));
    return status.ok();
  };
  v1::GetBreakdownRequest breakdown;
  breakdown.set_dimension(v1::DIMENSION_REGION);
  v1::GetBreakdownResponse regions;
  if (check(stub.GetBreakdown(Context().get(), breakdown, &regions), "GetBreakdown")) {
    std::int64_t revenue = 0, units = 0;
    for (const v1::BreakdownRow& row : regions.rows()) {
      revenue += row.measures().revenue_micros();
      units += row.measures().units();
    }
    if (revenue != regions.total().revenue_micros() || units != regions.total().units() ||
        regions.total_groups() != regions.rows_size()) {
      failures.Add(absl::StrCat("torn breakdown: regions sum to ", revenue, " of ",
                                regions.total().revenue_micros()));
    }
    const std::int64_t total = regions.total().revenue_micros();
    if (total < last_revenue || total < base || total > final_revenue) {
      failures.Add(
          absl::StrCat("revenue ", total, " outside [", last_revenue, ", ", final_revenue, "]"));
    }
    last_revenue = std::max(last_revenue, total);
  }
  v1::GetKpisResponse kpis;
  if (check(stub.GetKpis(Context().get(), {}, &kpis), "GetKpis")) {
    const std::int64_t total = kpis.current().revenue_micros();
    if (total < last_revenue || total > final_revenue) {
      failures.Add(absl::StrCat("KPI revenue ", total, " went back from ", last_revenue));
    }
    last_revenue = std::max(last_revenue, total);
  }
  v1::GetSalesTrendRequest trend_request;
  trend_request.set_granularity(v1::GRANULARITY_MONTH);
  v1::GetSalesTrendResponse trend;
  if (check(stub.GetSalesTrend(Context().get(), trend_request, &trend), "GetSalesTrend")) {
    for (int i = 1; i < trend.buckets_size(); ++i) {
      if (trend.buckets(i).start_date() <= trend.buckets(i - 1).start_date()) {
        failures.Add("trend buckets out of order");
      }
    }
  }
  v1::GetRfmSummaryResponse rfm;
  if (check(stub.GetRfmSummary(Context().get(), {}, &rfm), "GetRfmSummary")) {
    std::int64_t tier_customers = 0, tier_revenue = 0, segment_customers = 0, segment_revenue = 0;
    for (const v1::RfmGroup& g : rfm.tiers()) {
      tier_customers += g.customers();
      tier_revenue += g.revenue_micros();
    }
    for (const v1::RfmGroup& g : rfm.segments()) {
      segment_customers += g.customers();
      segment_revenue += g.revenue_micros();
    }
    if (tier_customers != rfm.customers() || segment_customers != rfm.customers() ||
        tier_revenue != rfm.revenue_micros() || segment_revenue != rfm.revenue_micros()) {
      failures.Add("torn RFM summary: groups do not add up");
    }
  }
  v1::ListCustomersRequest list;
  list.set_page_size(25);
  v1::ListCustomersResponse page;
  if (check(stub.ListCustomers(Context().get(), list, &page), "ListCustomers")) {
    if (page.customers_size() > 25 || page.total_size() < page.customers_size()) {
      failures.Add("ListCustomers page larger than asked or than the total");
    }
    if (page.customers_size() > 0) {
      v1::GetCustomerRequest one;
      one.set_customer_id(page.customers(0).customer_id());
      v1::GetCustomerResponse customer;
      check(stub.GetCustomer(Context().get(), one, &customer), "GetCustomer");
    }
  }
}

TEST(ConcurrencyTest, ReadsDuringImportsAndIngestsAreNeverTorn) {
  TempDir dir;
  ServerProcess server(LogFile{dir.File("log")}, {"--db", dir.File("analytics.db")});
  auto setup = Stub(server.address());
  v1::SeedDemoDataRequest seed;
  seed.set_line_count(1000);
  seed.set_customer_count(100);
  seed.set_end_date("2024-06-30");
  v1::SeedDemoDataResponse seeded;
  ASSERT_TRUE(setup->SeedDemoData(Context().get(), seed, &seeded).ok());
  v1::GetKpisResponse kpis;
  ASSERT_TRUE(setup->GetKpis(Context().get(), {}, &kpis).ok());
  const std::int64_t base = kpis.current().revenue_micros();

  constexpr int kImports = 3;
  constexpr int kIngests = 5;
  std::vector<CsvFixture> imports;
  std::int64_t final_revenue = base;
  for (int i = 0; i < kImports; ++i) {
    imports.push_back(CsvFixture::Make(2000, absl::StrCat("I", i, "-")));
    final_revenue += imports.back().revenue_micros;
  }
  std::vector<std::vector<v1::OrderLine>> batches(kIngests);
  for (int b = 0; b < kIngests; ++b) {
    for (int i = 0; i < 200; ++i) {
      batches[b].push_back(
          SimpleLine(absl::StrCat("G", b, "-", i), i % 3 == 0 ? "East" : "Central", 1.25 + i));
      final_revenue += 1'250'000 + i * 1'000'000LL;
    }
  }

  Failures failures;
  std::atomic<bool> writing{true};
  std::atomic<int> writers_left{2};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    auto stub = Stub(server.address());
    for (const CsvFixture& csv : imports) {
      v1::ImportCsvResponse response;
      grpc::Status status = ImportCsv(*stub, csv.csv, "", &response, 16 * 1024);
      if (!status.ok() || !response.committed()) failures.Add("import: " + status.error_message());
    }
    if (--writers_left == 0) writing = false;
  });
  threads.emplace_back([&] {
    auto stub = Stub(server.address());
    for (const auto& batch : batches) {
      grpc::Status status = Ingest(*stub, batch);
      if (!status.ok()) failures.Add("ingest: " + status.error_message());
    }
    if (--writers_left == 0) writing = false;
  });
  std::atomic<int> rounds{0};
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&] {
      auto stub = Stub(server.address());
      std::int64_t last = base;
      // At least a few rounds each, however fast the writers are.
      for (int round = 0; writing || round < 3; ++round) {
        ReadEverything(*stub, failures, last, base, final_revenue);
        ++rounds;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.count(), 0) << failures.Summary();
  EXPECT_GE(rounds.load(), 9);

  ASSERT_TRUE(setup->GetKpis(Context().get(), {}, &kpis).ok());
  EXPECT_EQ(kpis.current().revenue_micros(), final_revenue);
}

}  // namespace
}  // namespace analytics
