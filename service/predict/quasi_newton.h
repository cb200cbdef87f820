// A gradient-based minimizer (BFGS with a backtracking line search) for the
// models' maximum-likelihood fits in log-parameter space. With the
// likelihoods' analytic gradients it converges in tens of evaluations where
// the simplex (nelder_mead.h) needs hundreds: on 100,000 customers each
// evaluation is a pass over tens of thousands of (x, t_x, T) groups.
#pragma once

#include <functional>
#include <limits>
#include <vector>

#include "predict/nelder_mead.h"

namespace analytics::predict {

// The objective's value at x, with its gradient written into `gradient`
// (sized like x). Non-finite values count as +infinity (the step is
// shortened).
using ValueAndGradient =
    std::function<double(const std::vector<double>& x, std::vector<double>& gradient)>;

struct QuasiNewtonOptions {
  // Converged when every gradient component is at most this times
  // (1 + |value|): at a log-likelihood maximum of ~10^4 the parameters are
  // then within ~1e-8 relative of the optimum, far inside the published
  // figures' digits.
  double gradient_tolerance = 1e-10;
  int max_iterations = 500;
  // Evaluations of `f` over all iterations and line searches: the bound on
  // a fit's time whatever the data (an iteration may try up to 60 steps).
  int max_evaluations = 100'000;
  // No step moves a coordinate by more than this (log-parameters: a factor
  // e^2), so a first step cannot overflow the likelihood.
  double max_step = 2.0;
  // As MinimizeOptions::give_up_beyond: parameters running off.
  double give_up_beyond = std::numeric_limits<double>::infinity();
};

// Minimizes `f` from `start`. `restarts` in the result counts resets of the
// curvature estimate (after a step that gave no usable curvature).
MinimizeResult MinimizeQuasiNewton(const ValueAndGradient& f, std::vector<double> start,
                                   const QuasiNewtonOptions& options = {});

// The fits' minimizer: BFGS from `start`; when it stops short of its
// tolerance without a coordinate running past `give_up_beyond`, the simplex
// (which needs no gradient) goes on from BFGS's best point with a small
// step. Iterations and evaluations add up over both.
MinimizeResult MinimizeWithSimplexFallback(const ValueAndGradient& f, std::vector<double> start,
                                           double give_up_beyond);

}  // namespace analytics::predict
