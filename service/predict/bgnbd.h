// The BG/NBD model of repeat buying (Fader, Hardie & Lee, "Counting Your
// Customers the Easy Way", Marketing Science 2005): while alive a customer
// buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out
// with probability p ~ Beta(a, b). Fitted by maximum likelihood on each
// customer's (x, t_x, T) (purchase_history.h).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "predict/purchase_history.h"

namespace analytics::predict {

struct BgNbdParams {
  double r = 1;
  double alpha = 1;
  double a = 1;
  double b = 1;
};

// How a maximum-likelihood fit went.
struct FitReport {
  double log_likelihood = 0;
  bool converged = false;
  int iterations = 0;
  int evaluations = 0;
  int restarts = 0;
};

struct BgNbdFit {
  BgNbdParams params;
  FitReport report;
  std::int64_t customers = 0;
  std::int64_t repeaters = 0;
};

// One customer's log-likelihood (FHL 2005, eq. 6) with x repeat purchases,
// the last at t_x, observed for T (t_x and T in the model's unit):
// ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
//   + ln[(α+T)^−(r+x) + [x>0] a/(b+x−1) (α+t_x)^−(r+x)].
double BgNbdLogLikelihood(const BgNbdParams& p, double x, double t_x, double t);

// The sum over `customers`, in `unit`.
double BgNbdLogLikelihood(const BgNbdParams& p, const std::vector<PurchaseSummary>& customers,
                          TimeUnit unit);

// Maximum-likelihood (r, α, a, b) for `customers` in `unit`: Nelder-Mead on
// the logs of the parameters, restarted until a restart finds nothing
// better. FailedPrecondition when the data cannot identify the model: no
// customer, no repeat purchase, no time observed (every first order on the
// calibration end), or a parameter running off to 0 or infinity.
absl::StatusOr<BgNbdFit> FitBgNbd(const std::vector<PurchaseSummary>& customers, TimeUnit unit);

// P(alive | x, t_x, T) = 1 / (1 + [x>0] a/(b+x−1) ((α+T)/(α+t_x))^(r+x)); 1
// when x = 0.
double ProbabilityAlive(const BgNbdParams& p, double x, double t_x, double t);

// E[Y(t) | x, t_x, T], the expected purchases in the next `horizon` units
// (FHL 2005, eq. 10):
// (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
//   / (1 + [x>0] a/(b+x−1) ((α+T)/(α+t_x))^(r+x)).
double ExpectedPurchases(const BgNbdParams& p, double horizon, double x, double t_x, double t);

// Gauss's hypergeometric function ₂F₁(a, b; c; z) for 0 <= z < 1, by its
// series (terms summed until they no longer change the sum).
double Hypergeometric2F1(double a, double b, double c, double z);

}  // namespace analytics::predict
