// Report policy (previous periods, sorting, zero-filled buckets, tiers,
// segments, pagination) over the SQL engine and the hand-computed sample,
// on both stores: SQLite and a real PostgreSQL 15 (tests/support/postgres.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "query/sql_query_engine.h"
#include "reports/breakdown_report.h"
#include "reports/customer_report.h"
#include "reports/kpi_report.h"
#include "reports/trend_report.h"
#include "support/both_stores.h"
#include "support/sample_lines.h"

namespace analytics {
namespace {

using testing::SampleLines;
using testing::VectorSource;

Micros M(const char* decimal) { return *ParseDecimalMicros(decimal); }
Day D(const char* iso) { return *ParseIsoDay(iso); }

class ReportsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    testing::StoreWithSql opened = testing::OpenStoreWithSql(GetParam());
    ASSERT_NE(opened.store, nullptr);
    store_ = std::move(opened.store);
    engine_ = std::move(opened.sql);
    VectorSource source(SampleLines());
    ASSERT_TRUE(store_->Upsert(source).ok());
  }
  std::unique_ptr<Store> store_;
  std::unique_ptr<SqlQueryEngine> engine_;
};

INSTANTIATE_TEST_SUITE_P(Stores, ReportsTest, testing::kStoreKinds, testing::StoreKindName);

TEST_P(ReportsTest, KpisComparePeriodsOfEqualLength) {
  Filter filter;
  filter.start = D("2024-02-01");
  filter.end = D("2024-03-15");  // 44 days
  const KpiReport report = *BuildKpiReport(*engine_, filter);
  EXPECT_EQ(FormatIsoDay(report.previous_period->first), "2023-12-19");
  EXPECT_EQ(FormatIsoDay(report.previous_period->last), "2024-01-31");
  EXPECT_EQ(report.current.revenue, M("500.0001"));  // L3, L4, L5
  EXPECT_EQ(report.previous.revenue, M("150.105"));  // L1, L2
  EXPECT_EQ(report.previous.orders, 1);
}

TEST_P(ReportsTest, KpisWithOpenDatesUseTheDataSpan) {
  const KpiReport report = *BuildKpiReport(*engine_, {});
  EXPECT_EQ(FormatIsoDay(report.period->first), "2024-01-10");
  EXPECT_EQ(FormatIsoDay(report.period->last), "2024-03-15");
  EXPECT_EQ(report.current.revenue, M("650.1051"));
  EXPECT_EQ(report.previous, Measures{});
}

TEST_P(ReportsTest, KpisOnNoDataHaveNoPeriod) {
  Filter nowhere;
  nowhere.regions = {"North"};
  const KpiReport report = *BuildKpiReport(*engine_, nowhere);
  EXPECT_FALSE(report.period.has_value());
  EXPECT_EQ(report.current, Measures{});
}

TEST(PercentChange, IsUnsetFromZero) {
  EXPECT_FALSE(PercentChange(0, 10).has_value());
  EXPECT_DOUBLE_EQ(*PercentChange(200, 300), 50.0);
  EXPECT_DOUBLE_EQ(*PercentChange(-100, -50), 50.0);
}

TEST_P(ReportsTest, BreakdownSortsByProfitDescendingByDefault) {
  const BreakdownReport report =
      *BuildBreakdownReport(*engine_, {}, {.dimension = Dimension::kRegion});
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_EQ(report.rows[0].group.key, "East");  // profit 15.0195 > 10
  EXPECT_EQ(report.rows[1].group.key, "West");
  EXPECT_DOUBLE_EQ(report.rows[1].revenue_share, 500.0 / 650.1051);
  EXPECT_EQ(report.total.revenue, M("650.1051"));
  EXPECT_EQ(report.total_groups, 2);
}

TEST_P(ReportsTest, BreakdownSortsByAnyMeasureAndCutsTopN) {
  const BreakdownReport by_revenue = *BuildBreakdownReport(
      *engine_, {}, {.dimension = Dimension::kCategory, .order_by = Measure::kRevenue, .limit = 2});
  ASSERT_EQ(by_revenue.rows.size(), 2u);
  EXPECT_EQ(by_revenue.total_groups, 3);
  EXPECT_EQ(by_revenue.rows[0].group.key, "Furniture");   // 350.005
  EXPECT_EQ(by_revenue.rows[1].group.key, "Technology");  // 300.10
  const BreakdownReport by_margin_asc = *BuildBreakdownReport(
      *engine_, {},
      {.dimension = Dimension::kCategory, .order_by = Measure::kMargin, .ascending = true});
  // Furniture -35.0005/350.005 < Office Supplies 0/0.0001 < Technology 60.02/300.10.
  EXPECT_EQ(by_margin_asc.rows[0].group.key, "Furniture");
  EXPECT_EQ(by_margin_asc.rows[1].group.key, "Office Supplies");
  EXPECT_EQ(by_margin_asc.rows[2].group.key, "Technology");
}

TEST_P(ReportsTest, TrendFillsEmptyBucketsWithZerosAndClipsEdges) {
  Filter filter;
  filter.start = D("2024-01-15");
  filter.end = D("2024-04-30");
  const std::vector<TrendBucket> months = *BuildTrend(*engine_, filter, Granularity::kMonth);
  ASSERT_EQ(months.size(), 4u);
  EXPECT_EQ(FormatIsoDay(months[0].start), "2024-01-15");  // clipped
  EXPECT_EQ(FormatIsoDay(months[0].end), "2024-01-31");
  EXPECT_EQ(months[0].revenue, 0);  // L1, L2 are on Jan 10, outside the range
  EXPECT_EQ(months[1].label, "2024-02");
  EXPECT_EQ(months[1].revenue, M("200"));
  EXPECT_EQ(months[2].orders, 2);
  EXPECT_EQ(months[3].label, "2024-04");
  EXPECT_EQ(months[3].revenue, 0);
  const std::vector<TrendBucket> days = *BuildTrend(*engine_, {}, Granularity::kDay);
  EXPECT_EQ(days.size(), 66u);  // 2024-01-10 .. 2024-03-15
}

TEST_P(ReportsTest, TrendRefusesAbsurdBucketCounts) {
  Filter filter;
  filter.start = D("1900-01-01");
  filter.end = D("2999-12-31");
  EXPECT_EQ(BuildTrend(*engine_, filter, Granularity::kDay).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(BuildTrend(*engine_, filter, Granularity::kYear).ok());
}

TEST_P(ReportsTest, CustomersGetTiersAndSegments) {
  const ScoredCustomers scored = *ScoreAllCustomers(*engine_, {});
  EXPECT_EQ(FormatIsoDay(*scored.as_of), "2024-03-15");  // default: latest order date
  ASSERT_EQ(scored.customers.size(), 3u);
  // C1: F 2 -> Silver; R2 F4 M1 -> Others. C2: R1 F1 M2 -> Lost. C3: R2 F1 M4 -> Others.
  EXPECT_EQ(scored.customers[0].tier, Tier::kSilver);
  EXPECT_EQ(scored.customers[0].segment, RfmSegment::kOthers);
  EXPECT_EQ(scored.customers[1].tier, Tier::kBronze);
  EXPECT_EQ(scored.customers[1].segment, RfmSegment::kLost);
  EXPECT_EQ(scored.customers[2].segment, RfmSegment::kOthers);

  RfmQuery generous;
  generous.thresholds = {.gold_min_frequency = 2, .gold_min_monetary = M("100")};
  EXPECT_EQ(ScoreAllCustomers(*engine_, generous)->customers[0].tier, Tier::kGold);
}

// The classification kept by ClassificationCache serves only the very list
// (and thresholds) it was made for: an engine hands out a new list after a
// write, which must be classified afresh even when its records look alike.
TEST_P(ReportsTest, ClassificationCacheServesOnlyTheSameListAndThresholds) {
  ClassificationCache cache;
  const CustomerRfmList list = *engine_->ScoreCustomers({}, D("2024-03-15"));
  ASSERT_EQ(list->size(), 3u);
  const ScoredCustomerList first = cache.Classify(list, {});
  const ScoredCustomerList again = cache.Classify(list, {});
  EXPECT_EQ(first.classes(), again.classes());  // kept, not classified again
  const ScoredCustomerList reference = ClassifyCustomers(list, {});
  EXPECT_EQ(first.classes()->tiers, reference.classes()->tiers);
  EXPECT_EQ(first.classes()->segments, reference.classes()->segments);
  EXPECT_EQ(first[0].tier, Tier::kSilver);

  const TierThresholds generous = {.gold_min_frequency = 2, .gold_min_monetary = M("100")};
  const ScoredCustomerList other_thresholds = cache.Classify(list, generous);
  EXPECT_NE(other_thresholds.classes(), first.classes());
  EXPECT_EQ(other_thresholds[0].tier, Tier::kGold);

  // Another list (as after a write): C1 now qualifies for Gold by default.
  CustomerRfmRecords changed = *list;
  changed[0].frequency = 9;
  changed[0].monetary = M("5000");
  const CustomerRfmList next = MakeCustomerRfmList(std::move(changed), list);
  const ScoredCustomerList after_write = cache.Classify(next, {});
  EXPECT_NE(after_write.classes(), first.classes());
  EXPECT_EQ(after_write[0].tier, Tier::kGold);
  EXPECT_EQ(cache.Classify(list, {})[0].tier, Tier::kSilver);
}

TEST_P(ReportsTest, SummaryAggregatesPerTierAndSegment) {
  const RfmSummary summary = Summarize(*ScoreAllCustomers(*engine_, {}));
  EXPECT_EQ(summary.customers, 3);
  EXPECT_EQ(summary.revenue, M("650.1051"));
  const RfmGroupSummary& silver = summary.tiers[1];
  EXPECT_EQ(silver.customers, 1);
  EXPECT_EQ(silver.revenue, M("150.1051"));
  EXPECT_DOUBLE_EQ(silver.revenue_share, 150.1051 / 650.1051);
  const RfmGroupSummary& bronze = summary.tiers[2];
  EXPECT_EQ(bronze.customers, 2);
  EXPECT_DOUBLE_EQ(bronze.average_recency_days, 43.0 / 2);
  EXPECT_DOUBLE_EQ(bronze.average_frequency, 1.0);
  EXPECT_DOUBLE_EQ(bronze.average_monetary, 250.0);
  EXPECT_EQ(summary.tiers[0].customers, 0);  // Gold is listed even when empty
  EXPECT_EQ(summary.segments[static_cast<int>(RfmSegment::kOthers)].customers, 2);
  EXPECT_EQ(summary.segments[static_cast<int>(RfmSegment::kLost)].customers, 1);
}

CustomerSelection Selection(std::int64_t offset, std::int64_t limit,
                            std::optional<Tier> tier = std::nullopt,
                            CustomerOrder order = CustomerOrder{}) {
  CustomerSelection selection;
  selection.offset = offset;
  selection.limit = limit;
  selection.tier = tier;
  selection.order = order;
  return selection;
}

TEST_P(ReportsTest, CustomerListsSortFilterAndPage) {
  const ScoredCustomers scored = *ScoreAllCustomers(*engine_, {});
  CustomerPage first = SelectCustomers(scored, Selection(0, 2));
  ASSERT_EQ(first.customers.size(), 2u);
  EXPECT_EQ(first.customers[0].rfm.customer_id, "C3");  // monetary 300 > 200 > 150.1051
  EXPECT_EQ(first.customers[1].rfm.customer_id, "C2");
  EXPECT_TRUE(first.has_more);
  EXPECT_EQ(first.total_size, 3);
  CustomerPage second = SelectCustomers(scored, Selection(2, 2));
  ASSERT_EQ(second.customers.size(), 1u);
  EXPECT_EQ(second.customers[0].rfm.customer_id, "C1");
  EXPECT_FALSE(second.has_more);

  CustomerPage bronze =
      SelectCustomers(scored, Selection(0, 10, Tier::kBronze, *ParseCustomerOrder("recency_days")));
  ASSERT_EQ(bronze.customers.size(), 2u);
  EXPECT_EQ(bronze.customers[0].rfm.customer_id, "C3");  // 0 days before 43
}

// Sample data: C1 has lines L1 (Technology 100.10), L2 (Furniture 50.005)
// and L4 (Office Supplies 0.0001); the latest order date is 2024-03-15.
TEST_P(ReportsTest, FindCustomerScoresOneCustomerWithItsCategories) {
  absl::StatusOr<CustomerDetail> detail = FindCustomer(*engine_, {}, "C1");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->customer.rfm.customer_id, "C1");
  EXPECT_EQ(detail->customer.rfm.customer_name, "Annie");  // from the latest line
  EXPECT_EQ(detail->as_of, *ParseIsoDay("2024-03-15"));
  ASSERT_EQ(detail->categories.rows.size(), 3u);
  EXPECT_EQ(detail->categories.rows[0].group.key, "Technology");
  EXPECT_EQ(detail->categories.rows[1].group.key, "Furniture");
  EXPECT_EQ(detail->categories.rows[2].group.key, "Office Supplies");

  EXPECT_EQ(FindCustomer(*engine_, {}, "C9").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FindCustomer(*engine_, {}, "C").status().code(), absl::StatusCode::kNotFound);
}

TEST(ParseCustomerOrder, AcceptsFieldAndDirection) {
  EXPECT_EQ(*ParseCustomerOrder(""), (CustomerOrder{CustomerSortKey::kMonetary, true}));
  EXPECT_EQ(*ParseCustomerOrder("frequency desc"),
            (CustomerOrder{CustomerSortKey::kFrequency, true}));
  EXPECT_EQ(*ParseCustomerOrder("  Customer_ID  "),
            (CustomerOrder{CustomerSortKey::kCustomerId, false}));
  EXPECT_FALSE(ParseCustomerOrder("revenue").ok());
  EXPECT_FALSE(ParseCustomerOrder("monetary sideways").ok());
  EXPECT_FALSE(ParseCustomerOrder("monetary desc extra").ok());
  // An AIP-132 list is refused by name, not as a malformed field.
  for (const char* list : {"monetary desc, frequency", "monetary,frequency"}) {
    const absl::Status refused = ParseCustomerOrder(list).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << list;
    EXPECT_THAT(std::string(refused.message()), ::testing::StartsWith("order_by: one field only"))
        << list;
  }
}

}  // namespace
}  // namespace analytics
