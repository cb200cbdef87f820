// The SQL engine's primitives on the hand-computed sample (support/sample_lines.h),
// on both stores: SQLite and a real PostgreSQL 15 (support/both_stores.h).
#include "query/sql_query_engine.h"

#include <gtest/gtest.h>

#include "support/both_stores.h"
#include "support/sample_lines.h"

namespace analytics {
namespace {

using testing::SampleLines;
using testing::VectorSource;

Micros M(const char* decimal) { return *ParseDecimalMicros(decimal); }

class SqlQueryEngineTest : public ::testing::TestWithParam<std::string> {
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

INSTANTIATE_TEST_SUITE_P(Stores, SqlQueryEngineTest, testing::kStoreKinds, testing::StoreKindName);

TEST_P(SqlQueryEngineTest, TotalsFollowTheDefinitions) {
  const Measures m = *engine_->Totals({});
  // 100.10 + 50.005 + 200 + 0.0001 + 300; 20.02 - 5.0005 + 40 + 0 - 30.
  EXPECT_EQ(m.revenue, M("650.1051"));
  EXPECT_EQ(m.profit, M("25.0195"));
  EXPECT_EQ(m.orders, 4);     // O1..O4
  EXPECT_EQ(m.customers, 3);  // C1..C3
  EXPECT_EQ(m.units, 11);
  EXPECT_DOUBLE_EQ(m.Margin(), 25.0195 / 650.1051);
  EXPECT_DOUBLE_EQ(m.AverageOrderValue(), 650.1051 / 4);
}

TEST_P(SqlQueryEngineTest, FiltersNarrowLinesBeforeAggregation) {
  Filter west_furniture;
  west_furniture.regions = {"West"};
  west_furniture.categories = {"Furniture"};
  EXPECT_EQ(
      *engine_->Totals(west_furniture),
      (Measures{.revenue = M("300"), .profit = M("-30"), .orders = 1, .customers = 1, .units = 4}));

  Filter february;
  february.start = *ParseIsoDay("2024-02-01");
  february.end = *ParseIsoDay("2024-03-14");
  EXPECT_EQ(engine_->Totals(february)->revenue, M("200"));

  Filter two_regions;
  two_regions.regions = {"East", "West"};
  EXPECT_EQ(engine_->Totals(two_regions)->revenue, M("650.1051"));

  Filter states;
  states.states = {"East State"};
  states.sub_categories = {"Technology Sub", "Furniture Sub"};
  states.segments = {"Consumer"};
  EXPECT_EQ(engine_->Totals(states)->revenue, M("150.105"));
}

TEST_P(SqlQueryEngineTest, AFilterThatExcludesEverythingGivesZerosAndNoSpan) {
  Filter nowhere;
  nowhere.regions = {"North"};
  EXPECT_EQ(*engine_->Totals(nowhere), Measures{});
  EXPECT_FALSE(engine_->Span(nowhere)->has_value());
  EXPECT_TRUE(engine_->Breakdown(nowhere, Dimension::kRegion)->empty());
  EXPECT_TRUE(engine_->Trend(nowhere, Granularity::kMonth)->empty());
  EXPECT_TRUE((*engine_->ScoreCustomers(nowhere, *ParseIsoDay("2024-03-15")))->empty());
}

TEST_P(SqlQueryEngineTest, FilterValuesAreDataNotSql) {
  Filter hostile;
  hostile.regions = {"East' OR '1'='1", "\"]', 1); DROP TABLE order_lines; --"};
  EXPECT_EQ(*engine_->Totals(hostile), Measures{});
  EXPECT_EQ(*store_->CountLines(), 5);
}

TEST_P(SqlQueryEngineTest, BreakdownGroupsByDimension) {
  std::vector<GroupMeasures> regions = *engine_->Breakdown({}, Dimension::kRegion);
  std::sort(regions.begin(), regions.end(),
            [](const GroupMeasures& a, const GroupMeasures& b) { return a.key < b.key; });
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].key, "East");
  EXPECT_EQ(regions[0].measures, (Measures{.revenue = M("150.1051"),
                                           .profit = M("15.0195"),
                                           .orders = 2,
                                           .customers = 1,
                                           .units = 4}));
  EXPECT_EQ(
      regions[1].measures,
      (Measures{.revenue = M("500"), .profit = M("10"), .orders = 2, .customers = 2, .units = 7}));
}

TEST_P(SqlQueryEngineTest, CustomerBreakdownIsLabelledWithTheLatestName) {
  std::vector<GroupMeasures> customers = *engine_->Breakdown({}, Dimension::kCustomer);
  std::sort(customers.begin(), customers.end(),
            [](const GroupMeasures& a, const GroupMeasures& b) { return a.key < b.key; });
  ASSERT_EQ(customers.size(), 3u);
  EXPECT_EQ(customers[0].key, "C1");
  EXPECT_EQ(customers[0].label, "Annie");  // L4, 2024-03-15, is C1's latest line
  EXPECT_EQ(customers[0].measures.orders, 2);
}

TEST_P(SqlQueryEngineTest, TrendBucketsByMonthAndCountsDistinctOrders) {
  const std::vector<TrendPoint> months = *engine_->Trend({}, Granularity::kMonth);
  ASSERT_EQ(months.size(), 3u);
  EXPECT_EQ(FormatIsoDay(months[0].bucket_start), "2024-01-01");
  EXPECT_EQ(months[0].revenue, M("150.105"));
  EXPECT_EQ(months[0].profit, M("15.0195"));
  EXPECT_EQ(months[0].orders, 1);
  EXPECT_EQ(months[2].revenue, M("300.0001"));
  EXPECT_EQ(months[2].orders, 2);
  const std::vector<TrendPoint> weeks = *engine_->Trend({}, Granularity::kWeek);
  EXPECT_EQ(FormatIsoDay(weeks[0].bucket_start), "2024-01-08");  // the Monday
}

TEST_P(SqlQueryEngineTest, ScoresFollowTheContractAsOfTheLatestDate) {
  const CustomerRfmList list = *engine_->ScoreCustomers({}, *ParseIsoDay("2024-03-15"));
  const CustomerRfmRecords& scored = *list;
  ASSERT_EQ(scored.size(), 3u);
  const CustomerRfm& c1 = scored[0];
  const CustomerRfm& c2 = scored[1];
  const CustomerRfm& c3 = scored[2];
  // Recency: C1 0, C2 43 (Feb 1 -> Mar 15, 2024 is a leap year), C3 0.
  EXPECT_EQ(c1.recency_days, 0);
  EXPECT_EQ(c2.recency_days, 43);
  EXPECT_EQ(c3.recency_days, 0);
  // N = 3. R: C1 and C3 have W = 1 -> 1 + 5/3 = 2; C2 W = 0 -> 1.
  EXPECT_EQ(c1.recency_score, 2);
  EXPECT_EQ(c2.recency_score, 1);
  EXPECT_EQ(c3.recency_score, 2);
  // F: C1 2 orders, W = 2 -> 1 + 10/3 = 4; C2 and C3 1 order -> 1.
  EXPECT_EQ(c1.frequency, 2);
  EXPECT_EQ(c1.frequency_score, 4);
  EXPECT_EQ(c2.frequency_score, 1);
  EXPECT_EQ(c3.frequency_score, 1);
  // M: 150.1051 < 200 < 300 -> W 0, 1, 2 -> 1, 2, 4.
  EXPECT_EQ(c1.monetary, M("150.1051"));
  EXPECT_EQ(c1.monetary_score, 1);
  EXPECT_EQ(c2.monetary_score, 2);
  EXPECT_EQ(c3.monetary_score, 4);
  EXPECT_EQ(c1.customer_name, "Annie");
  EXPECT_EQ(FormatIsoDay(c1.first_order), "2024-01-10");
  EXPECT_EQ(FormatIsoDay(c1.last_order), "2024-03-15");
}

TEST_P(SqlQueryEngineTest, AnEarlierAsOfDateDropsLaterLinesButKeepsLifetimeFigures) {
  const CustomerRfmList list = *engine_->ScoreCustomers({}, *ParseIsoDay("2024-02-01"));
  const CustomerRfmRecords& scored = *list;
  ASSERT_EQ(scored.size(), 2u);  // C3's only line is after D
  const CustomerRfm& c1 = scored[0];
  const CustomerRfm& c2 = scored[1];
  EXPECT_EQ(c1.recency_days, 22);
  EXPECT_EQ(c1.frequency, 1);
  EXPECT_EQ(c1.monetary, M("150.105"));
  EXPECT_EQ(c1.lifetime_revenue, M("150.1051"));
  EXPECT_EQ(c1.lifetime_orders, 2);
  // N = 2: R C1 W 0 -> 1, C2 W 1 -> 1 + 5/2 = 3; F tie -> 1, 1; M 1, 3.
  EXPECT_EQ(c1.recency_score, 1);
  EXPECT_EQ(c2.recency_score, 3);
  EXPECT_EQ(c1.frequency_score, 1);
  EXPECT_EQ(c2.frequency_score, 1);
  EXPECT_EQ(c1.monetary_score, 1);
  EXPECT_EQ(c2.monetary_score, 3);
}

TEST_P(SqlQueryEngineTest, AsOfBeforeTheFirstOrderScoresNobody) {
  EXPECT_TRUE((*engine_->ScoreCustomers({}, *ParseIsoDay("2023-12-31")))->empty());
}

TEST_P(SqlQueryEngineTest, OneCustomerScoresOneEverywhere) {
  Filter only_c2;
  only_c2.customer_ids = {"C2"};
  const CustomerRfmList list = *engine_->ScoreCustomers(only_c2, *ParseIsoDay("2024-03-15"));
  const CustomerRfmRecords& scored = *list;
  ASSERT_EQ(scored.size(), 1u);
  EXPECT_EQ(scored[0].recency_score, 1);
  EXPECT_EQ(scored[0].frequency_score, 1);
  EXPECT_EQ(scored[0].monetary_score, 1);
}

TEST(SqlQueryEngineEmptyStore, AnswersWithZeros) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  std::unique_ptr<SqlQueryEngine> engine = *SqlQueryEngine::Create(*store);
  EXPECT_EQ(*engine->Totals({}), Measures{});
  EXPECT_FALSE(engine->Span({})->has_value());
  EXPECT_TRUE((*engine->ScoreCustomers({}, 0))->empty());
}

}  // namespace
}  // namespace analytics
