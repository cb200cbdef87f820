// Renderers of API responses, checked on hand-built responses (no server).
#include "cli/render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "google/protobuf/util/json_util.h"

namespace analytics::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

v1::Measures MakeMeasures(std::int64_t revenue_micros, std::int64_t profit_micros,
                          std::int64_t orders) {
  v1::Measures m;
  m.set_revenue_micros(revenue_micros);
  m.set_profit_micros(profit_micros);
  // The doubles deliberately disagree with the micros: output must use micros.
  m.set_revenue(static_cast<double>(revenue_micros) / 1e6 + 0.004);
  m.set_profit(static_cast<double>(profit_micros) / 1e6 + 0.004);
  m.set_margin(revenue_micros == 0 ? 0 : static_cast<double>(profit_micros) / revenue_micros);
  m.set_orders(orders);
  m.set_customers(orders / 2);
  m.set_units(orders * 3);
  m.set_average_order_value(orders == 0 ? 0 : static_cast<double>(revenue_micros) / 1e6 / orders);
  return m;
}

TEST(RenderTest, KpisTableUsesExactMoneyAndMarksMissingChanges) {
  v1::GetKpisResponse r;
  r.set_period_start_date("2024-01-01");
  r.set_period_end_date("2024-12-31");
  r.set_previous_start_date("2023-01-01");
  r.set_previous_end_date("2023-12-31");
  *r.mutable_current() = MakeMeasures(1'234'567'891'234, 123'456'000'000, 1500);
  *r.mutable_previous() = MakeMeasures(0, 0, 0);
  r.mutable_change()->set_margin_points(10.0);
  const std::string table = RenderKpis(r, OutputFormat::kTable);
  EXPECT_THAT(table, HasSubstr("Period    2024-01-01 .. 2024-12-31\n"));
  EXPECT_THAT(table, HasSubstr("1,234,567.891234"));
  EXPECT_THAT(table, HasSubstr("123,456.00"));
  EXPECT_THAT(table, HasSubstr("n/a"));
  EXPECT_THAT(table, HasSubstr("+10.00 pts"));
  EXPECT_THAT(table, HasSubstr("1,500"));
}

TEST(RenderTest, KpisCsv) {
  v1::GetKpisResponse r;
  *r.mutable_current() = MakeMeasures(2'000'000, 500'000, 4);
  *r.mutable_previous() = MakeMeasures(1'000'000, 100'000, 2);
  r.mutable_change()->set_revenue_pct(100.0);
  const std::string csv = RenderKpis(r, OutputFormat::kCsv);
  EXPECT_THAT(csv, StartsWith("measure,current,previous,change,change_unit\n"));
  EXPECT_THAT(csv, HasSubstr("Revenue,2.00,1.00,100.000000,percent\n"));
  EXPECT_THAT(csv, HasSubstr("Orders,4,2,,percent\n"));
}

TEST(RenderTest, BreakdownTableHasTotalsAndLimitNote) {
  v1::GetBreakdownResponse r;
  r.set_dimension(v1::DIMENSION_REGION);
  r.set_total_groups(4);
  for (const auto& [name, revenue] : std::vector<std::pair<std::string, std::int64_t>>{
           {"West", 3'000'000'000}, {"East", 1'000'000}}) {
    v1::BreakdownRow* row = r.add_rows();
    row->set_key(name);
    row->set_label(name);
    *row->mutable_measures() = MakeMeasures(revenue, revenue / 10, 7);
    row->set_revenue_share(0.5);
  }
  *r.mutable_total() = MakeMeasures(3'001'000'000, 300'100'000, 14);
  const std::string table = RenderBreakdown(r, OutputFormat::kTable);
  EXPECT_THAT(table, StartsWith("Region"));
  EXPECT_THAT(table, HasSubstr("3,000.00"));
  EXPECT_THAT(table, HasSubstr("Total"));
  EXPECT_THAT(table, HasSubstr("Showing 2 of 4 groups"));
  EXPECT_THAT(table, Not(HasSubstr("Name")));  // only customer breakdowns have names

  const std::string csv = RenderBreakdown(r, OutputFormat::kCsv);
  EXPECT_THAT(csv, StartsWith("key,revenue,profit,margin,orders,customers,average_order_value,"
                              "units,revenue_share\n"));
  EXPECT_THAT(csv, HasSubstr("West,3000.00,300.00,0.100000,7,3,428.57,21,0.500000\n"));
  EXPECT_THAT(csv, Not(HasSubstr("Total")));
}

TEST(RenderTest, CustomerBreakdownShowsNames) {
  v1::GetBreakdownResponse r;
  r.set_dimension(v1::DIMENSION_CUSTOMER);
  v1::BreakdownRow* row = r.add_rows();
  row->set_key("C-1");
  row->set_label("Ada Lovelace");
  const std::string csv = RenderBreakdown(r, OutputFormat::kCsv);
  EXPECT_THAT(csv, StartsWith("key,label,"));
  EXPECT_THAT(csv, HasSubstr("C-1,Ada Lovelace,"));
}

TEST(RenderTest, TrendTotalsAreExactSums) {
  v1::GetSalesTrendResponse r;
  for (int month = 1; month <= 3; ++month) {
    v1::TrendBucket* b = r.add_buckets();
    b->set_label("2024-0" + std::to_string(month));
    b->set_start_date("2024-0" + std::to_string(month) + "-01");
    b->set_end_date("2024-0" + std::to_string(month) + "-28");
    b->set_revenue_micros(100'000);  // 0.10 three times is exactly 0.30
    b->set_profit_micros(-10'000);
    b->set_orders(month);
  }
  const std::string table = RenderTrend(r, OutputFormat::kTable);
  EXPECT_THAT(table, HasSubstr("Total    2024-01-01  2024-03-28     0.30   -0.03  -10.0%       6"));
  EXPECT_THAT(RenderTrend(r, OutputFormat::kCsv),
              StartsWith("label,start_date,end_date,revenue,profit,margin,orders\n"
                         "2024-01,2024-01-01,2024-01-28,0.10,-0.01,-0.100000,1\n"));
}

TEST(RenderTest, RfmCsvListsTiersThenSegments) {
  v1::GetRfmSummaryResponse r;
  v1::RfmGroup* gold = r.add_tiers();
  gold->set_tier(v1::TIER_GOLD);
  gold->set_display_name("Gold");
  gold->set_customers(3);
  v1::RfmGroup* lost = r.add_segments();
  lost->set_rfm_segment(v1::RFM_SEGMENT_CANT_LOSE_THEM);
  lost->set_display_name("Can't Lose Them");
  const std::string csv = RenderRfm(r, OutputFormat::kCsv);
  EXPECT_THAT(csv, StartsWith("group,name,customers,revenue,revenue_share,"));
  EXPECT_THAT(csv, HasSubstr("\ntier,gold,3,"));
  EXPECT_THAT(csv, HasSubstr("\nsegment,cant-lose-them,0,"));
  EXPECT_THAT(RenderRfm(r, OutputFormat::kTable), HasSubstr("Can't Lose Them"));
}

TEST(RenderTest, CustomersFooterTellsTheNextPageToken) {
  v1::ListCustomersResponse r;
  v1::Customer* c = r.add_customers();
  c->set_customer_id("C-1");
  c->set_tier(v1::TIER_GOLD);
  c->set_rfm_segment(v1::RFM_SEGMENT_CHAMPIONS);
  c->set_monetary_micros(2'500'000'000);
  r.set_total_size(10);
  r.set_next_page_token("abc");
  r.set_as_of_date("2024-06-30");
  const std::string table = RenderCustomers(r, OutputFormat::kTable);
  EXPECT_THAT(table, HasSubstr("Gold"));
  EXPECT_THAT(table, HasSubstr("Champions"));
  EXPECT_THAT(table, HasSubstr("2,500.00"));
  EXPECT_THAT(table, HasSubstr("1 of 10 customers, RFM as of 2024-06-30."));
  EXPECT_THAT(table, HasSubstr("Next page: --page-token abc"));
  const std::string csv = RenderCustomers(r, OutputFormat::kCsv);
  EXPECT_THAT(csv, StartsWith("customer_id,customer_name,segment,region,tier,rfm_segment,"));
  EXPECT_THAT(csv, HasSubstr("C-1,,,,gold,champions,"));
  EXPECT_THAT(RenderCustomers(r, OutputFormat::kCsv, false), StartsWith("C-1,"));
}

TEST(RenderTest, ImportSummaryExplainsAnUncommittedImport) {
  v1::ImportCsvResponse r;
  r.set_lines_read(3);
  r.set_rejected(1);
  v1::RejectedLine* line = r.add_rejected_lines();
  line->set_line_number(3);
  line->set_field("Sales");
  line->set_reason("not a number");
  const std::string table = RenderImport(r, /*dry_run=*/false, OutputFormat::kTable);
  EXPECT_THAT(table, HasSubstr("no (rejected lines; see --skip-invalid)"));
  EXPECT_THAT(table, HasSubstr("Sales  not a number"));
  EXPECT_THAT(RenderImport(r, /*dry_run=*/true, OutputFormat::kTable), HasSubstr("no (dry run)"));
}

TEST(RenderTest, JsonRoundTripsAndIncludesZeroFields) {
  v1::GetKpisResponse r;
  r.set_period_start_date("2024-01-01");
  *r.mutable_current() = MakeMeasures(1'000'000, 0, 1);
  const std::string json = RenderJson(r);
  EXPECT_THAT(json, HasSubstr("\"revenueMicros\":\"1000000\""));
  EXPECT_THAT(json, HasSubstr("\"profitMicros\":\"0\""));
  v1::GetKpisResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok());
  EXPECT_EQ(parsed.current().revenue_micros(), 1'000'000);
}

TEST(RenderTest, CustomerCsvSplitsTheScores) {
  v1::GetCustomerResponse r;
  r.mutable_customer()->set_customer_id("C-9");
  r.mutable_customer()->set_recency_score(5);
  r.mutable_customer()->set_frequency_score(4);
  r.mutable_customer()->set_monetary_score(3);
  const std::string csv = RenderCustomer(r, OutputFormat::kCsv);
  EXPECT_THAT(csv, HasSubstr(",recency_score,frequency_score,monetary_score\n"));
  EXPECT_THAT(csv, HasSubstr(",5,4,3\n"));
  EXPECT_THAT(RenderCustomer(r, OutputFormat::kTable), HasSubstr("Scores R/F/M      5/4/3\n"));
}

TEST(RenderTest, DisplayNames) {
  EXPECT_EQ(TierName(v1::TIER_SILVER), "Silver");
  EXPECT_EQ(RfmSegmentName(v1::RFM_SEGMENT_ABOUT_TO_SLEEP), "About To Sleep");
  EXPECT_EQ(DimensionName(v1::DIMENSION_SUB_CATEGORY), "Sub-Category");
}

}  // namespace
}  // namespace analytics::cli
