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

absl::StatusOr<PredictionInputs> ReadPredictionInputs(QueryEngine& engine,
                                                      const PredictionQuery& query, bool with_rfm) {
  absl::StatusOr<CustomerDayList> days = engine.CustomerDays(query.filter);
  if (!days.ok()) return days.status();
  if ((*days)->days.empty()) {
    return absl::FailedPreconditionError("no order line matches the filter: nothing to fit");
  }
  PredictionInputs inputs;
  inputs.days = *std::move(days);
  inputs.calibration_end = query.calibration_end.value_or(LatestDay(*inputs.days));
  if (with_rfm) {
    // RFM as of the calibration end scores exactly the calibrated customers
    // (a line on or before it), in the same customer_id order.
    absl::StatusOr<CustomerRfmList> rfm =
        engine.ScoreCustomers(query.filter, inputs.calibration_end);
    if (!rfm.ok()) return rfm.status();
    inputs.rfm = *std::move(rfm);
  }
  return inputs;
}

absl::StatusOr<PredictionModelPtr> FitPredictionModel(QueryEngine& engine,
                                                      const PredictionQuery& query) {
  absl::StatusOr<CustomerDayList> days = engine.CustomerDays(query.filter);
  if (!days.ok()) return days.status();
  return Fit(*std::move(days), query);
}

std::shared_ptr<const std::vector<std::uint32_t>> PredictionList::Ranking(
    PredictionOrder order) const {
  const std::size_t slot = static_cast<std::size_t>(order.key) * 2 + (order.descending ? 1 : 0);
  {
    std::lock_guard lock(mutex_);
    if (rankings_[slot]) return rankings_[slot];
  }
  // Sorted outside the lock: two racing callers may both sort; the answers
  // are the same.
  auto ranking = std::make_shared<std::vector<std::uint32_t>>(customers.size());
  for (std::uint32_t i = 0; i < ranking->size(); ++i) (*ranking)[i] = i;
  if (order.key == PredictionSortKey::kCustomerId) {
    // Indexes follow customer_id order.
    if (order.descending) std::reverse(ranking->begin(), ranking->end());
  } else {
    struct Keyed {
      double value;
      std::uint32_t index;
    };
    std::vector<Keyed> keyed(customers.size());
    for (std::uint32_t i = 0; i < keyed.size(); ++i) {
      keyed[i] = {SortValue(customers[i], order.key), i};
    }
    // Ties by index, i.e. by customer_id ascending, in either direction.
    std::sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
      if (a.value != b.value) return order.descending ? a.value > b.value : a.value < b.value;
      return a.index < b.index;
    });
    for (std::size_t k = 0; k < keyed.size(); ++k) (*ranking)[k] = keyed[k].index;
  }
  std::lock_guard lock(mutex_);
  if (!rankings_[slot]) rankings_[slot] = std::move(ranking);
  return rankings_[slot];
}

absl::StatusOr<PredictionModelPtr> PredictionCache::Model(const PredictionInputs& inputs,
                                                          const PredictionQuery& query) {
  {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->filter == query.filter && it->calibration_end == query.calibration_end &&
          it->unit == query.unit && it->model->histories.source == inputs.days) {
        entries_.splice(entries_.begin(), entries_, it);
        return it->model;
      }
    }
  }
  // Fitted outside the lock: two racing callers may both fit; the answers
  // are the same.
  PredictionQuery resolved = query;
  resolved.calibration_end = inputs.calibration_end;
  absl::StatusOr<PredictionModelPtr> model = Fit(inputs.days, resolved);
  if (!model.ok()) return model.status();
  std::lock_guard lock(mutex_);
  ++fits_;
  // Entries made from an older answer can never match again.
  entries_.remove_if([&](const Entry& e) {
    return e.filter == query.filter && e.model->histories.source != inputs.days;
  });
  entries_.push_front({query.filter, query.calibration_end, query.unit, *model, {}});
  if (entries_.size() > kEntries) entries_.pop_back();
  return model;
}

absl::StatusOr<PredictionModelPtr> PredictionCache::Model(QueryEngine& engine,
                                                          const PredictionQuery& query) {
  absl::StatusOr<PredictionInputs> inputs = ReadPredictionInputs(engine, query, false);
  if (!inputs.ok()) return inputs.status();
  return Model(*inputs, query);
}

absl::StatusOr<PredictionListPtr> PredictionCache::Predictions(const PredictionInputs& inputs,
                                                               const PredictionQuery& query,
                                                               const ClvOptions& options) {
  absl::StatusOr<PredictionModelPtr> model = Model(inputs, query);
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

std::shared_ptr<const ScoredCustomerList> PredictionCache::Classified(
    const PredictionInputs& inputs, const TierThresholds& thresholds) {
  {
    std::lock_guard lock(mutex_);
    for (auto it = classifications_.begin(); it != classifications_.end(); ++it) {
      if (it->records == inputs.rfm && it->thresholds == thresholds) {
        classifications_.splice(classifications_.begin(), classifications_, it);
        return it->scored;
      }
    }
  }
  auto scored =
      std::make_shared<const ScoredCustomerList>(ClassifyCustomers(inputs.rfm, thresholds));
  std::lock_guard lock(mutex_);
  classifications_.push_front({inputs.rfm, thresholds, scored});
  if (classifications_.size() > kClassifications) classifications_.pop_back();
  return scored;
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

absl::StatusOr<PredictionPage> ListPredictions(PredictionCache& cache,
                                               const PredictionInputs& inputs,
                                               const PredictionQuery& query,
                                               const ClvOptions& options,
                                               const PredictionSelection& selection) {
  absl::StatusOr<PredictionListPtr> list = cache.Predictions(inputs, query, options);
  if (!list.ok()) return list.status();
  const PredictionList& predictions = **list;
  const std::shared_ptr<const ScoredCustomerList> scored =
      cache.Classified(inputs, selection.thresholds);
  if (scored->size() != predictions.customers.size()) {
    return absl::InternalError("RFM and predictions disagree on the customers");
  }
  // One walk of the kept ranking: matches are counted for total_size and
  // the page's are copied; without a filter the count is known and the
  // walk stops at the page's end.
  const std::shared_ptr<const std::vector<std::uint32_t>> ranking =
      predictions.Ranking(selection.order);
  const bool filtered = selection.tier || selection.segment || selection.alive_below;
  const auto offset = static_cast<std::size_t>(std::max<std::int64_t>(selection.offset, 0));
  const auto end = offset + static_cast<std::size_t>(std::max<std::int64_t>(selection.limit, 0));
  PredictionPage page;
  page.model = predictions.model;
  std::size_t matched = 0;
  for (const std::uint32_t i : *ranking) {
    const ScoredCustomerRef rfm = (*scored)[i];
    if (!InTierAndSegment(rfm, selection.tier, selection.segment)) continue;
    if (selection.alive_below &&
        !(predictions.customers[i].probability_alive < *selection.alive_below)) {
      continue;
    }
    if (matched >= offset && matched < end) {
      if (rfm.rfm.customer_id != predictions.customers[i].customer_id) {
        return absl::InternalError("RFM and predictions disagree on the customers' order");
      }
      page.customers.push_back({predictions.customers[i], rfm.Copy(), *list});
    }
    ++matched;
    if (!filtered && matched >= end) {
      matched = ranking->size();
      break;
    }
  }
  page.total_size = static_cast<std::int64_t>(matched);
  page.has_more = end < matched;
  return page;
}

absl::StatusOr<PredictionPage> ListPredictions(QueryEngine& engine, PredictionCache& cache,
                                               const PredictionQuery& query,
                                               const ClvOptions& options,
                                               const PredictionSelection& selection) {
  absl::StatusOr<PredictionInputs> inputs = ReadPredictionInputs(engine, query, true);
  if (!inputs.ok()) return inputs.status();
  return ListPredictions(cache, *inputs, query, options, selection);
}

absl::StatusOr<PredictedCustomer> FindPrediction(
    PredictionCache& cache, const PredictionInputs& inputs, const PredictionQuery& query,
    const ClvOptions& options, std::string_view customer_id, const TierThresholds& thresholds) {
  absl::StatusOr<PredictionListPtr> list = cache.Predictions(inputs, query, options);
  if (!list.ok()) return list.status();
  const std::vector<CustomerPrediction>& customers = (*list)->customers;
  // In customer_id order: binary search.
  const auto it = std::lower_bound(
      customers.begin(), customers.end(), customer_id,
      [](const CustomerPrediction& p, std::string_view id) { return p.customer_id < id; });
  if (it == customers.end() || it->customer_id != customer_id) {
    return absl::NotFoundError(absl::StrCat("customer_id: no order of customer \"",
                                            std::string(customer_id),
                                            "\" on or before the calibration end"));
  }
  const std::shared_ptr<const ScoredCustomerList> scored = cache.Classified(inputs, thresholds);
  const auto index = static_cast<std::size_t>(it - customers.begin());
  if (scored->size() != customers.size() || (*scored)[index].rfm.customer_id != customer_id) {
    return absl::InternalError("RFM and predictions disagree on the customers");
  }
  return PredictedCustomer{*it, (*scored)[index].Copy(), *list};
}

absl::StatusOr<PredictedCustomer> FindPrediction(QueryEngine& engine, PredictionCache& cache,
                                                 const PredictionQuery& query,
                                                 const ClvOptions& options,
                                                 std::string_view customer_id,
                                                 const TierThresholds& thresholds) {
  absl::StatusOr<PredictionInputs> inputs = ReadPredictionInputs(engine, query, true);
  if (!inputs.ok()) return inputs.status();
  return FindPrediction(cache, *inputs, query, options, customer_id, thresholds);
}

}  // namespace analytics::predict
