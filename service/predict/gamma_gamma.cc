#include "predict/gamma_gamma.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "predict/nelder_mead.h"

namespace analytics::predict {
namespace {

constexpr double kLogParamLimit = 15.0;

}  // namespace

double GammaGammaLogLikelihood(const GammaGammaParams& params, double x, double mean_value) {
  const double px = params.p * x;
  return std::lgamma(px + params.q) - std::lgamma(px) - std::lgamma(params.q) +
         params.q * std::log(params.gamma) + (px - 1) * std::log(mean_value) + px * std::log(x) -
         (px + params.q) * std::log(params.gamma + mean_value * x);
}

bool UsableForGammaGamma(const PurchaseSummary& customer) {
  return customer.x >= 1 && customer.repeat_sales > 0;
}

absl::StatusOr<GammaGammaFit> FitGammaGamma(const std::vector<PurchaseSummary>& customers) {
  struct Point {
    double x;
    double m;
    double log_m;
    double log_x;
  };
  std::vector<Point> points;
  for (const PurchaseSummary& c : customers) {
    if (!UsableForGammaGamma(c)) continue;
    const double m = c.MeanRepeatValue();
    points.push_back({double(c.x), m, std::log(m), std::log(double(c.x))});
  }
  GammaGammaFit fit;
  fit.customers = static_cast<std::int64_t>(points.size());
  if (points.empty()) {
    return absl::FailedPreconditionError(
        "no customer has a repeat purchase with a positive value: the Gamma-Gamma spend fit "
        "needs some");
  }
  const auto objective = [&](const std::vector<double>& v) {
    for (const double value : v) {
      if (std::abs(value) > kLogParamLimit + 5) return std::numeric_limits<double>::infinity();
    }
    const double p = std::exp(v[0]), q = std::exp(v[1]), g = std::exp(v[2]);
    const double lg_q = std::lgamma(q);
    const double log_g = std::log(g);
    double sum = 0;
    for (const Point& pt : points) {
      const double px = p * pt.x;
      sum += std::lgamma(px + q) - std::lgamma(px) - lg_q + q * log_g + (px - 1) * pt.log_m +
             px * pt.log_x - (px + q) * std::log(g + pt.m * pt.x);
    }
    return -sum;
  };
  const MinimizeResult result = MinimizeNelderMead(objective, {0.0, 0.0, 0.0});
  static constexpr const char* kNames[] = {"p", "q", "gamma"};
  for (std::size_t i = 0; i < result.x.size(); ++i) {
    if (std::abs(result.x[i]) > kLogParamLimit) {
      return absl::FailedPreconditionError(
          absl::StrCat("too little data to fit Gamma-Gamma: ", kNames[i], " ran off to ",
                       result.x[i] > 0 ? "infinity" : "0", " (", fit.customers, " customers)"));
    }
  }
  if (!std::isfinite(result.value)) {
    return absl::FailedPreconditionError("the Gamma-Gamma likelihood is not finite on this data");
  }
  fit.params = {std::exp(result.x[0]), std::exp(result.x[1]), std::exp(result.x[2])};
  fit.report = {.log_likelihood = -result.value,
                .converged = result.converged,
                .iterations = result.iterations,
                .evaluations = result.evaluations,
                .restarts = result.restarts};
  return fit;
}

double ExpectedAverageValue(const GammaGammaParams& params, double x, double mean_value) {
  if (params.q <= 1) return std::numeric_limits<double>::quiet_NaN();
  return params.p * (params.gamma + x * mean_value) / (params.p * x + params.q - 1);
}

}  // namespace analytics::predict
