// The models' closed forms against independent arithmetic (tgamma and pow
// instead of lgamma and logs, special cases of ₂F₁ with elementary closed
// forms), fits recovering known parameters from simulated data, and the
// fits' answers on degenerate data.
#include "predict/bgnbd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "predict/clv.h"
#include "predict/gamma_gamma.h"

namespace analytics::predict {
namespace {

constexpr BgNbdParams kCdnow{.r = 0.243, .alpha = 4.414, .a = 0.793, .b = 2.426};

PurchaseSummary Customer(std::int32_t x, std::int32_t t_x_days, std::int32_t t_days,
                         Micros repeat_sales = 0) {
  PurchaseSummary c;
  c.x = x;
  c.t_x_days = t_x_days;
  c.t_days = t_days;
  c.repeat_sales = repeat_sales;
  return c;
}

TEST(BgNbdTest, ProbabilityAliveIsOneWithoutRepeatPurchases) {
  for (const double t : {0.0, 1.0, 39.0, 500.0}) {
    EXPECT_EQ(ProbabilityAlive(kCdnow, 0, 0, t), 1.0);
    EXPECT_EQ(ProbabilityAlive({.r = 3, .alpha = 0.5, .a = 9, .b = 0.2}, 0, 0, t), 1.0);
  }
}

TEST(BgNbdTest, ProbabilityAliveMatchesTheFormulaByPow) {
  const double x = 2, t_x = 30.43, t = 38.86;
  const double expected =
      1 / (1 + kCdnow.a / (kCdnow.b + x - 1) *
                   std::pow((kCdnow.alpha + t) / (kCdnow.alpha + t_x), kCdnow.r + x));
  EXPECT_NEAR(ProbabilityAlive(kCdnow, x, t_x, t), expected, 1e-14);
  // A last purchase right at the end is the likeliest alive.
  EXPECT_GT(ProbabilityAlive(kCdnow, x, t, t), ProbabilityAlive(kCdnow, x, t_x, t));
  EXPECT_LT(ProbabilityAlive(kCdnow, x, 0.5, t), ProbabilityAlive(kCdnow, x, t_x, t));
}

TEST(BgNbdTest, LogLikelihoodMatchesTheFormulaByGammaFunctions) {
  const BgNbdParams& p = kCdnow;
  const double x = 2, t_x = 30.43, t = 38.86;
  const double by_hand = std::log(std::tgamma(p.r + x) / std::tgamma(p.r) * std::pow(p.alpha, p.r) *
                                  std::tgamma(p.a + p.b) * std::tgamma(p.b + x) /
                                  (std::tgamma(p.b) * std::tgamma(p.a + p.b + x)) *
                                  (std::pow(p.alpha + t, -(p.r + x)) +
                                   p.a / (p.b + x - 1) * std::pow(p.alpha + t_x, -(p.r + x))));
  EXPECT_NEAR(BgNbdLogLikelihood(p, x, t_x, t), by_hand, 1e-12);
  // x = 0: the beta ratio is 1 and only (α / (α + T))^r remains.
  EXPECT_NEAR(BgNbdLogLikelihood(p, 0, 0, t), p.r * std::log(p.alpha / (p.alpha + t)), 1e-13);
}

TEST(BgNbdTest, SummedLikelihoodUsesTheUnit) {
  const std::vector<PurchaseSummary> customers = {Customer(2, 14, 21), Customer(0, 0, 7)};
  const double weeks = BgNbdLogLikelihood(kCdnow, 2, 2, 3) + BgNbdLogLikelihood(kCdnow, 0, 0, 1);
  EXPECT_NEAR(BgNbdLogLikelihood(kCdnow, customers, TimeUnit::kWeek), weeks, 1e-12);
  const double days = BgNbdLogLikelihood(kCdnow, 2, 14, 21) + BgNbdLogLikelihood(kCdnow, 0, 0, 7);
  EXPECT_NEAR(BgNbdLogLikelihood(kCdnow, customers, TimeUnit::kDay), days, 1e-12);
}

TEST(BgNbdTest, HypergeometricMatchesElementaryClosedForms) {
  for (const double z : {0.0, 0.1, 0.5, 0.9, 0.99}) {
    const double log_form = z == 0 ? 1.0 : -std::log1p(-z) / z;  // 2F1(1, 1; 2; z)
    EXPECT_NEAR(Hypergeometric2F1(1, 1, 2, z), log_form, 1e-12 * log_form) << z;
    const double power = std::pow(1 - z, -0.7);  // 2F1(a, b; b; z) = (1 - z)^-a
    EXPECT_NEAR(Hypergeometric2F1(0.7, 3.2, 3.2, z), power, 1e-12 * power) << z;
  }
}

TEST(BgNbdTest, ExpectedPurchasesInAClosedFormCase) {
  // r = b = 1, a = 2: ₂F₁(1, 1; 2; z) = −ln(1−z)/z, and for a new customer
  // (x = 0, T = 0) E[Y(t)] = 2 (1 − (α/t) ln(1 + t/α)).
  const BgNbdParams p{.r = 1, .alpha = 3, .a = 2, .b = 1};
  for (const double t : {0.5, 1.0, 10.0, 52.0}) {
    const double closed = 2 * (1 - p.alpha / t * std::log1p(t / p.alpha));
    EXPECT_NEAR(ExpectedPurchases(p, t, 0, 0, 0), closed, 1e-12) << t;
  }
  EXPECT_EQ(ExpectedPurchases(p, 0, 3, 2, 5), 0.0);
}

TEST(BgNbdTest, ExpectedPurchasesGrowWithTheHorizonAndWithActivity) {
  double before = 0;
  for (const double t : {1.0, 4.0, 13.0, 39.0, 104.0}) {
    const double now = ExpectedPurchases(kCdnow, t, 2, 30.43, 38.86);
    EXPECT_GT(now, before);
    before = now;
  }
  EXPECT_GT(ExpectedPurchases(kCdnow, 39, 5, 38, 38.86),
            ExpectedPurchases(kCdnow, 39, 1, 38, 38.86));
}

// Draws BG/NBD customers observed for T weeks (uniform 20..40, whole days).
std::vector<PurchaseSummary> Simulate(const BgNbdParams& p, int n, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> lambda_dist(p.r, 1 / p.alpha);
  std::gamma_distribution<double> ga(p.a, 1), gb(p.b, 1);
  std::uniform_int_distribution<int> t_days(140, 280);
  std::vector<PurchaseSummary> customers;
  for (int i = 0; i < n; ++i) {
    const double lambda = lambda_dist(rng);
    const double u = ga(rng), v = gb(rng);
    const double drop = u / (u + v);
    const int total = t_days(rng);
    const double t_weeks = total / 7.0;
    std::exponential_distribution<double> wait(lambda);
    std::bernoulli_distribution dies(drop);
    double now = 0;
    int x = 0;
    double last = 0;
    for (;;) {
      now += wait(rng);
      if (now > t_weeks) break;
      ++x;
      last = now;
      if (dies(rng)) break;
    }
    // Whole days, as the service measures time.
    customers.push_back(Customer(x, x > 0 ? static_cast<int>(last * 7) : 0, total));
  }
  return customers;
}

TEST(BgNbdTest, FitRecoversSimulatedParameters) {
  const BgNbdParams truth{.r = 0.8, .alpha = 5.0, .a = 1.2, .b = 3.0};
  const std::vector<PurchaseSummary> data = Simulate(truth, 20'000, 7);
  const absl::StatusOr<BgNbdFit> fit = FitBgNbd(data, TimeUnit::kWeek);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_TRUE(fit->report.converged);
  EXPECT_GT(fit->report.iterations, 10);
  EXPECT_EQ(fit->customers, 20'000);
  EXPECT_NEAR(fit->params.r, truth.r, 0.15 * truth.r);
  EXPECT_NEAR(fit->params.alpha, truth.alpha, 0.25 * truth.alpha);
  // The dropout parameters are identified less sharply.
  EXPECT_NEAR(fit->params.a / (fit->params.a + fit->params.b), truth.a / (truth.a + truth.b), 0.08);
  // The maximum: any nudge lowers the likelihood.
  const double best = BgNbdLogLikelihood(fit->params, data, TimeUnit::kWeek);
  EXPECT_NEAR(best, fit->report.log_likelihood, 1e-6 * std::abs(best));
  for (double BgNbdParams::*param :
       {&BgNbdParams::r, &BgNbdParams::alpha, &BgNbdParams::a, &BgNbdParams::b}) {
    for (const double factor : {0.99, 1.01}) {
      BgNbdParams nudged = fit->params;
      nudged.*param *= factor;
      EXPECT_LT(BgNbdLogLikelihood(nudged, data, TimeUnit::kWeek), best);
    }
  }
}

TEST(BgNbdTest, DegenerateDataIsAFailedPrecondition) {
  // No customer.
  EXPECT_TRUE(absl::IsFailedPrecondition(FitBgNbd({}, TimeUnit::kWeek).status()));
  // One customer, no repeat purchase.
  const absl::Status one = FitBgNbd({Customer(0, 0, 30)}, TimeUnit::kWeek).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(one)) << one;
  EXPECT_NE(one.message().find("repeat"), std::string_view::npos) << one;
  // Many customers, nobody came back.
  const absl::Status none =
      FitBgNbd({Customer(0, 0, 30), Customer(0, 0, 10), Customer(0, 0, 3)}, TimeUnit::kDay)
          .status();
  EXPECT_TRUE(absl::IsFailedPrecondition(none)) << none;
  // Every order on one day: nobody repeats, no time observed.
  const absl::Status same_day =
      FitBgNbd({Customer(0, 0, 0), Customer(0, 0, 0)}, TimeUnit::kWeek).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(same_day)) << same_day;
  // One repeat buyer alone cannot identify four parameters.
  const absl::Status lone = FitBgNbd({Customer(3, 20, 30)}, TimeUnit::kWeek).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(lone)) << lone;
}

TEST(GammaGammaTest, LogLikelihoodMatchesTheFormulaByGammaFunctions) {
  const GammaGammaParams g{.p = 6.25, .q = 3.74, .gamma = 15.44};
  const double x = 3, m = 42.5;
  const double px = g.p * x;
  const double by_hand = std::log(std::tgamma(px + g.q) / (std::tgamma(px) * std::tgamma(g.q)) *
                                  std::pow(g.gamma, g.q) * std::pow(m, px - 1) * std::pow(x, px) /
                                  std::pow(g.gamma + m * x, px + g.q));
  EXPECT_NEAR(GammaGammaLogLikelihood(g, x, m), by_hand, 1e-11);
}

TEST(GammaGammaTest, ExpectedValueWeighsThePopulationMeanAndTheCustomers) {
  const GammaGammaParams g{.p = 6.25, .q = 3.74, .gamma = 15.44};
  const double population = g.p * g.gamma / (g.q - 1);
  EXPECT_NEAR(ExpectedAverageValue(g, 0, 0), population, 1e-12);
  const double x = 4, m = 20;
  const double weight = g.p * x / (g.p * x + g.q - 1);
  EXPECT_NEAR(ExpectedAverageValue(g, x, m), (1 - weight) * population + weight * m, 1e-12);
  EXPECT_TRUE(std::isnan(ExpectedAverageValue({.p = 1, .q = 0.9, .gamma = 1}, 1, 5)));
}

TEST(GammaGammaTest, FitRecoversSimulatedParameters) {
  const GammaGammaParams truth{.p = 6, .q = 4, .gamma = 15};
  std::mt19937_64 rng(11);
  std::gamma_distribution<double> nu_dist(truth.q, 1 / truth.gamma);
  std::uniform_int_distribution<int> xs(1, 8);
  std::vector<PurchaseSummary> customers;
  for (int i = 0; i < 20'000; ++i) {
    const double nu = nu_dist(rng);
    const int x = xs(rng);
    std::gamma_distribution<double> value(truth.p, 1 / nu);
    double sum = 0;
    for (int k = 0; k < x; ++k) sum += value(rng);
    customers.push_back(Customer(x, 1, 1, static_cast<Micros>(std::llround(sum * 1e6))));
  }
  customers.push_back(Customer(0, 0, 5));  // not usable: no repeat
  customers.push_back(Customer(2, 1, 5));  // not usable: repeats worth 0
  const absl::StatusOr<GammaGammaFit> fit = FitGammaGamma(customers);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_EQ(fit->customers, 20'000);
  EXPECT_TRUE(fit->report.converged);
  EXPECT_NEAR(fit->params.p, truth.p, 0.1 * truth.p);
  EXPECT_NEAR(fit->params.q, truth.q, 0.15 * truth.q);
  EXPECT_NEAR(fit->params.gamma, truth.gamma, 0.2 * truth.gamma);
}

TEST(GammaGammaTest, NoUsableCustomerIsAFailedPrecondition) {
  EXPECT_TRUE(absl::IsFailedPrecondition(FitGammaGamma({Customer(0, 0, 5)}).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(FitGammaGamma({Customer(2, 3, 5, 0)}).status()));
}

TEST(ClvTest, UndiscountedClvIsValueTimesPurchases) {
  const GammaGammaParams g{.p = 6.25, .q = 3.74, .gamma = 15.44};
  PurchaseHistories h;
  h.customers = {Customer(2, 14, 21, 50'000'000), Customer(0, 0, 7)};
  const std::vector<CustomerPrediction> p =
      PredictCustomers(h, TimeUnit::kWeek, kCdnow, &g, {.horizon = 39});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_DOUBLE_EQ(p[0].t_x, 2.0);
  EXPECT_DOUBLE_EQ(p[0].t, 3.0);
  EXPECT_DOUBLE_EQ(p[0].expected_purchases, ExpectedPurchases(kCdnow, 39, 2, 2, 3));
  EXPECT_DOUBLE_EQ(*p[0].expected_average_value, ExpectedAverageValue(g, 2, 25));
  EXPECT_DOUBLE_EQ(*p[0].clv, *p[0].expected_average_value * p[0].expected_purchases);
  EXPECT_EQ(p[1].probability_alive, 1.0);
  EXPECT_DOUBLE_EQ(*p[1].expected_average_value, ExpectedAverageValue(g, 0, 0));
  // Without a spend model: purchases only.
  const std::vector<CustomerPrediction> bare =
      PredictCustomers(h, TimeUnit::kWeek, kCdnow, nullptr, {.horizon = 39});
  EXPECT_FALSE(bare[0].clv.has_value());
  EXPECT_DOUBLE_EQ(bare[0].expected_purchases, p[0].expected_purchases);
}

TEST(ClvTest, DiscountingByHand) {
  // A horizon within one 28-day step: one discount factor (1+d)^-(days/365.25).
  const double within = DiscountedExpectedPurchases(kCdnow, 20, TimeUnit::kDay, 0.1, 2, 10, 30);
  EXPECT_NEAR(within, ExpectedPurchases(kCdnow, 20, 2, 10, 30) * std::pow(1.1, -20 / 365.25),
              1e-13);
  // Two steps (4 and 6 weeks): the increments discounted at their ends.
  const double two = DiscountedExpectedPurchases(kCdnow, 6, TimeUnit::kWeek, 0.1, 2, 2, 3);
  const double y4 = ExpectedPurchases(kCdnow, 4, 2, 2, 3);
  const double y6 = ExpectedPurchases(kCdnow, 6, 2, 2, 3);
  EXPECT_NEAR(two, y4 * std::pow(1.1, -28 / 365.25) + (y6 - y4) * std::pow(1.1, -42 / 365.25),
              1e-13);
  EXPECT_DOUBLE_EQ(DiscountedExpectedPurchases(kCdnow, 6, TimeUnit::kWeek, 0, 2, 2, 3), y6);
}

}  // namespace
}  // namespace analytics::predict
