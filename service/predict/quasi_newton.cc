#include "predict/quasi_newton.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace analytics::predict {
namespace {

double Dot(const std::vector<double>& u, const std::vector<double>& v) {
  double sum = 0;
  for (std::size_t i = 0; i < u.size(); ++i) sum += u[i] * v[i];
  return sum;
}

double MaxAbs(const std::vector<double>& v) {
  double m = 0;
  for (const double e : v) m = std::max(m, std::abs(e));
  return m;
}

// Armijo's sufficient decrease, and how often a step is halved before the
// line search gives up (2^-60 of a step: nothing left to gain).
constexpr double kArmijo = 1e-4;
constexpr int kMaxHalvings = 60;
// A line search that cannot decrease the value any more, with the gradient
// this small (relative), is at the minimum to within rounding: the
// likelihood's sum over many groups is not exact enough for the
// sufficient-decrease test there.
constexpr double kRoundingGradient = 1e-7;
constexpr double kRoundingValue = 1e-14;
// This many steps in a row that lower the value by at most kFlatValue
// (relative) end the search, not converged.
constexpr double kFlatValue = 1e-12;
constexpr int kMaxFlatSteps = 10;
constexpr int kFallbackEvaluations = 2'000;
// The fits' BFGS budget. Fits that converge need tens (BG/NBD on 1M lines:
// ~30; CDNOW: under 100); Gamma-Gamma on spend with little heterogeneity
// (a long ridge) was seen needing ~1,000 with the simplex's. Without a
// budget an iteration-capped search could take 500 x 60 evaluations: the
// 43 s "fit right after a write" of the 16:32 bench run was such a crawl
// followed by 20,000 simplex evaluations. Now at most 1,000 + 2,000.
constexpr int kQuasiNewtonEvaluations = 1'000;

}  // namespace

MinimizeResult MinimizeQuasiNewton(const ValueAndGradient& f, std::vector<double> start,
                                   const QuasiNewtonOptions& options) {
  const std::size_t n = start.size();
  MinimizeResult result;
  result.x = std::move(start);
  const auto eval = [&](const std::vector<double>& x, std::vector<double>& gradient) {
    ++result.evaluations;
    const double v = f(x, gradient);
    if (!std::isfinite(v)) return std::numeric_limits<double>::infinity();
    for (const double g : gradient) {
      if (!std::isfinite(g)) return std::numeric_limits<double>::infinity();
    }
    return v;
  };
  std::vector<double> gradient(n), next_gradient(n), next(n), direction(n), s(n), y(n), hy(n);
  result.value = eval(result.x, gradient);
  if (!std::isfinite(result.value)) return result;
  // The inverse Hessian estimate, row-major.
  std::vector<double> h(n * n, 0.0);
  const auto reset = [&] {
    std::fill(h.begin(), h.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i) h[i * n + i] = 1.0;
  };
  reset();
  bool scaled = false;
  int flat_steps = 0;
  while (result.iterations < options.max_iterations &&
         result.evaluations < options.max_evaluations) {
    const double scale = 1 + std::abs(result.value);
    if (MaxAbs(gradient) <= options.gradient_tolerance * scale) {
      result.converged = true;
      break;
    }
    if (MaxAbs(result.x) > options.give_up_beyond) break;
    ++result.iterations;
    for (std::size_t i = 0; i < n; ++i) {
      direction[i] = 0;
      for (std::size_t j = 0; j < n; ++j) direction[i] -= h[i * n + j] * gradient[j];
    }
    double slope = Dot(direction, gradient);
    if (!(slope < 0)) {  // the estimate lost positive definiteness: steepest descent
      reset();
      scaled = false;
      ++result.restarts;
      for (std::size_t i = 0; i < n; ++i) direction[i] = -gradient[i];
      slope = -Dot(gradient, gradient);
    }
    double step = std::min(1.0, options.max_step / MaxAbs(direction));
    double value = std::numeric_limits<double>::infinity();
    bool decreased = false;
    for (int k = 0; k < kMaxHalvings && result.evaluations < options.max_evaluations;
         ++k, step *= 0.5) {
      for (std::size_t i = 0; i < n; ++i) next[i] = result.x[i] + step * direction[i];
      value = eval(next, next_gradient);
      if (value <= result.value + kArmijo * step * slope) {
        decreased = true;
        break;
      }
    }
    if (!decreased) {
      result.converged = MaxAbs(gradient) <= kRoundingGradient * scale;
      break;
    }
    // A decrease within rounding of the value, with a small gradient: the
    // gradient's own rounding (a sum over many groups) keeps it from the
    // tolerance, and further steps only chase that noise.
    if (result.value - value <= kRoundingValue * scale &&
        MaxAbs(next_gradient) <= kRoundingGradient * scale) {
      result.x = next;
      result.value = value;
      gradient = next_gradient;
      result.converged = true;
      break;
    }
    for (std::size_t i = 0; i < n; ++i) {
      s[i] = next[i] - result.x[i];
      y[i] = next_gradient[i] - gradient[i];
    }
    const double sy = Dot(s, y);
    if (sy > 1e-12 * std::sqrt(Dot(s, s) * Dot(y, y))) {
      if (!scaled) {  // Nocedal & Wright (6.20): the first estimate's scale
        const double gamma = sy / Dot(y, y);
        reset();
        for (std::size_t i = 0; i < n; ++i) h[i * n + i] = gamma;
        scaled = true;
      }
      for (std::size_t i = 0; i < n; ++i) {
        hy[i] = 0;
        for (std::size_t j = 0; j < n; ++j) hy[i] += h[i * n + j] * y[j];
      }
      const double yhy = Dot(y, hy);
      // H += ((sy + yHy) s sᵀ) / sy² − (Hy sᵀ + s (Hy)ᵀ) / sy
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
          h[i * n + j] += (sy + yhy) * s[i] * s[j] / (sy * sy) - (hy[i] * s[j] + s[i] * hy[j]) / sy;
        }
      }
    } else {
      reset();
      scaled = false;
      ++result.restarts;
    }
    // Creeping along a flat ridge (a parameter drifting off while the value
    // no longer changes beyond rounding, e.g. a spend model without
    // heterogeneity): no minimum this method can find.
    flat_steps = result.value - value <= kFlatValue * scale ? flat_steps + 1 : 0;
    result.x = next;
    result.value = value;
    gradient = next_gradient;
    if (flat_steps >= kMaxFlatSteps) break;
  }
  return result;
}

MinimizeResult MinimizeWithSimplexFallback(const ValueAndGradient& f, std::vector<double> start,
                                           double give_up_beyond) {
  QuasiNewtonOptions options;
  options.give_up_beyond = give_up_beyond;
  options.max_evaluations = kQuasiNewtonEvaluations;
  MinimizeResult result = MinimizeQuasiNewton(f, std::move(start), options);
  if (result.converged || !std::isfinite(result.value) || MaxAbs(result.x) > give_up_beyond) {
    return result;
  }
  MinimizeOptions simplex;
  simplex.give_up_beyond = give_up_beyond;
  simplex.initial_step = 0.1;
  // From near the optimum the simplex needs a few hundred evaluations; on a
  // ridge it runs off (give_up_beyond) or stops here rather than crawl.
  simplex.max_evaluations = kFallbackEvaluations;
  std::vector<double> unused(result.x.size());
  const MinimizeResult finished = MinimizeNelderMead(
      [&](const std::vector<double>& x) { return f(x, unused); }, result.x, simplex);
  result.iterations += finished.iterations;
  result.evaluations += finished.evaluations;
  result.restarts += finished.restarts;
  result.converged = finished.converged;
  if (finished.value <= result.value) {
    result.x = finished.x;
    result.value = finished.value;
  }
  return result;
}

}  // namespace analytics::predict
