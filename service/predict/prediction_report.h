// The prediction reports the API serves: a fitted model per (filter,
// calibration end, unit) with its holdout check, per-customer predictions
// listed with RFM tiers and segments, and one customer's prediction.
//
// Fits are kept (PredictionCache) until the data changes: the engine hands
// out the same CustomerDayList until a write (QueryEngine::CustomerDays),
// so a kept model is reused only while its source is the engine's current
// answer.
//
// A call reads its inputs from the engine first (ReadPredictionInputs, the
// only part that needs the engine's consistent view: immutable, shared
// answers) and computes from them afterwards, so the API can release the
// engine's read lock before a fit: a write then never waits for one.
#pragma once

#include <array>
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

// What a prediction call reads from the engine: the per-customer order
// days, the calibration end they resolve to, and (for lists and single
// customers) RFM as of that day. All immutable and shared.
struct PredictionInputs {
  CustomerDayList days;
  Day calibration_end = 0;
  CustomerRfmList rfm;  // null unless asked for
};

// Reads `query`'s inputs (with RFM when `with_rfm`): run it inside the
// engine's consistent view. FailedPrecondition when no line matches.
absl::StatusOr<PredictionInputs> ReadPredictionInputs(QueryEngine& engine,
                                                      const PredictionQuery& query, bool with_rfm);

// The model for `query`, fitted now. FailedPrecondition when there is no
// data or too little (see FitBgNbd); NotFound never.
absl::StatusOr<PredictionModelPtr> FitPredictionModel(QueryEngine& engine,
                                                      const PredictionQuery& query);

enum class PredictionSortKey { kClv, kProbabilityAlive, kExpectedPurchases, kCustomerId };

struct PredictionOrder {
  PredictionSortKey key = PredictionSortKey::kClv;
  bool descending = true;
};

class PredictionList {
 public:
  PredictionModelPtr model;
  ClvOptions options;
  std::vector<CustomerPrediction> customers;  // in customer_id order

  // Indexes into `customers` in `order` (ties by customer_id ascending),
  // sorted on first use and kept with the list: every page of every
  // request then walks the same ranking instead of sorting 100,000
  // customers per call.
  std::shared_ptr<const std::vector<std::uint32_t>> Ranking(PredictionOrder order) const;

 private:
  mutable std::mutex mutex_;  // guards rankings_
  mutable std::array<std::shared_ptr<const std::vector<std::uint32_t>>, 8> rankings_;
};
using PredictionListPtr = std::shared_ptr<const PredictionList>;

// Keeps the last few models and prediction lists, valid while the engine's
// CustomerDays answer for their filter is the one they were made from.
class PredictionCache {
 public:
  absl::StatusOr<PredictionModelPtr> Model(const PredictionInputs& inputs,
                                           const PredictionQuery& query);
  absl::StatusOr<PredictionListPtr> Predictions(const PredictionInputs& inputs,
                                                const PredictionQuery& query,
                                                const ClvOptions& options);
  // `inputs.rfm` with tiers and segments under `thresholds`, kept while
  // the engine hands out the same RFM list.
  std::shared_ptr<const ScoredCustomerList> Classified(const PredictionInputs& inputs,
                                                       const TierThresholds& thresholds);
  // The same, reading the inputs from `engine` first (in-process callers).
  absl::StatusOr<PredictionModelPtr> Model(QueryEngine& engine, const PredictionQuery& query);
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

  struct Classification {
    CustomerRfmList records;
    TierThresholds thresholds;
    std::shared_ptr<const ScoredCustomerList> scored;
  };
  static constexpr std::size_t kClassifications = 2;

  mutable std::mutex mutex_;  // guards the three below
  std::list<Entry> entries_;
  std::list<Classification> classifications_;
  std::int64_t fits_ = 0;
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
// prediction sort as 0 CLV. `inputs` must hold RFM.
absl::StatusOr<PredictionPage> ListPredictions(PredictionCache& cache,
                                               const PredictionInputs& inputs,
                                               const PredictionQuery& query,
                                               const ClvOptions& options,
                                               const PredictionSelection& selection);
// The same, reading the inputs from `engine` first.
absl::StatusOr<PredictionPage> ListPredictions(QueryEngine& engine, PredictionCache& cache,
                                               const PredictionQuery& query,
                                               const ClvOptions& options,
                                               const PredictionSelection& selection);

// One customer's prediction under `query`; NotFound when the customer has
// no order on or before the calibration end. `inputs` must hold RFM.
absl::StatusOr<PredictedCustomer> FindPrediction(
    PredictionCache& cache, const PredictionInputs& inputs, const PredictionQuery& query,
    const ClvOptions& options, std::string_view customer_id, const TierThresholds& thresholds);
// The same, reading the inputs from `engine` first.
absl::StatusOr<PredictedCustomer> FindPrediction(QueryEngine& engine, PredictionCache& cache,
                                                 const PredictionQuery& query,
                                                 const ClvOptions& options,
                                                 std::string_view customer_id,
                                                 const TierThresholds& thresholds);

}  // namespace analytics::predict
