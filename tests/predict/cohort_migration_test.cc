// Cohorts and segment migration on hand-computed data, and their totals
// adding up.
#include <gtest/gtest.h>

#include "predict/cohort_report.h"
#include "predict/migration_report.h"
#include "query/columnar/columnar_engine.h"
#include "query/sql_query_engine.h"
#include "store/order_store.h"
#include "support/sample_lines.h"

namespace analytics {
namespace {

using analytics::testing::SampleLine;
using analytics::testing::VectorSource;

Day D(const char* iso) { return *ParseIsoDay(iso); }
Micros M(const char* decimal) { return *ParseDecimalMicros(decimal); }

OrderLine Line(std::string key, const char* date, std::string customer, const char* sales) {
  return SampleLine(key, "O" + key, date, std::move(customer), "N", "East", "Technology", sales,
                    "0", 1);
}

class CohortMigrationTest : public ::testing::Test {
 protected:
  void Load(std::vector<OrderLine> lines) {
    store_ = *OrderStore::Open(":memory:");
    VectorSource source(std::move(lines));
    ASSERT_TRUE(store_->Upsert(source).ok());
    sql_ = *SqlQueryEngine::Create(*store_);
    columnar_ = *ColumnarEngine::Create(*store_);
  }
  std::vector<QueryEngine*> Engines() { return {sql_.get(), columnar_.get()}; }
  std::unique_ptr<OrderStore> store_;
  std::unique_ptr<SqlQueryEngine> sql_;
  std::unique_ptr<ColumnarEngine> columnar_;
};

// A: 01-05 (10), 01-20 (5), 03-02 (7); B: 01-31 (20);
// C: 02-10 (3), 02-11 (4), 04-01 (1). Latest month: April.
std::vector<OrderLine> CohortLines() {
  return {Line("1", "2024-01-05", "A", "10"), Line("2", "2024-01-20", "A", "5"),
          Line("3", "2024-03-02", "A", "7"),  Line("4", "2024-01-31", "B", "20"),
          Line("5", "2024-02-10", "C", "3"),  Line("6", "2024-02-11", "C", "4"),
          Line("7", "2024-04-01", "C", "1")};
}

TEST_F(CohortMigrationTest, MonthlyCohortsByHand) {
  Load(CohortLines());
  for (QueryEngine* engine : Engines()) {
    const CohortReport r = *BuildCohortReport(*engine, {}, Granularity::kMonth);
    EXPECT_EQ(r.customers, 3);
    ASSERT_EQ(r.cohorts.size(), 2u);
    const CohortFigures& jan = r.cohorts[0];
    EXPECT_EQ(jan.start, D("2024-01-01"));
    EXPECT_EQ(jan.customers, 2);        // A, B
    ASSERT_EQ(jan.periods.size(), 4u);  // Jan .. Apr
    EXPECT_EQ(jan.periods[0].active_customers, 2);
    EXPECT_EQ(jan.periods[0].revenue, M("35"));
    EXPECT_DOUBLE_EQ(jan.periods[0].retention, 1.0);
    EXPECT_EQ(jan.periods[1].active_customers, 0);
    EXPECT_EQ(jan.periods[2].active_customers, 1);  // A in March
    EXPECT_EQ(jan.periods[2].revenue, M("7"));
    EXPECT_DOUBLE_EQ(jan.periods[2].retention, 0.5);
    EXPECT_EQ(jan.periods[3].active_customers, 0);
    const CohortFigures& feb = r.cohorts[1];
    EXPECT_EQ(feb.customers, 1);        // C
    ASSERT_EQ(feb.periods.size(), 3u);  // Feb .. Apr
    EXPECT_EQ(feb.periods[0].active_customers, 1);
    EXPECT_EQ(feb.periods[0].revenue, M("7"));
    EXPECT_EQ(feb.periods[2].active_customers, 1);
    EXPECT_EQ(feb.periods[2].revenue, M("1"));
  }
}

TEST_F(CohortMigrationTest, CohortsAddUpUnderEveryGranularity) {
  Load(CohortLines());
  for (const Granularity g : {Granularity::kWeek, Granularity::kMonth, Granularity::kQuarter}) {
    const CohortReport r = *BuildCohortReport(*columnar_, {}, g);
    std::int64_t sizes = 0;
    Micros revenue = 0;
    for (const CohortFigures& c : r.cohorts) {
      sizes += c.customers;
      EXPECT_EQ(c.periods[0].active_customers, c.customers);  // everyone buys when acquired
      for (const CohortPeriodFigures& p : c.periods) revenue += p.revenue;
    }
    EXPECT_EQ(sizes, 3);
    EXPECT_EQ(revenue, M("50"));
  }
  // Quarterly: everyone in Q1 2024; Q2 has A? no: C (04-01).
  const CohortReport q = *BuildCohortReport(*sql_, {}, Granularity::kQuarter);
  ASSERT_EQ(q.cohorts.size(), 1u);
  EXPECT_EQ(q.cohorts[0].periods[1].active_customers, 1);
  EXPECT_TRUE(absl::IsInvalidArgument(BuildCohortReport(*sql_, {}, Granularity::kDay).status()));
  EXPECT_EQ(PeriodsBetween(D("2023-12-01"), D("2024-02-01"), Granularity::kMonth), 2);
  EXPECT_EQ(PeriodsBetween(D("2023-10-01"), D("2024-04-01"), Granularity::kQuarter), 2);
  EXPECT_EQ(PeriodsBetween(D("2024-01-01"), D("2024-01-15"), Granularity::kWeek), 2);
}

// A: 01-01 (100), 02-01 (100): Bronze at 01-31, Silver at 03-31.
// B: 01-10 (30), 01-20 (40): Silver at both. C: 03-01 (50): new.
TEST_F(CohortMigrationTest, TierMigrationByHand) {
  Load({Line("1", "2024-01-01", "A", "100"), Line("2", "2024-02-01", "A", "100"),
        Line("3", "2024-01-10", "B", "30"), Line("4", "2024-01-20", "B", "40"),
        Line("5", "2024-03-01", "C", "50")});
  for (QueryEngine* engine : Engines()) {
    const MigrationReport r =
        *BuildMigrationReport(*engine, {}, D("2024-01-31"), D("2024-03-31"), {});
    EXPECT_EQ(r.customers_at_from, 2);
    EXPECT_EQ(r.new_customers, 1);
    const auto bronze = static_cast<std::size_t>(Tier::kBronze);
    const auto silver = static_cast<std::size_t>(Tier::kSilver);
    EXPECT_EQ(r.tiers[bronze][silver].customers, 1);  // A
    EXPECT_EQ(r.tiers[bronze][silver].revenue, M("100"));
    EXPECT_EQ(r.tiers[silver][silver].customers, 1);  // B
    EXPECT_EQ(r.tiers[silver][silver].revenue, 0);
    EXPECT_EQ(r.tiers[kAllTiers.size()][bronze].customers, 1);  // C, new
    EXPECT_EQ(r.tiers[kAllTiers.size()][bronze].revenue, M("50"));
    // Rows (without "new") sum to the customers at the first date, for
    // tiers and segments alike; all revenue in between is accounted for.
    for (const bool tiers : {true, false}) {
      std::int64_t rows = 0;
      Micros revenue = 0;
      const std::size_t n = tiers ? kAllTiers.size() : kAllSegments.size();
      for (std::size_t from = 0; from <= n; ++from) {
        for (std::size_t to = 0; to < n; ++to) {
          const MigrationCell& cell = tiers ? r.tiers[from][to] : r.segments[from][to];
          if (from < n) rows += cell.customers;
          revenue += cell.revenue;
        }
      }
      EXPECT_EQ(rows, r.customers_at_from);
      EXPECT_EQ(revenue, M("150"));
    }
  }
  EXPECT_TRUE(absl::IsInvalidArgument(
      BuildMigrationReport(*sql_, {}, D("2024-03-31"), D("2024-01-31"), {}).status()));
}

}  // namespace
}  // namespace analytics
