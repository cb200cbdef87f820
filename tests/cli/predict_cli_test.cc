// analytics-cli clv, cohorts and migration: the real binary against a real
// server holding the CDNOW sample (imported with analytics-cli import).
// Tables and CSV are checked against the same command's --json output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../fixtures/cdnow.h"
#include "absl/strings/str_split.h"
#include "cli_fixture.h"
#include "customer_analytics/v1/analytics_service.pb.h"
#include "support/process.h"

namespace {

namespace v1 = ::customer_analytics::v1;
using ::analytics::testing::CdnowFigures;
using ::analytics::testing::CommandResult;
using ::analytics::testing::Lines;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class PredictCliTest : public analytics::testing::CliServerTest<PredictCliTest> {
 public:
  static void Load() {
    const CommandResult imported =
        Cli({"import", analytics::testing::CdnowSamplePath(), "--quiet"});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }
};

TEST_F(PredictCliTest, ClvFitShowsThePublishedParameters) {
  const auto fit = Json<v1::GetPredictionFitResponse>(
      {"clv", "--fit", "--calibration-end", CdnowFigures::kCalibrationEnd});
  EXPECT_EQ(fit.customers(), CdnowFigures::kCustomers);
  EXPECT_TRUE(analytics::testing::MatchesToTheDigits(fit.bgnbd().r(), CdnowFigures::kR, 3));
  const CommandResult table =
      Cli({"clv", "--fit", "--calibration-end", CdnowFigures::kCalibrationEnd});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("0.2426"));  // r to 4 decimals
  EXPECT_THAT(table.out, HasSubstr("Holdout purchases, actual"));
  EXPECT_THAT(table.out, HasSubstr("1997-10-01 .. 1998-06-30"));
}

TEST_F(PredictCliTest, ClvListsCustomersByValueInEveryFormat) {
  const std::vector<std::string> args = {"clv", "--calibration-end", CdnowFigures::kCalibrationEnd,
                                         "--limit", "5"};
  const auto json = Json<v1::ListCustomerPredictionsResponse>(args);
  ASSERT_EQ(json.predictions_size(), 5);
  EXPECT_EQ(json.total_size(), CdnowFigures::kCustomers);
  const CommandResult table = Cli(args);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  // Header, rule, five rows, then the summary.
  const std::vector<std::string> lines = Lines(table.out);
  ASSERT_GE(lines.size(), 7u);
  EXPECT_THAT(lines[0], StartsWith("Customer"));
  EXPECT_THAT(lines[2], StartsWith(json.predictions(0).customer_id() + " "));
  EXPECT_THAT(table.out, HasSubstr("5 of 2,357 customers, predicted as of 1997-09-30"));
  std::vector<std::string> csv_args = args;
  csv_args.push_back("--csv");
  const CommandResult csv = Cli(csv_args);
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const std::vector<std::string> rows = Lines(csv.out);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_THAT(rows[0], StartsWith("customer_id,customer_name,tier,rfm_segment,repeat_purchases"));
  EXPECT_THAT(rows[1], StartsWith(json.predictions(0).customer_id() + ","));
  // At risk: every row below the threshold.
  const auto risky = Json<v1::ListCustomerPredictionsResponse>(
      {"clv", "--calibration-end", CdnowFigures::kCalibrationEnd, "--at-risk", "0.2", "--order-by",
       "p_alive", "--limit", "1000"});
  EXPECT_GT(risky.total_size(), 0);
  for (const v1::CustomerPrediction& p : risky.predictions()) EXPECT_LT(p.probability_alive(), 0.2);
}

TEST_F(PredictCliTest, CohortsTableAndCsvAddUp) {
  const auto json = Json<v1::GetCohortsResponse>({"cohorts"});
  ASSERT_EQ(json.cohorts_size(), 3);
  EXPECT_EQ(json.customers(), CdnowFigures::kCustomers);
  const CommandResult table = Cli({"cohorts"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("1997-01"));
  EXPECT_THAT(table.out, HasSubstr("100.0%"));  // everyone buys when acquired
  const CommandResult csv = Cli({"cohorts", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::size_t periods = 0;
  for (const v1::Cohort& c : json.cohorts()) periods += static_cast<std::size_t>(c.periods_size());
  EXPECT_EQ(Lines(csv.out).size(), periods + 1);
}

TEST_F(PredictCliTest, MigrationRowsSumToTheCustomers) {
  for (const std::string by : {"tier", "segment"}) {
    const auto json = Json<v1::GetSegmentMigrationResponse>(
        {"migration", "1997-06-30", "1998-06-30", "--by", by});
    EXPECT_EQ(json.customers_at_from(), CdnowFigures::kCustomers);
    const CommandResult csv = Cli({"migration", "1997-06-30", "1998-06-30", "--by", by, "--csv"});
    ASSERT_EQ(csv.exit_code, 0) << csv.err;
    std::int64_t customers = 0;
    const std::vector<std::string> rows = Lines(csv.out);
    EXPECT_EQ(rows[0], "from,to,customers,revenue");
    for (std::size_t i = 1; i < rows.size(); ++i) {
      const std::vector<std::string> cells = absl::StrSplit(rows[i], ',');
      customers += std::stoll(cells.at(2));
    }
    EXPECT_EQ(customers, CdnowFigures::kCustomers);
  }
  EXPECT_THAT(Cli({"migration", "1997-06-30", "1998-06-30"}).out, HasSubstr("Silver"));
}

TEST_F(PredictCliTest, BadFlagsAreUsageErrorsAndServerRefusalsAreErrors) {
  EXPECT_EQ(Cli({"clv", "--at-risk", "2"}).exit_code, 2);
  EXPECT_EQ(Cli({"migration", "1997-06-30"}).exit_code, 2);
  EXPECT_EQ(Cli({"migration", "1997-06-30", "1998-06-30", "--by", "region"}).exit_code, 2);
  const CommandResult reversed = Cli({"migration", "1998-06-30", "1997-06-30"});
  EXPECT_EQ(reversed.exit_code, 1);
  EXPECT_THAT(reversed.err, HasSubstr("to_date"));
  const CommandResult early = Cli({"clv", "--fit", "--calibration-end", "1997-01-01"});
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_THAT(early.err, HasSubstr("FAILED_PRECONDITION"));
}

}  // namespace
