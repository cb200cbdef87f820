// Fitted models through the engine: the cache (one fit until a write), the
// holdout check's actual count, listing (filters, order, pages) and
// single-customer lookups.
#include "predict/prediction_report.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "query/columnar/columnar_engine.h"
#include "store/order_store.h"
#include "support/sample_lines.h"

namespace analytics::predict {
namespace {

using analytics::testing::SampleLine;
using analytics::testing::VectorSource;

Day D(const char* iso) { return *ParseIsoDay(iso); }

// 400 customers starting in Jan-Feb 2024 and buying as BG/NBD says
// (weekly rate ~ Gamma(0.8, 4), dropout after a purchase ~ Beta(1.2, 3)),
// until the end of 2024; one line per order day.
std::vector<OrderLine> Lines() {
  std::mt19937_64 rng(3);
  std::gamma_distribution<double> rate(0.8, 1 / 4.0), ga(1.2, 1), gb(3.0, 1);
  std::vector<OrderLine> lines;
  const Day start = D("2024-01-01");
  const Day end = D("2024-12-31");
  int key = 0;
  for (int c = 0; c < 400; ++c) {
    const std::string id = "C" + std::to_string(1000 + c);
    const double u = ga(rng), v = gb(rng);
    std::bernoulli_distribution drops(u / (u + v));
    std::exponential_distribution<double> wait(rate(rng) / 7);  // per day
    double day = start + static_cast<double>(rng() % 60);
    Day last = -1;
    for (int k = 0; day <= end; ++k) {
      const Day whole = static_cast<Day>(day);
      if (whole != last) {
        lines.push_back(SampleLine(std::to_string(++key), id + "-" + std::to_string(k),
                                   FormatIsoDay(whole), id, "N", c % 2 ? "East" : "West",
                                   "Technology", std::to_string(10 + (c * 7 + k * 3) % 90), "1",
                                   1));
        last = whole;
      }
      if (k > 0 && drops(rng)) break;
      day += wait(rng);
    }
  }
  return lines;
}

class PredictionReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *OrderStore::Open(":memory:");
    VectorSource source(Lines());
    ASSERT_TRUE(store_->Upsert(source).ok());
    engine_ = *ColumnarEngine::Create(*store_);
    query_.calibration_end = D("2024-06-30");
  }
  std::unique_ptr<OrderStore> store_;
  std::unique_ptr<ColumnarEngine> engine_;
  PredictionQuery query_;
  PredictionCache cache_;
};

TEST_F(PredictionReportTest, OneFitUntilAWrite) {
  const PredictionModelPtr first = *cache_.Model(*engine_, query_);
  EXPECT_EQ(cache_.fits(), 1);
  EXPECT_EQ(*cache_.Model(*engine_, query_), first);
  EXPECT_EQ(cache_.fits(), 1);
  // Another unit is another model.
  PredictionQuery days = query_;
  days.unit = TimeUnit::kDay;
  EXPECT_NE(*cache_.Model(*engine_, days), first);
  EXPECT_EQ(cache_.fits(), 2);
  VectorSource more(
      {SampleLine("new", "N1", "2024-03-01", "C1000", "N", "East", "Technology", "5", "1", 1)});
  ASSERT_TRUE(store_->Upsert(more).ok());
  const PredictionModelPtr after = *cache_.Model(*engine_, query_);
  EXPECT_NE(after, first);
  EXPECT_EQ(cache_.fits(), 3);
}

TEST_F(PredictionReportTest, ModelCountsAndHoldoutActuals) {
  const PredictionModel& m = **cache_.Model(*engine_, query_);
  EXPECT_EQ(m.calibration_end, D("2024-06-30"));
  EXPECT_EQ(m.bgnbd.customers, 400);  // everyone started by 2024-03-01
  std::int64_t repeaters = 0, holdout = 0;
  Day latest = 0;
  for (const OrderLine& line : Lines()) latest = std::max(latest, line.order_date);
  // One line per order day per customer in Lines(): count them directly.
  std::map<std::string, std::vector<Day>> days;
  for (const OrderLine& line : Lines()) days[line.customer_id].push_back(line.order_date);
  for (const auto& [id, d] : days) {
    int calibration = 0;
    for (const Day day : d) {
      if (day <= D("2024-06-30")) {
        ++calibration;
      } else {
        ++holdout;
      }
    }
    if (calibration > 1) ++repeaters;
  }
  EXPECT_EQ(m.bgnbd.repeaters, repeaters);
  ASSERT_TRUE(m.holdout.has_value());
  EXPECT_EQ(m.holdout->first_day, D("2024-07-01"));
  EXPECT_EQ(m.holdout->last_day, latest);
  EXPECT_EQ(m.holdout->actual_purchases, holdout);
  EXPECT_GT(m.holdout->expected_purchases, 0);
  EXPECT_TRUE(m.gamma_gamma.ok()) << m.gamma_gamma.status();
  // Without a calibration end: the latest day, and so no holdout.
  PredictionQuery open;
  const PredictionModel& all = **cache_.Model(*engine_, open);
  EXPECT_EQ(all.calibration_end, latest);
  EXPECT_FALSE(all.holdout.has_value());
}

TEST_F(PredictionReportTest, ListsFilterSortAndPage) {
  PredictionSelection selection;
  selection.limit = 1000;
  const PredictionPage all = *ListPredictions(*engine_, cache_, query_, {}, selection);
  ASSERT_EQ(all.total_size, 400);
  for (std::size_t i = 1; i < all.customers.size(); ++i) {
    EXPECT_GE(*all.customers[i - 1].prediction.clv, *all.customers[i].prediction.clv);
  }
  // Pages of 7 concatenate to the whole list.
  selection.limit = 7;
  std::vector<std::string_view> paged;
  for (selection.offset = 0;; selection.offset += 7) {
    const PredictionPage page = *ListPredictions(*engine_, cache_, query_, {}, selection);
    for (const PredictedCustomer& c : page.customers) paged.push_back(c.prediction.customer_id);
    if (!page.has_more) break;
  }
  ASSERT_EQ(paged.size(), 400u);
  for (std::size_t i = 0; i < paged.size(); ++i) {
    EXPECT_EQ(paged[i], all.customers[i].prediction.customer_id);
  }
  // At risk: P(alive) below 0.5, ascending.
  selection = {};
  selection.limit = 1000;
  selection.alive_below = 0.5;
  selection.order = *ParsePredictionOrder("p_alive asc");
  const PredictionPage risky = *ListPredictions(*engine_, cache_, query_, {}, selection);
  std::int64_t expected_risky = 0;
  for (const PredictedCustomer& c : all.customers)
    expected_risky += c.prediction.probability_alive < 0.5;
  EXPECT_EQ(risky.total_size, expected_risky);
  for (std::size_t i = 0; i < risky.customers.size(); ++i) {
    EXPECT_LT(risky.customers[i].prediction.probability_alive, 0.5);
    if (i > 0) {
      EXPECT_LE(risky.customers[i - 1].prediction.probability_alive,
                risky.customers[i].prediction.probability_alive);
    }
  }
  // By tier, as RFM as of the calibration end assigns it.
  selection = {};
  selection.limit = 1000;
  selection.tier = Tier::kBronze;
  const PredictionPage bronze = *ListPredictions(*engine_, cache_, query_, {}, selection);
  for (const PredictedCustomer& c : bronze.customers) {
    EXPECT_EQ(c.rfm.tier, Tier::kBronze);
    EXPECT_EQ(c.prediction.x, 0);  // Bronze: one order by then
    EXPECT_EQ(c.rfm.rfm.customer_id, c.prediction.customer_id);
  }
  EXPECT_GT(bronze.total_size, 0);
}

TEST_F(PredictionReportTest, OrderByIsParsedStrictly) {
  EXPECT_EQ(ParsePredictionOrder("")->key, PredictionSortKey::kClv);
  EXPECT_TRUE(ParsePredictionOrder("")->descending);
  EXPECT_FALSE(ParsePredictionOrder("clv")->descending);
  EXPECT_EQ(ParsePredictionOrder("expected_purchases desc")->key,
            PredictionSortKey::kExpectedPurchases);
  const absl::Status bad = ParsePredictionOrder("monetary").status();
  EXPECT_TRUE(absl::IsInvalidArgument(bad));
  EXPECT_EQ(bad.message().substr(0, 10), "order_by: ") << bad;
  EXPECT_TRUE(absl::IsInvalidArgument(ParsePredictionOrder("clv, p_alive").status()));
}

TEST_F(PredictionReportTest, FindsOneCustomer) {
  const PredictedCustomer c =
      *FindPrediction(*engine_, cache_, query_, {}, "C1003", TierThresholds{});
  EXPECT_EQ(c.prediction.customer_id, "C1003");
  EXPECT_EQ(c.rfm.rfm.customer_id, "C1003");
  EXPECT_TRUE(absl::IsNotFound(
      FindPrediction(*engine_, cache_, query_, {}, "nobody", TierThresholds{}).status()));
}

TEST_F(PredictionReportTest, NoMatchingLinesIsAFailedPrecondition) {
  PredictionQuery nowhere;
  nowhere.filter.regions = {"North"};
  EXPECT_TRUE(absl::IsFailedPrecondition(cache_.Model(*engine_, nowhere).status()));
}

}  // namespace
}  // namespace analytics::predict
