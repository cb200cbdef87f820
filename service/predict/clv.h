// Per-customer predictions from fitted BG/NBD and Gamma-Gamma parameters:
// P(alive), expected purchases over a horizon, expected average purchase
// value, and customer lifetime value over the horizon, optionally
// discounted.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "predict/bgnbd.h"
#include "predict/gamma_gamma.h"
#include "predict/purchase_history.h"

namespace analytics::predict {

struct ClvOptions {
  // In the model's unit; <= 0 means 52 weeks (364 days).
  double horizon = 0;
  // Per year (365.25 days), >= 0; 0: no discounting.
  double annual_discount_rate = 0;

  friend bool operator==(const ClvOptions&, const ClvOptions&) = default;
};

// The horizon `options` gives in `unit` (the default resolved).
double ResolvedHorizon(const ClvOptions& options, TimeUnit unit);

struct CustomerPrediction {
  std::string_view customer_id;
  std::int32_t x = 0;
  double t_x = 0;  // in the unit
  double t = 0;    // T, in the unit
  double probability_alive = 1;
  double expected_purchases = 0;  // over the horizon, not discounted
  // Unset without a usable Gamma-Gamma fit.
  std::optional<double> expected_average_value;
  std::optional<double> clv;
};

// Expected purchases over `horizon` units, each purchase discounted to the
// calibration end: Σ_k (E[Y(t_k)] − E[Y(t_{k−1})]) (1+d)^−(t_k in years),
// t_k every 28 days and the last at the horizon. With d = 0 it is
// E[Y(horizon)].
double DiscountedExpectedPurchases(const BgNbdParams& params, double horizon, TimeUnit unit,
                                   double annual_discount_rate, double x, double t_x, double t);

// CLV = E[M | x, m_x] × DiscountedExpectedPurchases.
// One prediction per calibrated customer, in the histories' order;
// computed once per distinct (x, t_x, T, m_x).
std::vector<CustomerPrediction> PredictCustomers(const PurchaseHistories& histories, TimeUnit unit,
                                                 const BgNbdParams& params,
                                                 const GammaGammaParams* spend,
                                                 const ClvOptions& options);

}  // namespace analytics::predict
