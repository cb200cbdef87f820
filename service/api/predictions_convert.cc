#include "api/predictions_convert.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/convert.h"

namespace analytics::api {
namespace {

absl::Status FieldError(std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(reason)));
}

predict::TimeUnit UnitFromProto(v1::PredictionTimeUnit unit) {
  return unit == v1::PREDICTION_TIME_UNIT_DAY ? predict::TimeUnit::kDay : predict::TimeUnit::kWeek;
}

v1::PredictionTimeUnit UnitToProto(predict::TimeUnit unit) {
  return unit == predict::TimeUnit::kDay ? v1::PREDICTION_TIME_UNIT_DAY
                                         : v1::PREDICTION_TIME_UNIT_WEEK;
}

void DiagnosticsToProto(const predict::FitReport& report, v1::FitDiagnostics& out) {
  out.set_log_likelihood(report.log_likelihood);
  out.set_converged(report.converged);
  out.set_iterations(report.iterations);
  out.set_evaluations(report.evaluations);
  out.set_restarts(report.restarts);
}

double Money(Micros micros) { return MicrosToDouble(micros); }

}  // namespace

absl::StatusOr<PredictionRequest> PredictionRequestFromProto(const v1::Filter& filter,
                                                             const v1::PredictionOptions& options,
                                                             std::string_view field) {
  PredictionRequest request;
  absl::StatusOr<Filter> converted = FilterFromProto(filter);
  if (!converted.ok()) return converted.status();
  request.query.filter = std::move(*converted);
  const std::string prefix(field);
  absl::StatusOr<std::optional<Day>> end =
      OptionalDayFromProto(options.calibration_end_date(), prefix + ".calibration_end_date");
  if (!end.ok()) return end.status();
  request.query.calibration_end = *end;
  if (!v1::PredictionTimeUnit_IsValid(options.time_unit())) {
    return FieldError(prefix + ".time_unit", "unknown value");
  }
  request.query.unit = UnitFromProto(options.time_unit());
  const double days = predict::DaysPerUnit(request.query.unit);
  if (!std::isfinite(options.horizon()) || options.horizon() < 0 ||
      options.horizon() * days > kMaxHorizonDays) {
    return FieldError(prefix + ".horizon",
                      absl::StrCat("must be between 0 and ", kMaxHorizonDays / days, " ",
                                   days == 7 ? "weeks" : "days"));
  }
  request.clv.horizon = options.horizon();
  if (!std::isfinite(options.annual_discount_rate()) || options.annual_discount_rate() < 0 ||
      options.annual_discount_rate() > 1) {
    return FieldError(prefix + ".annual_discount_rate", "must be between 0 and 1");
  }
  request.clv.annual_discount_rate = options.annual_discount_rate();
  return request;
}

absl::StatusOr<TierThresholds> ThresholdsFromProto(const v1::TierThresholds& t,
                                                   std::string_view field) {
  TierThresholds thresholds;
  const std::string prefix(field);
  if (t.has_gold_min_frequency()) {
    if (t.gold_min_frequency() < 0) {
      return FieldError(prefix + ".gold_min_frequency", "must not be negative");
    }
    thresholds.gold_min_frequency = t.gold_min_frequency();
  }
  if (t.has_silver_min_frequency()) {
    if (t.silver_min_frequency() < 0) {
      return FieldError(prefix + ".silver_min_frequency", "must not be negative");
    }
    thresholds.silver_min_frequency = t.silver_min_frequency();
  }
  if (t.has_gold_min_monetary()) {
    absl::StatusOr<Micros> monetary = MicrosFromDouble(t.gold_min_monetary());
    if (!monetary.ok()) {
      return FieldError(prefix + ".gold_min_monetary", std::string(monetary.status().message()));
    }
    if (*monetary < 0) return FieldError(prefix + ".gold_min_monetary", "must not be negative");
    thresholds.gold_min_monetary = *monetary;
  }
  return thresholds;
}

absl::StatusOr<predict::PredictionSelection> PredictionSelectionFromProto(
    const v1::ListCustomerPredictionsRequest& request) {
  predict::PredictionSelection selection;
  absl::StatusOr<std::optional<Tier>> tier = TierFromProto(request.tier(), "tier");
  if (!tier.ok()) return tier.status();
  absl::StatusOr<std::optional<RfmSegment>> segment =
      SegmentFromProto(request.rfm_segment(), "rfm_segment");
  if (!segment.ok()) return segment.status();
  selection.tier = *tier;
  selection.segment = *segment;
  const double below = request.alive_below();
  if (!std::isfinite(below) || below < 0 || below > 1) {
    return FieldError("alive_below", "must be between 0 and 1");
  }
  if (below > 0) selection.alive_below = below;
  absl::StatusOr<predict::PredictionOrder> order =
      predict::ParsePredictionOrder(request.order_by());
  if (!order.ok()) return order.status();
  selection.order = *order;
  absl::StatusOr<TierThresholds> thresholds =
      ThresholdsFromProto(request.thresholds(), "thresholds");
  if (!thresholds.ok()) return thresholds.status();
  selection.thresholds = *thresholds;
  return selection;
}

std::uint64_t ListPredictionsFingerprint(const PredictionRequest& request,
                                         const predict::PredictionSelection& selection) {
  // A canonical text of the normalized request: lists as sorted sets,
  // dates as days, defaults applied.
  std::string text = "predictions/1";
  const Filter& f = request.query.filter;
  const auto day = [](const std::optional<Day>& d) {
    return d ? absl::StrCat(*d) : std::string("-");
  };
  const auto list = [&](std::vector<std::string> values) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    absl::StrAppend(&text, "|", values.size());
    for (const std::string& v : values) absl::StrAppend(&text, ":", v.size(), ":", v);
  };
  absl::StrAppend(&text, "|", day(f.start), "|", day(f.end));
  list(f.regions);
  list(f.categories);
  list(f.sub_categories);
  list(f.segments);
  list(f.states);
  list(f.customer_ids);
  absl::StrAppend(
      &text, "|", day(request.query.calibration_end), "|", static_cast<int>(request.query.unit),
      "|", predict::ResolvedHorizon(request.clv, request.query.unit), "|",
      request.clv.annual_discount_rate, "|",
      selection.tier ? static_cast<int>(*selection.tier) : -1, "|",
      selection.segment ? static_cast<int>(*selection.segment) : -1, "|",
      selection.alive_below.value_or(-1), "|", static_cast<int>(selection.order.key),
      selection.order.descending, "|", selection.thresholds.gold_min_frequency, "|",
      selection.thresholds.gold_min_monetary, "|", selection.thresholds.silver_min_frequency);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::uint64_t fingerprint = 0;
  std::memcpy(&fingerprint, digest, sizeof fingerprint);
  return fingerprint;
}

void PredictionModelToProto(const predict::PredictionModel& model,
                            v1::GetPredictionFitResponse& out) {
  out.set_calibration_end_date(FormatIsoDay(model.calibration_end));
  out.set_time_unit(UnitToProto(model.unit));
  out.set_customers(model.bgnbd.customers);
  out.set_repeat_customers(model.bgnbd.repeaters);
  out.set_customers_after_calibration(model.histories.later_customers);
  v1::BgNbdParameters& p = *out.mutable_bgnbd();
  p.set_r(model.bgnbd.params.r);
  p.set_alpha(model.bgnbd.params.alpha);
  p.set_a(model.bgnbd.params.a);
  p.set_b(model.bgnbd.params.b);
  DiagnosticsToProto(model.bgnbd.report, *out.mutable_bgnbd_fit());
  if (model.gamma_gamma.ok()) {
    const predict::GammaGammaFit& g = *model.gamma_gamma;
    out.mutable_gamma_gamma()->set_p(g.params.p);
    out.mutable_gamma_gamma()->set_q(g.params.q);
    out.mutable_gamma_gamma()->set_gamma(g.params.gamma);
    DiagnosticsToProto(g.report, *out.mutable_gamma_gamma_fit());
    out.set_gamma_gamma_customers(g.customers);
  } else {
    out.set_gamma_gamma_unavailable_reason(std::string(model.gamma_gamma.status().message()));
  }
  if (model.holdout) {
    v1::HoldoutCheck& h = *out.mutable_holdout();
    h.set_first_date(FormatIsoDay(model.holdout->first_day));
    h.set_last_date(FormatIsoDay(model.holdout->last_day));
    h.set_length(model.holdout->length);
    h.set_actual_repeat_purchases(model.holdout->actual_purchases);
    h.set_expected_repeat_purchases(model.holdout->expected_purchases);
  }
}

void PredictedCustomerToProto(const predict::PredictedCustomer& customer,
                              v1::CustomerPrediction& out) {
  const predict::CustomerPrediction& p = customer.prediction;
  out.set_customer_id(std::string(p.customer_id));
  out.set_customer_name(std::string(customer.rfm.rfm.customer_name));
  out.set_repeat_purchases(p.x);
  out.set_recency(p.t_x);
  out.set_age(p.t);
  out.set_probability_alive(p.probability_alive);
  out.set_churn_risk(1 - p.probability_alive);
  out.set_expected_purchases(p.expected_purchases);
  if (p.expected_average_value) out.set_expected_average_value(*p.expected_average_value);
  if (p.clv) out.set_clv(*p.clv);
  out.set_tier(TierToProto(customer.rfm.tier));
  out.set_rfm_segment(SegmentToProto(customer.rfm.segment));
}

void CohortReportToProto(const CohortReport& report, v1::GetCohortsResponse& out) {
  out.set_granularity(GranularityToProto(report.granularity));
  out.set_customers(report.customers);
  for (const CohortFigures& cohort : report.cohorts) {
    v1::Cohort& c = *out.add_cohorts();
    c.set_start_date(FormatIsoDay(cohort.start));
    c.set_label(BucketLabel(cohort.start, report.granularity));
    c.set_customers(cohort.customers);
    for (const CohortPeriodFigures& period : cohort.periods) {
      v1::CohortPeriod& p = *c.add_periods();
      p.set_period(period.period);
      p.set_active_customers(period.active_customers);
      p.set_retention(period.retention);
      p.set_revenue(Money(period.revenue));
      p.set_revenue_micros(period.revenue);
    }
  }
}

void MigrationReportToProto(const MigrationReport& report, v1::GetSegmentMigrationResponse& out) {
  out.set_from_date(FormatIsoDay(report.from));
  out.set_to_date(FormatIsoDay(report.to));
  out.set_customers_at_from(report.customers_at_from);
  out.set_new_customers(report.new_customers);
  for (std::size_t from = 0; from < report.tiers.size(); ++from) {
    for (std::size_t to = 0; to < kAllTiers.size(); ++to) {
      const MigrationCell& cell = report.tiers[from][to];
      if (cell.customers == 0) continue;
      v1::TierMigration& m = *out.add_tiers();
      m.set_from_tier(from < kAllTiers.size() ? TierToProto(kAllTiers[from])
                                              : v1::TIER_UNSPECIFIED);
      m.set_to_tier(TierToProto(kAllTiers[to]));
      m.set_customers(cell.customers);
      m.set_revenue(Money(cell.revenue));
      m.set_revenue_micros(cell.revenue);
    }
  }
  for (std::size_t from = 0; from < report.segments.size(); ++from) {
    for (std::size_t to = 0; to < kAllSegments.size(); ++to) {
      const MigrationCell& cell = report.segments[from][to];
      if (cell.customers == 0) continue;
      v1::SegmentMigration& m = *out.add_segments();
      m.set_from_segment(from < kAllSegments.size() ? SegmentToProto(kAllSegments[from])
                                                    : v1::RFM_SEGMENT_UNSPECIFIED);
      m.set_to_segment(SegmentToProto(kAllSegments[to]));
      m.set_customers(cell.customers);
      m.set_revenue(Money(cell.revenue));
      m.set_revenue_micros(cell.revenue);
    }
  }
}

}  // namespace analytics::api
