// The core alone on the CDNOW sample: the lines read straight from the CSV
// (a minimal reader for this one file) into the SQL and columnar engines,
// then the fit. The same contract through ImportCsv and the RPC is
// tests/api/predictions_test.cc.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fixtures/cdnow.h"
#include "predict/prediction_report.h"
#include "query/columnar/columnar_engine.h"
#include "query/sql_query_engine.h"
#include "store/order_store.h"
#include "support/sample_lines.h"

namespace analytics::predict {
namespace {

using analytics::testing::CdnowFigures;
using analytics::testing::MatchesToTheDigits;

// Row ID,Order ID,Order Date,Customer ID,Quantity,Sales
std::vector<OrderLine> ReadCdnow() {
  std::ifstream in(analytics::testing::CdnowSamplePath());
  std::string row;
  std::getline(in, row);  // header
  std::vector<OrderLine> lines;
  while (std::getline(in, row)) {
    if (!row.empty() && row.back() == '\r') row.pop_back();
    std::stringstream fields(row);
    std::string id, order, date, customer, quantity, sales;
    std::getline(fields, id, ',');
    std::getline(fields, order, ',');
    std::getline(fields, date, ',');
    std::getline(fields, customer, ',');
    std::getline(fields, quantity, ',');
    std::getline(fields, sales, ',');
    OrderLine line;
    line.line_key = id;
    line.order_id = order;
    line.order_date = *ParseIsoDay(date);
    line.customer_id = customer;
    line.quantity = std::stoll(quantity);
    line.sales = *ParseDecimalMicros(sales);
    lines.push_back(std::move(line));
  }
  return lines;
}

TEST(CdnowCoreTest, BothEnginesReproduceThePublishedFits) {
  const std::vector<OrderLine> lines = ReadCdnow();
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(CdnowFigures::kLines));
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  analytics::testing::VectorSource source(lines);
  ASSERT_TRUE(store->Upsert(source).ok());
  std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
  std::unique_ptr<ColumnarEngine> columnar = *ColumnarEngine::Create(*store);
  PredictionQuery query;
  query.calibration_end = *ParseIsoDay(CdnowFigures::kCalibrationEnd);
  for (QueryEngine* engine :
       {static_cast<QueryEngine*>(columnar.get()), static_cast<QueryEngine*>(sql.get())}) {
    const absl::StatusOr<PredictionModelPtr> model = FitPredictionModel(*engine, query);
    ASSERT_TRUE(model.ok()) << model.status();
    const BgNbdFit& fit = (*model)->bgnbd;
    EXPECT_EQ(fit.customers, CdnowFigures::kCustomers);
    EXPECT_TRUE(fit.report.converged);
    EXPECT_TRUE(MatchesToTheDigits(fit.params.r, CdnowFigures::kR, 3)) << fit.params.r;
    EXPECT_TRUE(MatchesToTheDigits(fit.params.alpha, CdnowFigures::kAlpha, 3)) << fit.params.alpha;
    EXPECT_TRUE(MatchesToTheDigits(fit.params.a, CdnowFigures::kA, 3)) << fit.params.a;
    EXPECT_TRUE(MatchesToTheDigits(fit.params.b, CdnowFigures::kB, 3)) << fit.params.b;
    EXPECT_TRUE(MatchesToTheDigits(fit.report.log_likelihood, CdnowFigures::kLogLikelihood, 1))
        << fit.report.log_likelihood;
    ASSERT_TRUE((*model)->gamma_gamma.ok()) << (*model)->gamma_gamma.status();
    const GammaGammaFit& spend = *(*model)->gamma_gamma;
    EXPECT_EQ(spend.customers, CdnowFigures::kSpendCustomers);
    EXPECT_TRUE(MatchesToTheDigits(spend.params.p, CdnowFigures::kP, 2)) << spend.params.p;
    EXPECT_TRUE(MatchesToTheDigits(spend.params.q, CdnowFigures::kQ, 2)) << spend.params.q;
    EXPECT_TRUE(MatchesToTheDigits(spend.params.gamma, CdnowFigures::kGamma, 2))
        << spend.params.gamma;
    ASSERT_TRUE((*model)->holdout.has_value());
    EXPECT_EQ(FormatIsoDay((*model)->holdout->last_day), "1998-06-30");
    RecordProperty("holdout_actual", std::to_string((*model)->holdout->actual_purchases));
    RecordProperty("holdout_expected", std::to_string((*model)->holdout->expected_purchases));
  }
}

}  // namespace
}  // namespace analytics::predict
