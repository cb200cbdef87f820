#include "predict/gamma_gamma.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "predict/digamma.h"
#include "predict/quasi_newton.h"

namespace analytics::predict {
namespace {

constexpr double kLogParamLimit = 15.0;
constexpr std::size_t kWarmStartAbove = 20'000;
constexpr std::size_t kWarmStartSample = 5'000;

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
  // The likelihood's sum, rearranged so that an evaluation costs one log per
  // customer: the gamma functions depend on x only (once per distinct x),
  // and Σ (px−1) ln m + px ln x = p Σ x (ln m + ln x) − Σ ln m.
  struct Point {
    double x;
    double mx;  // m_x · x: the customer's repeat spend
  };
  std::vector<Point> points;
  std::vector<double> count_of_x;  // customers per x
  double sum_x_log_mx = 0, sum_log_m = 0;
  for (const PurchaseSummary& c : customers) {
    if (!UsableForGammaGamma(c)) continue;
    const double m = c.MeanRepeatValue();
    const double x = c.x;
    points.push_back({x, m * x});
    if (count_of_x.size() <= static_cast<std::size_t>(c.x)) count_of_x.resize(c.x + 1, 0.0);
    count_of_x[static_cast<std::size_t>(c.x)] += 1;
    sum_x_log_mx += x * (std::log(m) + std::log(x));
    sum_log_m += std::log(m);
  }
  GammaGammaFit fit;
  fit.customers = static_cast<std::int64_t>(points.size());
  if (points.empty()) {
    return absl::FailedPreconditionError(
        "no customer has a repeat purchase with a positive value: the Gamma-Gamma spend fit "
        "needs some");
  }
  const double n = static_cast<double>(points.size());
  // The log-likelihood and its gradient:
  //   ∂/∂p = Σ x (ln m + ln x) + Σ_x c_x x [ψ(px+q) − ψ(px)] − Σ x ln(γ + m x)
  //   ∂/∂q = n (ln γ − ψ(q)) + Σ_x c_x ψ(px+q) − Σ ln(γ + m x)
  //   ∂/∂γ = n q / γ − Σ (px + q) / (γ + m x)
  const auto log_likelihood = [&](double p, double q, double g, std::vector<double>& gradient) {
    double sum = n * (q * std::log(g) - std::lgamma(q)) + p * sum_x_log_mx - sum_log_m;
    double dp = sum_x_log_mx, dq = n * (std::log(g) - Digamma(q)), dg = n * q / g;
    for (std::size_t x = 1; x < count_of_x.size(); ++x) {
      if (count_of_x[x] == 0) continue;
      const double xd = static_cast<double>(x);
      const double px = p * xd;
      sum += count_of_x[x] * (std::lgamma(px + q) - std::lgamma(px));
      const double psi_pxq = Digamma(px + q);
      dp += count_of_x[x] * xd * (psi_pxq - Digamma(px));
      dq += count_of_x[x] * psi_pxq;
    }
    for (const Point& pt : points) {
      const double log_spend = std::log(g + pt.mx);
      const double weight = p * pt.x + q;
      sum -= weight * log_spend;
      dp -= pt.x * log_spend;
      dq -= log_spend;
      dg -= weight / (g + pt.mx);
    }
    gradient = {dp, dq, dg};
    return sum;
  };
  std::vector<double> natural(3);
  // −LL and its gradient in the log-parameters (∂/∂ln θ = θ ∂/∂θ).
  const auto objective = [&](const std::vector<double>& v, std::vector<double>& gradient) {
    for (const double value : v) {
      if (std::abs(value) > kLogParamLimit + 5) return std::numeric_limits<double>::infinity();
    }
    const double p = std::exp(v[0]), q = std::exp(v[1]), g = std::exp(v[2]);
    const double ll = log_likelihood(p, q, g, natural);
    gradient[0] = -p * natural[0];
    gradient[1] = -q * natural[1];
    gradient[2] = -g * natural[2];
    return -ll;
  };
  // As FitBgNbd: many customers start from a fit on a sample of them.
  std::vector<double> start = {0.0, 0.0, 0.0};
  if (points.size() > kWarmStartAbove) {
    std::vector<PurchaseSummary> sample;
    const std::size_t stride = points.size() / kWarmStartSample;
    std::size_t usable = 0;
    for (const PurchaseSummary& c : customers) {
      if (UsableForGammaGamma(c) && usable++ % stride == 0) sample.push_back(c);
    }
    if (absl::StatusOr<GammaGammaFit> rough = FitGammaGamma(sample); rough.ok()) {
      start = {std::log(rough->params.p), std::log(rough->params.q), std::log(rough->params.gamma)};
    }
  }
  const MinimizeResult result = MinimizeWithSimplexFallback(objective, start, kLogParamLimit);
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
