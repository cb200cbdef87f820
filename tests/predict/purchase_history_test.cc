// x, t_x and T from order days (same-day orders merged), and the order days
// the engines hand out, on hand-computed data.
#include "predict/purchase_history.h"

#include <gtest/gtest.h>

#include "query/columnar/columnar_engine.h"
#include "query/sql_query_engine.h"
#include "store/order_store.h"
#include "support/sample_lines.h"

namespace analytics::predict {
namespace {

using analytics::testing::SampleLine;
using analytics::testing::VectorSource;

Day D(const char* iso) { return *ParseIsoDay(iso); }

OrderLine Line(std::string key, std::string order, const char* date, std::string customer,
               const char* sales) {
  return SampleLine(std::move(key), std::move(order), date, std::move(customer), "N", "East",
                    "Technology", sales, "0", 1);
}

// A: two orders on 2024-01-01 (one purchase day), one line 2024-01-15, one
//    on 2024-01-29 and one after the calibration end (2024-02-10).
// B: one order on 2024-01-08, with two lines.
// C: first order 2024-02-05, after the calibration end 2024-01-31.
std::vector<OrderLine> Lines() {
  return {Line("1", "A1", "2024-01-01", "A", "10"), Line("2", "A2", "2024-01-01", "A", "5"),
          Line("3", "A3", "2024-01-15", "A", "20"), Line("4", "A4", "2024-01-29", "A", "30"),
          Line("5", "A5", "2024-02-10", "A", "7"),  Line("6", "B1", "2024-01-08", "B", "3"),
          Line("7", "B1", "2024-01-08", "B", "4"),  Line("8", "C1", "2024-02-05", "C", "9")};
}

class CustomerDaysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *OrderStore::Open(":memory:");
    VectorSource source(Lines());
    ASSERT_TRUE(store_->Upsert(source).ok());
    sql_ = *SqlQueryEngine::Create(*store_);
    columnar_ = *ColumnarEngine::Create(*store_);
  }
  std::unique_ptr<OrderStore> store_;
  std::unique_ptr<SqlQueryEngine> sql_;
  std::unique_ptr<ColumnarEngine> columnar_;
};

void ExpectHandComputedDays(const CustomerDayHistory& h) {
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.customer_ids[0], "A");
  EXPECT_EQ(h.customer_ids[1], "B");
  EXPECT_EQ(h.customer_ids[2], "C");
  ASSERT_EQ(h.offsets, (std::vector<std::uint32_t>{0, 4, 5, 6}));
  EXPECT_EQ(h.days, (std::vector<Day>{D("2024-01-01"), D("2024-01-15"), D("2024-01-29"),
                                      D("2024-02-10"), D("2024-01-08"), D("2024-02-05")}));
  EXPECT_EQ(h.sales, (std::vector<Micros>{15'000'000, 20'000'000, 30'000'000, 7'000'000, 7'000'000,
                                          9'000'000}));
}

TEST_F(CustomerDaysTest, BothEnginesMergeSameDayOrders) {
  ExpectHandComputedDays(**sql_->CustomerDays({}));
  ExpectHandComputedDays(**columnar_->CustomerDays({}));
  // The default (Breakdown and one Trend per customer) agrees too.
  ExpectHandComputedDays(**sql_->QueryEngine::CustomerDays({}));
}

TEST_F(CustomerDaysTest, ColumnarHandsOutTheSameAnswerUntilAWrite) {
  const CustomerDayList first = *columnar_->CustomerDays({});
  EXPECT_EQ(*columnar_->CustomerDays({}), first);
  VectorSource more({Line("9", "B2", "2024-01-20", "B", "1")});
  ASSERT_TRUE(store_->Upsert(more).ok());
  const CustomerDayList after = *columnar_->CustomerDays({});
  EXPECT_NE(after, first);
  EXPECT_EQ(after->offsets[2] - after->offsets[1], 2u);  // B now has two days
}

TEST_F(CustomerDaysTest, TheFilterNarrowsTheLinesFirst) {
  Filter filter;
  filter.end = D("2024-01-15");
  for (QueryEngine* engine :
       {static_cast<QueryEngine*>(sql_.get()), static_cast<QueryEngine*>(columnar_.get())}) {
    const CustomerDayList h = *engine->CustomerDays(filter);
    ASSERT_EQ(h->size(), 2u);
    EXPECT_EQ(h->offsets, (std::vector<std::uint32_t>{0, 2, 3}));
  }
}

TEST_F(CustomerDaysTest, CalibrationSummaryByHand) {
  const PurchaseHistories h = SummarizePurchases(*columnar_->CustomerDays({}), D("2024-01-31"));
  EXPECT_EQ(h.latest_day, D("2024-02-10"));
  EXPECT_EQ(h.later_customers, 1);  // C
  EXPECT_EQ(h.repeaters, 1);        // A
  ASSERT_EQ(h.customers.size(), 2u);
  const PurchaseSummary& a = h.customers[0];
  EXPECT_EQ(a.customer_id, "A");
  EXPECT_EQ(a.x, 2);          // 01-15, 01-29 after the merged 01-01
  EXPECT_EQ(a.t_x_days, 28);  // 01-01 .. 01-29
  EXPECT_EQ(a.t_days, 30);    // 01-01 .. 01-31
  EXPECT_EQ(a.first_sales, 15'000'000);
  EXPECT_EQ(a.repeat_sales, 50'000'000);
  EXPECT_DOUBLE_EQ(a.MeanRepeatValue(), 25.0);
  EXPECT_EQ(a.holdout_purchases, 1);
  EXPECT_EQ(a.holdout_sales, 7'000'000);
  const PurchaseSummary& b = h.customers[1];
  EXPECT_EQ(b.x, 0);
  EXPECT_EQ(b.t_x_days, 0);
  EXPECT_EQ(b.t_days, 23);  // 01-08 .. 01-31
  EXPECT_EQ(b.MeanRepeatValue(), 0.0);
  // In weeks: t_x = 4, T = 30 / 7.
  EXPECT_DOUBLE_EQ(a.t_x_days / DaysPerUnit(TimeUnit::kWeek), 4.0);
}

}  // namespace
}  // namespace analytics::predict
