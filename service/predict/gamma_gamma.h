// The Gamma-Gamma model of spend per transaction (Fader & Hardie, "The
// Gamma-Gamma Model of Monetary Value", 2013): a customer's transaction
// values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers; it is fitted
// on the mean repeat-purchase value m_x of customers with x >= 1 repeat
// purchases and m_x > 0.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "predict/bgnbd.h"
#include "predict/purchase_history.h"

namespace analytics::predict {

struct GammaGammaParams {
  double p = 1;
  double q = 1;
  double gamma = 1;
};

struct GammaGammaFit {
  GammaGammaParams params;
  FitReport report;
  std::int64_t customers = 0;  // those the fit used
};

// One customer's log-likelihood of mean value m over x transactions:
// ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m + px ln x
//   − (px+q) ln(γ + m x).
double GammaGammaLogLikelihood(const GammaGammaParams& params, double x, double mean_value);

// Whether a customer takes part in the fit: x >= 1 and a positive mean
// repeat value.
bool UsableForGammaGamma(const PurchaseSummary& customer);

// Maximum-likelihood (p, q, γ) on the usable customers, as FitBgNbd does.
// FailedPrecondition when none is usable, or a parameter runs off.
absl::StatusOr<GammaGammaFit> FitGammaGamma(const std::vector<PurchaseSummary>& customers);

// E[M | x, m_x] = (p (γ + x m_x)) / (p x + q − 1): a weighted mean of the
// population mean p γ / (q − 1) and the customer's own m_x; for x = 0 the
// population mean. Needs q > 1 (the population mean exists); NaN otherwise.
double ExpectedAverageValue(const GammaGammaParams& params, double x, double mean_value);

}  // namespace analytics::predict
