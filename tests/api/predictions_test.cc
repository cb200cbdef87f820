// Predictions, cohorts and migration through the real server: the CDNOW
// sample imported with ImportCsv, then the fit through GetPredictionFit
// must reproduce the published figures (Fader, Hardie & Lee 2005; Fader &
// Hardie 2013) to the digits given, on both engines.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "../fixtures/cdnow.h"
#include "customer_analytics/error_details.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "support/process.h"
#include "support/raw_stream.h"

namespace analytics {
namespace {

namespace v1 = ::customer_analytics::v1;
using testing::CdnowFigures;
using testing::MatchesToTheDigits;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Row ID,Order ID,Order Date,Customer ID,Quantity,Sales: customer -> days.
std::map<std::string, std::set<std::string>> CdnowDays() {
  std::istringstream in(ReadFile(testing::CdnowSamplePath()));
  std::string row;
  std::getline(in, row);
  std::map<std::string, std::set<std::string>> days;
  while (std::getline(in, row)) {
    std::istringstream fields(row);
    std::string id, order, date, customer;
    std::getline(fields, id, ',');
    std::getline(fields, order, ',');
    std::getline(fields, date, ',');
    std::getline(fields, customer, ',');
    days[customer].insert(date);
  }
  return days;
}

class PredictionsTest : public ::testing::TestWithParam<std::string> {
 protected:
  PredictionsTest() : server_({"--engine", GetParam()}) {}
  void SetUp() override {
    stub_ = v1::AnalyticsService::NewStub(
        grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials()));
  }

  void ImportCdnow() {
    grpc::ClientContext context;
    v1::ImportCsvResponse response;
    auto writer = stub_->ImportCsv(&context, &response);
    v1::ImportCsvRequest first;
    first.mutable_options();
    writer->Write(first);
    const std::string csv = ReadFile(testing::CdnowSamplePath());
    for (std::size_t pos = 0; pos < csv.size(); pos += 65536) {
      v1::ImportCsvRequest chunk;
      chunk.set_chunk(csv.substr(pos, 65536));
      ASSERT_TRUE(writer->Write(chunk));
    }
    testing::EndStream(*writer);
    const grpc::Status status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.accepted(), CdnowFigures::kLines);
  }

  grpc::Status Fit(const std::string& calibration_end, v1::GetPredictionFitResponse* response) {
    v1::GetPredictionFitRequest request;
    request.mutable_options()->set_calibration_end_date(calibration_end);
    grpc::ClientContext context;
    return stub_->GetPredictionFit(&context, request, response);
  }

  grpc::Status List(v1::ListCustomerPredictionsRequest request,
                    v1::ListCustomerPredictionsResponse* response) {
    grpc::ClientContext context;
    return stub_->ListCustomerPredictions(&context, request, response);
  }

  testing::ServerProcess server_;
  std::unique_ptr<v1::AnalyticsService::Stub> stub_;
};

TEST_P(PredictionsTest, CdnowFitReproducesThePublishedFigures) {
  ImportCdnow();
  v1::GetPredictionFitResponse fit;
  const grpc::Status status = Fit(CdnowFigures::kCalibrationEnd, &fit);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(fit.calibration_end_date(), CdnowFigures::kCalibrationEnd);
  EXPECT_EQ(fit.time_unit(), v1::PREDICTION_TIME_UNIT_WEEK);
  EXPECT_EQ(fit.customers(), CdnowFigures::kCustomers);
  EXPECT_EQ(fit.customers_after_calibration(), 0);
  EXPECT_TRUE(fit.bgnbd_fit().converged());
  EXPECT_TRUE(MatchesToTheDigits(fit.bgnbd().r(), CdnowFigures::kR, 3)) << fit.bgnbd().r();
  EXPECT_TRUE(MatchesToTheDigits(fit.bgnbd().alpha(), CdnowFigures::kAlpha, 3))
      << fit.bgnbd().alpha();
  EXPECT_TRUE(MatchesToTheDigits(fit.bgnbd().a(), CdnowFigures::kA, 3)) << fit.bgnbd().a();
  EXPECT_TRUE(MatchesToTheDigits(fit.bgnbd().b(), CdnowFigures::kB, 3)) << fit.bgnbd().b();
  EXPECT_TRUE(MatchesToTheDigits(fit.bgnbd_fit().log_likelihood(), CdnowFigures::kLogLikelihood, 1))
      << fit.bgnbd_fit().log_likelihood();
  ASSERT_TRUE(fit.has_gamma_gamma()) << fit.gamma_gamma_unavailable_reason();
  EXPECT_EQ(fit.gamma_gamma_customers(), CdnowFigures::kSpendCustomers);
  EXPECT_TRUE(MatchesToTheDigits(fit.gamma_gamma().p(), CdnowFigures::kP, 2))
      << fit.gamma_gamma().p();
  EXPECT_TRUE(MatchesToTheDigits(fit.gamma_gamma().q(), CdnowFigures::kQ, 2))
      << fit.gamma_gamma().q();
  EXPECT_TRUE(MatchesToTheDigits(fit.gamma_gamma().gamma(), CdnowFigures::kGamma, 2))
      << fit.gamma_gamma().gamma();

  // The holdout check: actual purchase days after the calibration end,
  // counted here from the file, and the model's expectation next to it.
  std::int64_t actual = 0, repeaters = 0;
  for (const auto& [customer, days] : CdnowDays()) {
    std::int64_t in_calibration = 0;
    for (const std::string& day : days) {
      if (day > CdnowFigures::kCalibrationEnd) {
        ++actual;
      } else {
        ++in_calibration;
      }
    }
    repeaters += in_calibration > 1;
  }
  EXPECT_EQ(fit.repeat_customers(), repeaters);
  ASSERT_TRUE(fit.has_holdout());
  EXPECT_EQ(fit.holdout().first_date(), "1997-10-01");
  EXPECT_EQ(fit.holdout().last_date(), "1998-06-30");
  EXPECT_NEAR(fit.holdout().length(), 273 / 7.0, 1e-12);
  EXPECT_EQ(fit.holdout().actual_repeat_purchases(), actual);
  // The expectation itself is checked against SciPy's ₂F₁ in
  // predictions_scipy_test.py; here only that it is one.
  EXPECT_GT(fit.holdout().expected_repeat_purchases(), 0);
  EXPECT_LT(fit.holdout().expected_repeat_purchases(), 2.0 * static_cast<double>(actual));
  std::cout << "holdout: expected " << fit.holdout().expected_repeat_purchases() << ", actual "
            << actual << "\n";
}

TEST_P(PredictionsTest, PredictionsListPageAndMatchGetCustomer) {
  ImportCdnow();
  v1::ListCustomerPredictionsRequest request;
  request.mutable_options()->set_calibration_end_date(CdnowFigures::kCalibrationEnd);
  request.set_page_size(1000);
  std::vector<v1::CustomerPrediction> all;
  std::int64_t total = -1;
  for (;;) {
    v1::ListCustomerPredictionsResponse page;
    const grpc::Status status = List(request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    total = page.total_size();
    all.insert(all.end(), page.predictions().begin(), page.predictions().end());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  ASSERT_EQ(total, CdnowFigures::kCustomers);
  ASSERT_EQ(all.size(), static_cast<std::size_t>(CdnowFigures::kCustomers));
  std::set<std::string> ids;
  for (std::size_t i = 0; i < all.size(); ++i) {
    ids.insert(all[i].customer_id());
    ASSERT_TRUE(all[i].has_clv());
    if (i > 0) {
      EXPECT_GE(all[i - 1].clv(), all[i].clv());
    }
    EXPECT_NEAR(all[i].churn_risk(), 1 - all[i].probability_alive(), 1e-15);
    if (all[i].repeat_purchases() == 0) {
      EXPECT_EQ(all[i].probability_alive(), 1.0);
    }
  }
  EXPECT_EQ(ids.size(), all.size());

  // At risk, by P(alive) ascending.
  v1::ListCustomerPredictionsRequest risky;
  risky.mutable_options()->set_calibration_end_date(CdnowFigures::kCalibrationEnd);
  risky.set_alive_below(0.3);
  risky.set_order_by("p_alive asc");
  risky.set_page_size(1000);
  v1::ListCustomerPredictionsResponse at_risk;
  ASSERT_TRUE(List(risky, &at_risk).ok());
  std::int64_t expected_risky = 0;
  for (const v1::CustomerPrediction& p : all) expected_risky += p.probability_alive() < 0.3;
  EXPECT_EQ(at_risk.total_size(), expected_risky);
  EXPECT_GT(expected_risky, 0);
  for (const v1::CustomerPrediction& p : at_risk.predictions()) {
    EXPECT_LT(p.probability_alive(), 0.3);
  }

  // GetCustomer carries the same prediction.
  const v1::CustomerPrediction& top = all.front();
  v1::GetCustomerRequest get;
  get.set_customer_id(top.customer_id());
  get.mutable_prediction_options()->set_calibration_end_date(CdnowFigures::kCalibrationEnd);
  v1::GetCustomerResponse customer;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetCustomer(&context, get, &customer).ok());
  ASSERT_TRUE(customer.has_prediction());
  EXPECT_EQ(customer.prediction().clv(), top.clv());
  EXPECT_EQ(customer.prediction().probability_alive(), top.probability_alive());
  // Without prediction_options, none.
  get.clear_prediction_options();
  grpc::ClientContext plain_context;
  ASSERT_TRUE(stub_->GetCustomer(&plain_context, get, &customer).ok());
  EXPECT_FALSE(customer.has_prediction());
}

TEST_P(PredictionsTest, ErrorsNameTheFieldAndTooLittleDataIsAFailedPrecondition) {
  v1::GetPredictionFitResponse fit;
  EXPECT_EQ(Fit("", &fit).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ImportCdnow();
  // Before anyone's second purchase: no repeat buyer yet.
  const grpc::Status early = Fit("1997-01-01", &fit);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << early.error_message();
  const auto violation_of = [](const grpc::Status& status) {
    const auto v = customer_analytics::FieldViolations(status);
    return v.empty() ? std::string() : v.front().field;
  };
  const grpc::Status bad_date = Fit("1997-13-01", &fit);
  EXPECT_EQ(bad_date.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(violation_of(bad_date), "options.calibration_end_date") << bad_date.error_message();
  v1::ListCustomerPredictionsRequest request;
  v1::ListCustomerPredictionsResponse page;
  request.set_order_by("monetary");
  grpc::Status status = List(request, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(violation_of(status), "order_by");
  request.set_order_by("");
  request.set_alive_below(2);
  status = List(request, &page);
  EXPECT_EQ(violation_of(status), "alive_below");
  request.set_alive_below(0);
  request.mutable_options()->set_horizon(-1);
  status = List(request, &page);
  EXPECT_EQ(violation_of(status), "options.horizon");
  // A page token is bound to its query.
  request.mutable_options()->set_horizon(0);
  request.set_page_size(10);
  ASSERT_TRUE(List(request, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  request.set_order_by("p_alive");
  request.set_page_token(page.next_page_token());
  status = List(request, &page);
  EXPECT_EQ(violation_of(status), "page_token") << status.error_message();
  v1::GetSegmentMigrationRequest migration;
  migration.set_from_date("1997-06-30");
  migration.set_to_date("1997-03-31");
  v1::GetSegmentMigrationResponse moved;
  grpc::ClientContext context;
  status = stub_->GetSegmentMigration(&context, migration, &moved);
  EXPECT_EQ(violation_of(status), "to_date") << status.error_message();
}

TEST_P(PredictionsTest, AWriteRefreshesTheFit) {
  ImportCdnow();
  v1::GetPredictionFitResponse before;
  ASSERT_TRUE(Fit(CdnowFigures::kCalibrationEnd, &before).ok());
  v1::GetPredictionFitResponse again;
  ASSERT_TRUE(Fit(CdnowFigures::kCalibrationEnd, &again).ok());
  EXPECT_EQ(again.bgnbd().r(), before.bgnbd().r());
  // A new customer buying twice before the calibration end.
  v1::IngestTransactionsRequest ingest;
  for (const char* date : {"1997-05-01", "1997-06-01"}) {
    v1::OrderLine& line = *ingest.add_lines();
    line.set_line_id(std::string("new-") + date);
    line.set_order_id(std::string("N-") + date);
    line.set_order_date(date);
    line.set_customer_id("newcomer");
    line.set_sales(20);
  }
  ingest.set_last(true);
  v1::IngestTransactionsResponse ingested;
  grpc::ClientContext context;
  auto writer = stub_->IngestTransactions(&context, &ingested);
  ASSERT_TRUE(writer->Write(ingest, grpc::WriteOptions().set_last_message()));
  ASSERT_TRUE(writer->Finish().ok());
  v1::GetPredictionFitResponse after;
  ASSERT_TRUE(Fit(CdnowFigures::kCalibrationEnd, &after).ok());
  EXPECT_EQ(after.customers(), before.customers() + 1);
  EXPECT_EQ(after.repeat_customers(), before.repeat_customers() + 1);
  EXPECT_NE(after.bgnbd().r(), before.bgnbd().r());
}

TEST_P(PredictionsTest, CdnowCohortsAndMigrationAddUp) {
  ImportCdnow();
  v1::GetCohortsRequest request;
  v1::GetCohortsResponse cohorts;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetCohorts(&context, request, &cohorts).ok());
  EXPECT_EQ(cohorts.granularity(), v1::GRANULARITY_MONTH);
  EXPECT_EQ(cohorts.customers(), CdnowFigures::kCustomers);
  // Everyone first bought in Q1 1997: three monthly cohorts, observed
  // through June 1998 (18 months).
  ASSERT_EQ(cohorts.cohorts_size(), 3);
  std::int64_t sizes = 0;
  for (int i = 0; i < cohorts.cohorts_size(); ++i) {
    const v1::Cohort& c = cohorts.cohorts(i);
    sizes += c.customers();
    EXPECT_EQ(c.periods(0).active_customers(), c.customers());
    EXPECT_EQ(c.periods_size(), 18 - i);
  }
  EXPECT_EQ(sizes, CdnowFigures::kCustomers);
  EXPECT_EQ(cohorts.cohorts(0).label(), "1997-01");

  v1::GetSegmentMigrationRequest migration;
  migration.set_from_date(CdnowFigures::kCalibrationEnd);
  migration.set_to_date("1998-06-30");
  v1::GetSegmentMigrationResponse moved;
  grpc::ClientContext migration_context;
  ASSERT_TRUE(stub_->GetSegmentMigration(&migration_context, migration, &moved).ok());
  EXPECT_EQ(moved.customers_at_from(), CdnowFigures::kCustomers);
  EXPECT_EQ(moved.new_customers(), 0);
  std::int64_t tier_rows = 0, segment_rows = 0;
  for (const v1::TierMigration& m : moved.tiers()) tier_rows += m.customers();
  for (const v1::SegmentMigration& m : moved.segments()) segment_rows += m.customers();
  EXPECT_EQ(tier_rows, CdnowFigures::kCustomers);
  EXPECT_EQ(segment_rows, CdnowFigures::kCustomers);
}

INSTANTIATE_TEST_SUITE_P(Engines, PredictionsTest, ::testing::Values("columnar", "sql"));

}  // namespace
}  // namespace analytics
