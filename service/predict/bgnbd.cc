#include "predict/bgnbd.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "predict/nelder_mead.h"
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

// Log-likelihood of grouped data; scratch vectors reused across calls.
class GroupedLikelihood {
 public:
  GroupedLikelihood(const Grouped& g, double days_per_unit)
      : g_(g),
        days_per_unit_(days_per_unit),
        per_x_(static_cast<std::size_t>(g.max_x) + 1),
        log_bx_(static_cast<std::size_t>(g.max_x) + 1),
        log_alpha_days_(static_cast<std::size_t>(g.max_days) + 1) {}

  double operator()(const BgNbdParams& p) {
    const double log_alpha = std::log(p.alpha);
    const double lg_r = std::lgamma(p.r);
    const double lg_b = std::lgamma(p.b);
    const double lg_ab = std::lgamma(p.a + p.b);
    const double log_a = std::log(p.a);
    for (std::size_t x = 0; x < per_x_.size(); ++x) {
      const double xd = static_cast<double>(x);
      per_x_[x] = std::lgamma(p.r + xd) - lg_r + p.r * log_alpha + std::lgamma(p.b + xd) + lg_ab -
                  lg_b - std::lgamma(p.a + p.b + xd);
      log_bx_[x] = x == 0 ? 0.0 : std::log(p.b + xd - 1);
    }
    // ln(α + d/unit) for every day count d up to the longest T.
    for (std::size_t d = 0; d < log_alpha_days_.size(); ++d) {
      log_alpha_days_[d] = std::log(p.alpha + static_cast<double>(d) / days_per_unit_);
    }
    const auto part = [&](std::size_t begin, std::size_t end) {
      double sum = 0;
      for (std::size_t i = begin; i < end; ++i) {
        const Grouped::Triple& t = g_.triples[i];
        const double rx = p.r + t.x;
        const double a3 = -rx * log_alpha_days_[static_cast<std::size_t>(t.t_days)];
        const double a4 = t.x == 0 ? -std::numeric_limits<double>::infinity()
                                   : log_a - log_bx_[static_cast<std::size_t>(t.x)] -
                                         rx * log_alpha_days_[static_cast<std::size_t>(t.t_x_days)];
        sum += t.count * (per_x_[static_cast<std::size_t>(t.x)] + LogAddExp(a3, a4));
      }
      return sum;
    };
    // Large data: two halves on two cores (the machine has few).
    const std::size_t n = g_.triples.size();
    double first = 0, second = 0;
    columnar::InParallel(
        n >= kParallelTriples, [&] { first = part(0, n / 2); }, [&] { second = part(n / 2, n); });
    return first + second;
  }

 private:
  const Grouped& g_;
  const double days_per_unit_;
  std::vector<double> per_x_;
  std::vector<double> log_bx_;
  std::vector<double> log_alpha_days_;
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
  const auto objective = [&](const std::vector<double>& v) {
    for (const double value : v) {
      if (std::abs(value) > kLogParamLimit + 5) return std::numeric_limits<double>::infinity();
    }
    return -likelihood(FromLogs(v));
  };
  // Many customers: a fit on an evenly spread sample first starts the full
  // fit near its maximum, where it needs far fewer evaluations of the full
  // likelihood. The maximum itself is the full data's.
  std::vector<double> start = {0.0, 0.0, 0.0, 0.0};
  MinimizeOptions options;
  options.give_up_beyond = kLogParamLimit;
  if (customers.size() > kWarmStartAbove) {
    std::vector<PurchaseSummary> sample;
    const std::size_t stride = customers.size() / kWarmStartSample;
    for (std::size_t i = 0; i < customers.size(); i += stride) sample.push_back(customers[i]);
    if (absl::StatusOr<BgNbdFit> rough = FitBgNbd(sample, unit); rough.ok()) {
      start = {std::log(rough->params.r), std::log(rough->params.alpha), std::log(rough->params.a),
               std::log(rough->params.b)};
      options.initial_step = 0.1;
    }
  }
  const MinimizeResult result = MinimizeNelderMead(objective, start, options);
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
