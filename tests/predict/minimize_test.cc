// The fits' numerical parts on their own: the digamma function against
// known closed forms, and the gradient minimizer on functions with a known
// minimum (a bowl and Rosenbrock's banana valley).
#include <cmath>
#include <numbers>
#include <vector>

#include "gtest/gtest.h"
#include "predict/digamma.h"
#include "predict/quasi_newton.h"

namespace analytics::predict {
namespace {

TEST(DigammaTest, MatchesClosedForms) {
  const double euler = 0.57721566490153286061;
  EXPECT_NEAR(Digamma(1), -euler, 1e-15);
  EXPECT_NEAR(Digamma(0.5), -euler - 2 * std::numbers::ln2, 1e-14);
  // ψ(n) = −γ + Σ_{k<n} 1/k
  EXPECT_NEAR(Digamma(4), -euler + 1 + 0.5 + 1.0 / 3, 1e-14);
  // The derivative of lgamma, by central differences.
  for (const double z : {0.05, 0.243, 2.5, 7.0, 150.0}) {
    const double h = 1e-5 * z;
    const double numeric = (std::lgamma(z + h) - std::lgamma(z - h)) / (2 * h);
    EXPECT_NEAR(Digamma(z), numeric, 1e-7 * std::max(1.0, std::abs(numeric))) << z;
  }
  EXPECT_TRUE(std::isnan(Digamma(0)));
}

TEST(QuasiNewtonTest, FindsTheMinimumOfABowl) {
  const auto bowl = [](const std::vector<double>& x, std::vector<double>& g) {
    g = {2 * (x[0] - 3), 20 * (x[1] + 1)};
    return (x[0] - 3) * (x[0] - 3) + 10 * (x[1] + 1) * (x[1] + 1) + 5;
  };
  const MinimizeResult r = MinimizeQuasiNewton(bowl, {0, 0});
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.x[0], 3, 1e-8);
  EXPECT_NEAR(r.x[1], -1, 1e-8);
  EXPECT_NEAR(r.value, 5, 1e-12);
  EXPECT_LT(r.evaluations, 30);
}

TEST(QuasiNewtonTest, FollowsRosenbrocksValley) {
  const auto rosenbrock = [](const std::vector<double>& x, std::vector<double>& g) {
    const double a = 1 - x[0], b = x[1] - x[0] * x[0];
    g = {-2 * a - 400 * x[0] * b, 200 * b};
    return a * a + 100 * b * b;
  };
  const MinimizeResult r = MinimizeQuasiNewton(rosenbrock, {-1.2, 1});
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.x[0], 1, 1e-6);
  EXPECT_NEAR(r.x[1], 1, 1e-6);
}

TEST(QuasiNewtonTest, StopsAtItsEvaluationBudget) {
  // Rosenbrock from (-1.2, 1) needs more than 20 evaluations (the test
  // above): with a budget of 20 the search stops there, not converged.
  int calls = 0;
  const auto rosenbrock = [&calls](const std::vector<double>& x, std::vector<double>& g) {
    ++calls;
    const double a = 1 - x[0], b = x[1] - x[0] * x[0];
    g = {-2 * a - 400 * x[0] * b, 200 * b};
    return a * a + 100 * b * b;
  };
  const MinimizeResult unbounded = MinimizeQuasiNewton(rosenbrock, {-1.2, 1});
  ASSERT_GT(unbounded.evaluations, 20);
  calls = 0;
  QuasiNewtonOptions options;
  options.max_evaluations = 20;
  const MinimizeResult r = MinimizeQuasiNewton(rosenbrock, {-1.2, 1}, options);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(calls, r.evaluations);
  EXPECT_LE(r.evaluations, 20);
  EXPECT_LT(r.value, 24.2);  // it still went downhill from f(-1.2, 1) = 24.2
}

TEST(QuasiNewtonTest, GivesUpWhenACoordinateRunsOff) {
  // Decreasing without bound along x: no minimum to find.
  const auto slope = [](const std::vector<double>& x, std::vector<double>& g) {
    g = {-1};
    return -x[0];
  };
  QuasiNewtonOptions options;
  options.give_up_beyond = 15;
  const MinimizeResult r = MinimizeQuasiNewton(slope, {0}, options);
  EXPECT_FALSE(r.converged);
  EXPECT_GT(r.x[0], 15);
}

}  // namespace
}  // namespace analytics::predict
