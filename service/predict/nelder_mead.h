// A derivative-free minimizer (Nelder & Mead's simplex) with restarts, for
// the models' maximum-likelihood fits in log-parameter space.
#pragma once

#include <functional>
#include <limits>
#include <vector>

namespace analytics::predict {

struct MinimizeOptions {
  // Converged when the simplex's function values span at most this
  // (relative to the best value's magnitude, plus the same absolute) and
  // its vertices lie within x_tolerance of the best.
  double f_tolerance = 1e-12;
  double x_tolerance = 1e-9;
  int max_evaluations = 20'000;
  // After converging, start again from the best point with a fresh simplex
  // (the simplex may have collapsed early); stop when a restart no longer
  // improves the value by more than f_tolerance, or after this many.
  int max_restarts = 5;
  double initial_step = 0.5;
  // Give up (not converged) as soon as the best point has a coordinate of
  // larger magnitude: the fits' parameters running off to 0 or infinity,
  // which a simplex would otherwise follow for thousands of steps.
  double give_up_beyond = std::numeric_limits<double>::infinity();
};

struct MinimizeResult {
  std::vector<double> x;
  double value = 0;
  int iterations = 0;   // simplex steps over all restarts
  int evaluations = 0;  // function calls
  int restarts = 0;
  bool converged = false;
};

// Minimizes `f` from `start`. Non-finite values count as +infinity.
MinimizeResult MinimizeNelderMead(const std::function<double(const std::vector<double>&)>& f,
                                  std::vector<double> start, const MinimizeOptions& options = {});

}  // namespace analytics::predict
