// The prediction reports the API serves: a fitted model per (filter,
// calibration end, unit) with its holdout check, per-customer predictions
// listed with RFM tiers and segments, and one customer's prediction.
//
// Fits are kept (PredictionCache) until the data changes: the engine hands
// out the same CustomerDayList until a write (QueryEngine::CustomerDays),
// so a kept model is reused only while its source is the engine's current
// answer.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "predict/bgnbd.h"
#include "predict/clv.h"
#include "predict/gamma_gamma.h"
#include "predict/purchase_history.h"
#include "query/query_engine.h"
#include "reports/customer_report.h"

namespace analytics::predict {

struct PredictionQuery {
  Filter filter;
  // Unset: the latest order day of the filtered lines.
  std::optional<Day> calibration_end;
  TimeUnit unit = TimeUnit::kWeek;
};

// Expected against actual repeat purchases (order days) of the calibrated
// customers in the days after the calibration end that the data covers.
struct HoldoutCheck {
  Day first_day = 0;  // calibration end + 1
  Day last_day = 0;   // the latest order day of the filtered lines
  double length = 0;  // in the unit
  std::int64_t actual_purchases = 0;
  double expected_purchases = 0;
};

struct PredictionModel {
  Day calibration_end = 0;
  TimeUnit unit = TimeUnit::kWeek;
  PurchaseHistories histories;
  BgNbdFit bgnbd;
  // FailedPrecondition when the spend model cannot be fitted (values then
  // go unpredicted; purchases are still predicted).
  absl::StatusOr<GammaGammaFit> gamma_gamma = absl::UnknownError("not fitted");
  std::optional<HoldoutCheck> holdout;
  double fit_seconds = 0;
};
using PredictionModelPtr = std::shared_ptr<const PredictionModel>;

// The model for `query`, fitted now. FailedPrecondition when there is no
// data or too little (see FitBgNbd); NotFound never.
absl::StatusOr<PredictionModelPtr> FitPredictionModel(QueryEngine& engine,
                                                      const PredictionQuery& query);

struct PredictionList {
  PredictionModelPtr model;
  ClvOptions options;
  std::vector<CustomerPrediction> customers;  // in customer_id order
};
using PredictionListPtr = std::shared_ptr<const PredictionList>;

// Keeps the last few models and prediction lists, valid while the engine's
// CustomerDays answer for their filter is the one they were made from.
class PredictionCache {
 public:
  absl::StatusOr<PredictionModelPtr> Model(QueryEngine& engine, const PredictionQuery& query);
  absl::StatusOr<PredictionListPtr> Predictions(QueryEngine& engine, const PredictionQuery& query,
                                                const ClvOptions& options);
  // Fits computed (not found kept), for tests and metrics.
  std::int64_t fits() const;

 private:
  struct Entry {
    Filter filter;
    std::optional<Day> calibration_end;
    TimeUnit unit;
    PredictionModelPtr model;
    std::vector<PredictionListPtr> lists;
  };
  static constexpr std::size_t kEntries = 4;

  mutable std::mutex mutex_;  // guards the two below
  std::list<Entry> entries_;
  std::int64_t fits_ = 0;
};

enum class PredictionSortKey { kClv, kProbabilityAlive, kExpectedPurchases, kCustomerId };

struct PredictionOrder {
  PredictionSortKey key = PredictionSortKey::kClv;
  bool descending = true;
};

// "<field> [asc|desc]" with field clv, p_alive, expected_purchases or
// customer_id; empty: "clv desc". InvalidArgument naming order_by otherwise.
absl::StatusOr<PredictionOrder> ParsePredictionOrder(std::string_view text);

struct PredictionSelection {
  std::optional<Tier> tier;
  std::optional<RfmSegment> segment;
  // Only customers with P(alive) below this ("at risk"), when set.
  std::optional<double> alive_below;
  PredictionOrder order;
  std::int64_t offset = 0;
  std::int64_t limit = 50;
  TierThresholds thresholds;
};

struct PredictedCustomer {
  CustomerPrediction prediction;
  ScoredCustomer rfm;  // RFM as of the calibration end
  PredictionListPtr text_owner;
};

struct PredictionPage {
  PredictionModelPtr model;
  std::vector<PredictedCustomer> customers;
  std::int64_t total_size = 0;
  bool has_more = false;
};

// Filters (tier and segment from RFM as of the calibration end, P(alive)),
// sorts (ties by customer_id) and cuts one page. Customers without a value
// prediction sort as 0 CLV.
absl::StatusOr<PredictionPage> ListPredictions(QueryEngine& engine, PredictionCache& cache,
                                               const PredictionQuery& query,
                                               const ClvOptions& options,
                                               const PredictionSelection& selection);

// One customer's prediction under `query`; NotFound when the customer has
// no order on or before the calibration end.
absl::StatusOr<PredictedCustomer> FindPrediction(QueryEngine& engine, PredictionCache& cache,
                                                 const PredictionQuery& query,
                                                 const ClvOptions& options,
                                                 std::string_view customer_id,
                                                 const TierThresholds& thresholds);

}  // namespace analytics::predict
