#include "predict/nelder_mead.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace analytics::predict {
namespace {

struct Run {
  std::vector<double> best;
  double value = 0;
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;
};

// One simplex search from `start` with at most `budget` evaluations.
Run Simplex(const std::function<double(const std::vector<double>&)>& raw,
            const std::vector<double>& start, const MinimizeOptions& options, int budget) {
  const std::size_t n = start.size();
  Run run;
  const auto f = [&](const std::vector<double>& x) {
    ++run.evaluations;
    const double v = raw(x);
    return std::isfinite(v) ? v : std::numeric_limits<double>::infinity();
  };
  std::vector<std::vector<double>> points(n + 1, start);
  std::vector<double> values(n + 1);
  values[0] = f(points[0]);
  for (std::size_t i = 0; i < n; ++i) {
    points[i + 1][i] += options.initial_step;
    values[i + 1] = f(points[i + 1]);
  }
  std::vector<std::size_t> order(n + 1);
  std::vector<double> centroid(n), trial(n), trial2(n);
  const auto at = [&](double t, const std::vector<double>& towards, std::vector<double>& out) {
    for (std::size_t j = 0; j < n; ++j) out[j] = centroid[j] + t * (towards[j] - centroid[j]);
  };
  for (;;) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    const std::size_t best = order[0], worst = order[n], second = order[n - 1];
    bool ran_off = false;
    for (const double v : points[best]) ran_off |= std::abs(v) > options.give_up_beyond;
    if (ran_off) break;
    // Converged?
    double spread = 0;
    for (std::size_t i = 1; i <= n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        spread = std::max(spread, std::abs(points[order[i]][j] - points[best][j]));
      }
    }
    const double f_span = values[worst] - values[best];
    if (std::isfinite(values[best]) &&
        f_span <= options.f_tolerance * (1 + std::abs(values[best])) &&
        spread <= options.x_tolerance) {
      run.converged = true;
      break;
    }
    if (run.evaluations >= budget) break;
    ++run.iterations;
    std::fill(centroid.begin(), centroid.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) centroid[j] += points[order[i]][j] / double(n);
    }
    at(-1.0, points[worst], trial);  // reflection
    const double reflected = f(trial);
    if (reflected < values[best]) {
      at(-2.0, points[worst], trial2);  // expansion
      const double expanded = f(trial2);
      if (expanded < reflected) {
        points[worst] = trial2;
        values[worst] = expanded;
      } else {
        points[worst] = trial;
        values[worst] = reflected;
      }
      continue;
    }
    if (reflected < values[second]) {
      points[worst] = trial;
      values[worst] = reflected;
      continue;
    }
    // Contraction: outside when the reflection improved on the worst.
    const bool outside = reflected < values[worst];
    at(outside ? -0.5 : 0.5, points[worst], trial2);
    const double contracted = f(trial2);
    if (contracted < (outside ? reflected : values[worst])) {
      points[worst] = trial2;
      values[worst] = contracted;
      continue;
    }
    // Shrink towards the best.
    for (std::size_t i = 0; i <= n; ++i) {
      if (i == best) continue;
      for (std::size_t j = 0; j < n; ++j) {
        points[i][j] = points[best][j] + 0.5 * (points[i][j] - points[best][j]);
      }
      values[i] = f(points[i]);
    }
  }
  const std::size_t best =
      static_cast<std::size_t>(std::min_element(values.begin(), values.end()) - values.begin());
  run.best = points[best];
  run.value = values[best];
  return run;
}

}  // namespace

MinimizeResult MinimizeNelderMead(const std::function<double(const std::vector<double>&)>& f,
                                  std::vector<double> start, const MinimizeOptions& options) {
  MinimizeResult result;
  result.x = std::move(start);
  result.value = std::numeric_limits<double>::infinity();
  for (int attempt = 0; attempt <= options.max_restarts; ++attempt) {
    const int budget = options.max_evaluations - result.evaluations;
    if (budget <= 0) break;
    Run run = Simplex(f, result.x, options, budget);
    result.iterations += run.iterations;
    result.evaluations += run.evaluations;
    if (attempt > 0) ++result.restarts;
    const double previous = result.value;
    if (run.value <= result.value) {
      result.x = run.best;
      result.value = run.value;
    }
    result.converged = run.converged;
    if (!run.converged) break;
    // A restart that finds nothing better confirms the minimum.
    if (attempt > 0 && previous - run.value <= options.f_tolerance * (1 + std::abs(result.value))) {
      break;
    }
  }
  return result;
}

}  // namespace analytics::predict
