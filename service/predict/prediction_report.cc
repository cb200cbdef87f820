#include "predict/prediction_report.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace analytics::predict {
namespace {

Day LatestDay(const CustomerDayHistory& h) {
  Day latest = h.days.empty() ? 0 : h.days.front();
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h.offsets[i + 1] > h.offsets[i]) latest = std::max(latest, h.days[h.offsets[i + 1] - 1]);
  }
  return latest;
}

absl::StatusOr<PredictionModelPtr> Fit(CustomerDayList days, const PredictionQuery& query) {
  const auto started = std::chrono::steady_clock::now();
  if (days->days.empty()) {
    return absl::FailedPreconditionError("no order line matches the filter: nothing to fit");
  }
  auto model = std::make_shared<PredictionModel>();
  model->unit = query.unit;
  model->calibration_end = query.calibration_end.value_or(LatestDay(*days));
  model->histories = SummarizePurchases(std::move(days), model->calibration_end);
  absl::StatusOr<BgNbdFit> bgnbd = FitBgNbd(model->histories.customers, query.unit);
  if (!bgnbd.ok()) return bgnbd.status();
  model->bgnbd = *bgnbd;
  model->gamma_gamma = FitGammaGamma(model->histories.customers);
  const PurchaseHistories& h = model->histories;
  if (h.latest_day > h.calibration_end) {
    HoldoutCheck check;
    check.first_day = h.calibration_end + 1;
    check.last_day = h.latest_day;
    check.length = (h.latest_day - h.calibration_end) / DaysPerUnit(query.unit);
    const std::vector<CustomerPrediction> expected =
        PredictCustomers(h, query.unit, model->bgnbd.params, nullptr,
                         ClvOptions{.horizon = check.length, .annual_discount_rate = 0});
    for (std::size_t i = 0; i < h.customers.size(); ++i) {
      check.actual_purchases += h.customers[i].holdout_purchases;
      check.expected_purchases += expected[i].expected_purchases;
    }
    model->holdout = check;
  }
  model->fit_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return PredictionModelPtr(std::move(model));
}

}  // namespace

absl::StatusOr<PredictionModelPtr> FitPredictionModel(QueryEngine& engine,
                                                      const PredictionQuery& query) {
  absl::StatusOr<CustomerDayList> days = engine.CustomerDays(query.filter);
  if (!days.ok()) return days.status();
  return Fit(*std::move(days), query);
}

absl::StatusOr<PredictionModelPtr> PredictionCache::Model(QueryEngine& engine,
                                                          const PredictionQuery& query) {
  absl::StatusOr<CustomerDayList> days = engine.CustomerDays(query.filter);
  if (!days.ok()) return days.status();
  {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->filter == query.filter && it->calibration_end == query.calibration_end &&
          it->unit == query.unit && it->model->histories.source == *days) {
        entries_.splice(entries_.begin(), entries_, it);
        return it->model;
      }
    }
  }
  // Fitted outside the lock: two racing callers may both fit; the answers
  // are the same.
  absl::StatusOr<PredictionModelPtr> model = Fit(*days, query);
  if (!model.ok()) return model.status();
  std::lock_guard lock(mutex_);
  ++fits_;
  // Entries made from an older answer can never match again.
  entries_.remove_if([&](const Entry& e) {
    return e.filter == query.filter && e.model->histories.source != *days;
  });
  entries_.push_front({query.filter, query.calibration_end, query.unit, *model, {}});
  if (entries_.size() > kEntries) entries_.pop_back();
  return model;
}

absl::StatusOr<PredictionListPtr> PredictionCache::Predictions(QueryEngine& engine,
                                                               const PredictionQuery& query,
                                                               const ClvOptions& options) {
  absl::StatusOr<PredictionModelPtr> model = Model(engine, query);
  if (!model.ok()) return model.status();
  {
    std::lock_guard lock(mutex_);
    for (const Entry& e : entries_) {
      if (e.model != *model) continue;
      for (const PredictionListPtr& list : e.lists) {
        if (list->options == options) return list;
      }
    }
  }
  auto list = std::make_shared<PredictionList>();
  list->model = *model;
  list->options = options;
  const PredictionModel& m = **model;
  list->customers =
      PredictCustomers(m.histories, m.unit, m.bgnbd.params,
                       m.gamma_gamma.ok() ? &m.gamma_gamma->params : nullptr, options);
  PredictionListPtr shared = std::move(list);
  std::lock_guard lock(mutex_);
  for (Entry& e : entries_) {
    if (e.model != *model) continue;
    e.lists.insert(e.lists.begin(), shared);
    if (e.lists.size() > 4) e.lists.pop_back();
  }
  return shared;
}

std::int64_t PredictionCache::fits() const {
  std::lock_guard lock(mutex_);
  return fits_;
}

absl::StatusOr<PredictionOrder> ParsePredictionOrder(std::string_view text) {
  const std::string lowered = absl::AsciiStrToLower(std::string(text));
  if (lowered.find(',') != std::string::npos) {
    return absl::InvalidArgumentError(
        "order_by: one field only; use \"<field> [asc|desc]\" with field clv, p_alive, "
        "expected_purchases or customer_id");
  }
  std::vector<std::string> words = absl::StrSplit(lowered, ' ', absl::SkipWhitespace());
  if (words.empty()) return PredictionOrder{};
  PredictionOrder order;
  if (words[0] == "clv") {
    order.key = PredictionSortKey::kClv;
  } else if (words[0] == "p_alive") {
    order.key = PredictionSortKey::kProbabilityAlive;
  } else if (words[0] == "expected_purchases") {
    order.key = PredictionSortKey::kExpectedPurchases;
  } else if (words[0] == "customer_id") {
    order.key = PredictionSortKey::kCustomerId;
  } else {
    return absl::InvalidArgumentError(
        "order_by: unknown field; use one of clv, p_alive, expected_purchases, customer_id");
  }
  order.descending = false;
  if (words.size() == 2 && (words[1] == "asc" || words[1] == "desc")) {
    order.descending = words[1] == "desc";
  } else if (words.size() != 1) {
    return absl::InvalidArgumentError("order_by: expected \"<field> [asc|desc]\"");
  }
  return order;
}

namespace {

double SortValue(const CustomerPrediction& p, PredictionSortKey key) {
  switch (key) {
    case PredictionSortKey::kClv:
      return p.clv.value_or(0.0);
    case PredictionSortKey::kProbabilityAlive:
      return p.probability_alive;
    case PredictionSortKey::kExpectedPurchases:
      return p.expected_purchases;
    case PredictionSortKey::kCustomerId:
      return 0;
  }
  return 0;
}

// RFM as of the calibration end scores exactly the calibrated customers
// (a line on or before it), in the same customer_id order.
absl::StatusOr<ScoredCustomers> ScoreAtCalibrationEnd(QueryEngine& engine,
                                                      const PredictionQuery& query,
                                                      const PredictionModel& model,
                                                      const TierThresholds& thresholds) {
  absl::StatusOr<ScoredCustomers> scored = ScoreAllCustomers(
      engine,
      RfmQuery{.filter = query.filter, .as_of = model.calibration_end, .thresholds = thresholds});
  if (!scored.ok()) return scored.status();
  if (scored->customers.size() != model.histories.customers.size()) {
    return absl::InternalError("RFM and predictions disagree on the customers");
  }
  return scored;
}

}  // namespace

absl::StatusOr<PredictionPage> ListPredictions(QueryEngine& engine, PredictionCache& cache,
                                               const PredictionQuery& query,
                                               const ClvOptions& options,
                                               const PredictionSelection& selection) {
  absl::StatusOr<PredictionListPtr> list = cache.Predictions(engine, query, options);
  if (!list.ok()) return list.status();
  const PredictionList& predictions = **list;
  absl::StatusOr<ScoredCustomers> scored =
      ScoreAtCalibrationEnd(engine, query, *predictions.model, selection.thresholds);
  if (!scored.ok()) return scored.status();
  std::vector<std::uint32_t> picked;
  picked.reserve(predictions.customers.size());
  for (std::uint32_t i = 0; i < predictions.customers.size(); ++i) {
    const ScoredCustomerRef rfm = scored->customers[i];
    if (rfm.rfm.customer_id != predictions.customers[i].customer_id) {
      return absl::InternalError("RFM and predictions disagree on the customers' order");
    }
    if (selection.tier && rfm.tier != *selection.tier) continue;
    if (selection.segment && rfm.segment != *selection.segment) continue;
    if (selection.alive_below &&
        !(predictions.customers[i].probability_alive < *selection.alive_below)) {
      continue;
    }
    picked.push_back(i);
  }
  PredictionPage page;
  page.model = predictions.model;
  page.total_size = static_cast<std::int64_t>(picked.size());
  const PredictionOrder order = selection.order;
  // Indexes follow customer_id order, so index order breaks ties by id.
  const auto before = [&](std::uint32_t a, std::uint32_t b) {
    if (order.key != PredictionSortKey::kCustomerId) {
      const double va = SortValue(predictions.customers[a], order.key);
      const double vb = SortValue(predictions.customers[b], order.key);
      if (va != vb) return order.descending ? va > vb : va < vb;
      return a < b;
    }
    return order.descending ? a > b : a < b;
  };
  const auto offset = static_cast<std::size_t>(
      std::min<std::int64_t>(selection.offset, static_cast<std::int64_t>(picked.size())));
  const auto end = static_cast<std::size_t>(std::min<std::int64_t>(
      selection.offset + selection.limit, static_cast<std::int64_t>(picked.size())));
  if (end > 0) {
    std::partial_sort(picked.begin(), picked.begin() + static_cast<std::ptrdiff_t>(end),
                      picked.end(), before);
  }
  for (std::size_t k = offset; k < end; ++k) {
    const std::uint32_t i = picked[k];
    page.customers.push_back({predictions.customers[i], scored->customers[i].Copy(), *list});
  }
  page.has_more = end < picked.size();
  return page;
}

absl::StatusOr<PredictedCustomer> FindPrediction(QueryEngine& engine, PredictionCache& cache,
                                                 const PredictionQuery& query,
                                                 const ClvOptions& options,
                                                 std::string_view customer_id,
                                                 const TierThresholds& thresholds) {
  absl::StatusOr<PredictionListPtr> list = cache.Predictions(engine, query, options);
  if (!list.ok()) return list.status();
  const std::vector<CustomerPrediction>& customers = (*list)->customers;
  const auto it =
      std::find_if(customers.begin(), customers.end(),
                   [&](const CustomerPrediction& p) { return p.customer_id == customer_id; });
  if (it == customers.end() || it->customer_id != customer_id) {
    return absl::NotFoundError(absl::StrCat("customer_id: no order of customer \"",
                                            std::string(customer_id),
                                            "\" on or before the calibration end"));
  }
  absl::StatusOr<ScoredCustomers> scored =
      ScoreAtCalibrationEnd(engine, query, *(*list)->model, thresholds);
  if (!scored.ok()) return scored.status();
  const auto index = static_cast<std::size_t>(it - customers.begin());
  return PredictedCustomer{*it, scored->customers[index].Copy(), *list};
}

}  // namespace analytics::predict
