#include "predict/clv.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/container/flat_hash_map.h"

namespace analytics::predict {

double ResolvedHorizon(const ClvOptions& options, TimeUnit unit) {
  return options.horizon > 0 ? options.horizon : 364.0 / DaysPerUnit(unit);
}

double DiscountedExpectedPurchases(const BgNbdParams& params, double horizon, TimeUnit unit,
                                   double annual_discount_rate, double x, double t_x, double t) {
  if (annual_discount_rate <= 0) return ExpectedPurchases(params, horizon, x, t_x, t);
  const double days_per_unit = DaysPerUnit(unit);
  const double step = 28.0 / days_per_unit;
  const double log_rate = std::log1p(annual_discount_rate);
  double sum = 0;
  double before = 0;
  for (double end = std::min(step, horizon);; end = std::min(end + step, horizon)) {
    const double expected = ExpectedPurchases(params, end, x, t_x, t);
    const double years = end * days_per_unit / 365.25;
    sum += (expected - before) * std::exp(-years * log_rate);
    before = expected;
    if (end >= horizon) break;
  }
  return sum;
}

std::vector<CustomerPrediction> PredictCustomers(const PurchaseHistories& histories, TimeUnit unit,
                                                 const BgNbdParams& params,
                                                 const GammaGammaParams* spend,
                                                 const ClvOptions& options) {
  const double days = DaysPerUnit(unit);
  const double horizon = ResolvedHorizon(options, unit);
  struct Purchases {
    double alive;
    double expected;
    double discounted;
  };
  // Customers sharing (x, t_x, T) share P(alive) and expected purchases.
  absl::flat_hash_map<std::tuple<std::int32_t, std::int32_t, std::int32_t>, Purchases> known;
  std::vector<CustomerPrediction> result;
  result.reserve(histories.customers.size());
  for (const PurchaseSummary& c : histories.customers) {
    CustomerPrediction p;
    p.customer_id = c.customer_id;
    p.x = c.x;
    p.t_x = c.t_x_days / days;
    p.t = c.t_days / days;
    auto [it, inserted] = known.try_emplace({c.x, c.t_x_days, c.t_days}, Purchases{});
    if (inserted) {
      it->second.alive = ProbabilityAlive(params, p.x, p.t_x, p.t);
      it->second.expected = ExpectedPurchases(params, horizon, p.x, p.t_x, p.t);
      it->second.discounted =
          options.annual_discount_rate > 0
              ? DiscountedExpectedPurchases(params, horizon, unit, options.annual_discount_rate,
                                            p.x, p.t_x, p.t)
              : it->second.expected;
    }
    p.probability_alive = it->second.alive;
    p.expected_purchases = it->second.expected;
    if (spend != nullptr) {
      const double value = ExpectedAverageValue(*spend, p.x, c.MeanRepeatValue());
      if (std::isfinite(value)) {
        p.expected_average_value = value;
        p.clv = value * it->second.discounted;
      }
    }
    result.push_back(p);
  }
  return result;
}

}  // namespace analytics::predict
