#include "predict/bgnbd.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "predict/digamma.h"
#include "predict/nelder_mead.h"
#include "predict/quasi_newton.h"
#include "query/columnar/in_parallel.h"

namespace analytics::predict {
namespace {

// ln(e^u + e^v) without overflow; v may be -infinity.
double LogAddExp(double u, double v) {
  if (v == -std::numeric_limits<double>::infinity()) return u;
  const double hi = std::max(u, v);
  return hi + std::log1p(std::exp(std::min(u, v) - hi));
}

// Beyond these logs a parameter has run off to 0 or infinity: the data do
// not identify it.
constexpr double kLogParamLimit = 15.0;
// Fits of more customers than this start from a fit on kWarmStartSample of
// them.
constexpr std::size_t kWarmStartAbove = 20'000;
constexpr std::size_t kWarmStartSample = 5'000;
// Likelihoods of at least this many distinct (x, t_x, T) run in two halves.
constexpr std::size_t kParallelTriples = 20'000;

// The customers grouped by (x, t_x days, T days): the likelihood is the
// same for each member, so a fit evaluates each distinct triple once, and
// the terms that depend on x only (or t_x, T only) once per value.
struct Grouped {
  struct Triple {
    std::int32_t x;
    std::int32_t t_x_days;
    std::int32_t t_days;
    double count;
  };
  std::vector<Triple> triples;
  std::int32_t max_x = 0;
  std::int32_t max_days = 0;
};

Grouped Group(const std::vector<PurchaseSummary>& customers) {
  std::map<std::tuple<std::int32_t, std::int32_t, std::int32_t>, double> counts;
  Grouped g;
  for (const PurchaseSummary& c : customers) {
    counts[{c.x, c.t_x_days, c.t_days}] += 1;
    g.max_x = std::max(g.max_x, c.x);
    g.max_days = std::max(g.max_days, c.t_days);
  }
  g.triples.reserve(counts.size());
  for (const auto& [key, count] : counts) {
    g.triples.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
  }
  return g;
}

// Log-likelihood of grouped data and its gradient in (r, α, a, b); scratch
// vectors reused across calls. With w = the weight of the second term of
// the customer's ln[(α+T)^−(r+x) + a/(b+x−1) (α+t_x)^−(r+x)]:
//   ∂/∂r = ψ(r+x) − ψ(r) + ln α − (1−w) ln(α+T) − w ln(α+t_x)
//   ∂/∂α = r/α − (r+x) [(1−w)/(α+T) + w/(α+t_x)]
//   ∂/∂a = ψ(a+b) − ψ(a+b+x) + w/a
//   ∂/∂b = ψ(a+b) + ψ(b+x) − ψ(b) − ψ(a+b+x) − w/(b+x−1)
class GroupedLikelihood {
 public:
  struct Value {
    double log_likelihood = 0;
    std::array<double, 4> gradient{};  // ∂/∂r, ∂/∂α, ∂/∂a, ∂/∂b
  };

  GroupedLikelihood(const Grouped& g, double days_per_unit)
      : g_(g),
        days_per_unit_(days_per_unit),
        per_x_(static_cast<std::size_t>(g.max_x) + 1),
        log_alpha_days_(static_cast<std::size_t>(g.max_days) + 1),
        inverse_alpha_days_(static_cast<std::size_t>(g.max_days) + 1) {}

  Value operator()(const BgNbdParams& p) {
    const double log_alpha = std::log(p.alpha);
    const double lg_r = std::lgamma(p.r);
    const double lg_b = std::lgamma(p.b);
    const double lg_ab = std::lgamma(p.a + p.b);
    const double log_a = std::log(p.a);
    // ψ(z + x) from ψ(z) by ψ(z+1) = ψ(z) + 1/z, x = 0, 1, ...
    double psi_rx = Digamma(p.r), psi_bx = Digamma(p.b), psi_abx = Digamma(p.a + p.b);
    const double psi_r = psi_rx, psi_b = psi_bx, psi_ab = psi_abx;
    for (std::size_t x = 0; x < per_x_.size(); ++x) {
      const double xd = static_cast<double>(x);
      PerX& e = per_x_[x];
      e.value = std::lgamma(p.r + xd) - lg_r + p.r * log_alpha + std::lgamma(p.b + xd) + lg_ab -
                lg_b - std::lgamma(p.a + p.b + xd);
      e.log_bx = x == 0 ? 0.0 : std::log(p.b + xd - 1);
      e.inverse_bx = x == 0 ? 0.0 : 1 / (p.b + xd - 1);
      e.d_r = psi_rx - psi_r + log_alpha;
      e.d_a = psi_ab - psi_abx;
      e.d_b = psi_ab + psi_bx - psi_b - psi_abx;
      psi_rx += 1 / (p.r + xd);
      psi_bx += 1 / (p.b + xd);
      psi_abx += 1 / (p.a + p.b + xd);
    }
    // ln(α + d/unit) and its inverse for every day count d up to the
    // longest T.
    for (std::size_t d = 0; d < log_alpha_days_.size(); ++d) {
      const double at = p.alpha + static_cast<double>(d) / days_per_unit_;
      log_alpha_days_[d] = std::log(at);
      inverse_alpha_days_[d] = 1 / at;
    }
    const double inverse_a = 1 / p.a;
    const double r_over_alpha = p.r / p.alpha;
    const auto part = [&](std::size_t begin, std::size_t end) {
      Value v;
      double ll = 0, dr = 0, dalpha = 0, da = 0, db = 0;
      for (std::size_t i = begin; i < end; ++i) {
        const Grouped::Triple& t = g_.triples[i];
        const PerX& e = per_x_[static_cast<std::size_t>(t.x)];
        const auto big_t = static_cast<std::size_t>(t.t_days);
        const double rx = p.r + t.x;
        const double a3 = -rx * log_alpha_days_[big_t];
        double log_sum = a3;
        double w = 0;  // weight of the a4 term
        double d_r = e.d_r - log_alpha_days_[big_t];
        double d_alpha = r_over_alpha - rx * inverse_alpha_days_[big_t];
        double d_a = e.d_a;
        double d_b = e.d_b;
        if (t.x > 0) {
          const auto t_x = static_cast<std::size_t>(t.t_x_days);
          const double a4 = log_a - e.log_bx - rx * log_alpha_days_[t_x];
          const double hi = std::max(a3, a4);
          const double ratio = std::exp(std::min(a3, a4) - hi);
          log_sum = hi + std::log1p(ratio);
          const double w_lo = ratio / (1 + ratio);
          w = a4 >= a3 ? 1 - w_lo : w_lo;
          d_r += w * (log_alpha_days_[big_t] - log_alpha_days_[t_x]);
          d_alpha += rx * w * (inverse_alpha_days_[big_t] - inverse_alpha_days_[t_x]);
          d_a += w * inverse_a;
          d_b -= w * e.inverse_bx;
        }
        ll += t.count * (e.value + log_sum);
        dr += t.count * d_r;
        dalpha += t.count * d_alpha;
        da += t.count * d_a;
        db += t.count * d_b;
      }
      v.log_likelihood = ll;
      v.gradient = {dr, dalpha, da, db};
      return v;
    };
    // Large data: two halves on two cores (the machine has few).
    const std::size_t n = g_.triples.size();
    Value first, second;
    columnar::InParallel(
        n >= kParallelTriples, [&] { first = part(0, n / 2); }, [&] { second = part(n / 2, n); });
    first.log_likelihood += second.log_likelihood;
    for (std::size_t k = 0; k < 4; ++k) first.gradient[k] += second.gradient[k];
    return first;
  }

 private:
  struct PerX {
    double value;  // the terms of x alone
    double log_bx;
    double inverse_bx;
    double d_r, d_a, d_b;  // their derivatives
  };
  const Grouped& g_;
  const double days_per_unit_;
  std::vector<PerX> per_x_;
  std::vector<double> log_alpha_days_;
  std::vector<double> inverse_alpha_days_;
};

BgNbdParams FromLogs(const std::vector<double>& v) {
  return {std::exp(v[0]), std::exp(v[1]), std::exp(v[2]), std::exp(v[3])};
}

}  // namespace

double BgNbdLogLikelihood(const BgNbdParams& p, double x, double t_x, double t) {
  const double rx = p.r + x;
  const double a1 = std::lgamma(rx) - std::lgamma(p.r) + p.r * std::log(p.alpha);
  const double a2 =
      std::lgamma(p.a + p.b) + std::lgamma(p.b + x) - std::lgamma(p.b) - std::lgamma(p.a + p.b + x);
  const double a3 = -rx * std::log(p.alpha + t);
  const double a4 = x > 0 ? std::log(p.a) - std::log(p.b + x - 1) - rx * std::log(p.alpha + t_x)
                          : -std::numeric_limits<double>::infinity();
  return a1 + a2 + LogAddExp(a3, a4);
}

double BgNbdLogLikelihood(const BgNbdParams& p, const std::vector<PurchaseSummary>& customers,
                          TimeUnit unit) {
  const double days = DaysPerUnit(unit);
  double sum = 0;
  for (const PurchaseSummary& c : customers) {
    sum += BgNbdLogLikelihood(p, c.x, c.t_x_days / days, c.t_days / days);
  }
  return sum;
}

absl::StatusOr<BgNbdFit> FitBgNbd(const std::vector<PurchaseSummary>& customers, TimeUnit unit) {
  BgNbdFit fit;
  fit.customers = static_cast<std::int64_t>(customers.size());
  std::int32_t longest = 0;
  for (const PurchaseSummary& c : customers) {
    if (c.x > 0) ++fit.repeaters;
    longest = std::max(longest, c.t_days);
  }
  if (customers.empty()) {
    return absl::FailedPreconditionError(
        "no customer has an order on or before the calibration end: nothing to fit");
  }
  if (fit.repeaters == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "none of the ", fit.customers,
        " customers made a repeat purchase (an order on a later day than their first) by the "
        "calibration end: the BG/NBD fit needs repeat buyers"));
  }
  if (longest == 0) {
    return absl::FailedPreconditionError(
        "every customer's first order is on the calibration end: no time observed to fit");
  }
  const Grouped grouped = Group(customers);
  GroupedLikelihood likelihood(grouped, DaysPerUnit(unit));
  const auto too_far = [](const std::vector<double>& v) {
    for (const double value : v) {
      if (std::abs(value) > kLogParamLimit + 5) return true;
    }
    return false;
  };
  // −LL and its gradient in the log-parameters (∂/∂ln θ = θ ∂/∂θ).
  const auto objective = [&](const std::vector<double>& v, std::vector<double>& gradient) {
    if (too_far(v)) return std::numeric_limits<double>::infinity();
    const BgNbdParams p = FromLogs(v);
    const GroupedLikelihood::Value value = likelihood(p);
    const double params[] = {p.r, p.alpha, p.a, p.b};
    for (std::size_t k = 0; k < 4; ++k) gradient[k] = -params[k] * value.gradient[k];
    return -value.log_likelihood;
  };
  // Many customers: a fit on an evenly spread sample first starts the full
  // fit near its maximum, where it needs fewer evaluations of the full
  // likelihood. The maximum itself is the full data's.
  std::vector<double> start = {0.0, 0.0, 0.0, 0.0};
  if (customers.size() > kWarmStartAbove) {
    std::vector<PurchaseSummary> sample;
    const std::size_t stride = customers.size() / kWarmStartSample;
    for (std::size_t i = 0; i < customers.size(); i += stride) sample.push_back(customers[i]);
    if (absl::StatusOr<BgNbdFit> rough = FitBgNbd(sample, unit); rough.ok()) {
      start = {std::log(rough->params.r), std::log(rough->params.alpha), std::log(rough->params.a),
               std::log(rough->params.b)};
    }
  }
  const MinimizeResult result = MinimizeWithSimplexFallback(objective, start, kLogParamLimit);
  static constexpr const char* kNames[] = {"r", "alpha", "a", "b"};
  for (std::size_t i = 0; i < result.x.size(); ++i) {
    if (std::abs(result.x[i]) > kLogParamLimit) {
      return absl::FailedPreconditionError(
          absl::StrCat("too little data to fit BG/NBD: ", kNames[i], " ran off to ",
                       result.x[i] > 0 ? "infinity" : "0", " (", fit.customers, " customers, ",
                       fit.repeaters, " with repeat purchases)"));
    }
  }
  if (!std::isfinite(result.value)) {
    return absl::FailedPreconditionError("the BG/NBD likelihood is not finite on this data");
  }
  fit.params = FromLogs(result.x);
  fit.report = {.log_likelihood = -result.value,
                .converged = result.converged,
                .iterations = result.iterations,
                .evaluations = result.evaluations,
                .restarts = result.restarts};
  return fit;
}

double ProbabilityAlive(const BgNbdParams& p, double x, double t_x, double t) {
  if (x <= 0) return 1.0;
  const double log_ratio = std::log(p.a) - std::log(p.b + x - 1) +
                           (p.r + x) * (std::log(p.alpha + t) - std::log(p.alpha + t_x));
  return 1.0 / (1.0 + std::exp(log_ratio));
}

double Hypergeometric2F1(double a, double b, double c, double z) {
  double term = 1.0;
  double sum = 1.0;
  for (int k = 0; k < 1'000'000; ++k) {
    term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
    const double next = sum + term;
    if (next == sum) break;
    sum = next;
  }
  return sum;
}

double ExpectedPurchases(const BgNbdParams& p, double horizon, double x, double t_x, double t) {
  if (horizon <= 0) return 0.0;
  const double rx = p.r + x;
  const double c = p.a + p.b + x - 1;
  const double z = horizon / (p.alpha + t + horizon);
  const double hyp = Hypergeometric2F1(rx, p.b + x, c, z);
  const double numerator =
      c / (p.a - 1) * (1 - std::exp(rx * std::log((p.alpha + t) / (p.alpha + t + horizon))) * hyp);
  const double denominator =
      x > 0 ? 1 + p.a / (p.b + x - 1) *
                      std::exp(rx * (std::log(p.alpha + t) - std::log(p.alpha + t_x)))
            : 1.0;
  return numerator / denominator;
}

}  // namespace analytics::predict
