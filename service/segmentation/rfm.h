// RFM segmentation rules: scores, tiers and named segments.
//
// These are the contract definitions, as pure functions with no storage or
// API types, so they can be tested on hand-computed data and shared by every
// query engine:
// - score = 1 + floor(5 * W / N), N customers, W strictly worse; equal values
//   always share a score and the best get 5;
// - tiers: Gold if frequency >= 5 and monetary > 2,000 (overridable), else
//   Silver if frequency >= 2, else Bronze;
// - named segments: the first matching rule of a fixed table, else Others.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/money.h"

namespace analytics {

// In the API enum's order (TIER_GOLD = 1, ...), as common/display_names.h.
enum class Tier { kGold, kSilver, kBronze };
inline constexpr std::array<Tier, 3> kAllTiers = {Tier::kGold, Tier::kSilver, Tier::kBronze};

// In the API enum's order (RFM_SEGMENT_CHAMPIONS = 1, ...), as
// common/display_names.h.
enum class RfmSegment {
  kChampions,
  kLoyalCustomers,
  kPotentialLoyalist,
  kNewCustomers,
  kPromising,
  kNeedAttention,
  kAboutToSleep,
  kAtRisk,
  kCantLoseThem,
  kLost,
  kOthers,
};
inline constexpr std::array<RfmSegment, 11> kAllSegments = {
    RfmSegment::kChampions,    RfmSegment::kLoyalCustomers, RfmSegment::kPotentialLoyalist,
    RfmSegment::kNewCustomers, RfmSegment::kPromising,      RfmSegment::kNeedAttention,
    RfmSegment::kAboutToSleep, RfmSegment::kAtRisk,         RfmSegment::kCantLoseThem,
    RfmSegment::kLost,         RfmSegment::kOthers};

struct TierThresholds {
  std::int64_t gold_min_frequency = 5;
  Micros gold_min_monetary = 2'000 * kMicrosPerUnit;  // exclusive
  std::int64_t silver_min_frequency = 2;

  friend bool operator==(const TierThresholds&, const TierThresholds&) = default;
};

Tier AssignTier(std::int64_t frequency, Micros monetary, const TierThresholds& thresholds);
RfmSegment AssignSegment(int recency_score, int frequency_score, int monetary_score);

// "Gold", "Can't Lose Them" (common/display_names.h).
std::string_view TierName(Tier tier);
std::string_view SegmentName(RfmSegment segment);

// Which direction of a value is better, for scoring.
enum class Better { kHigher, kLower };

// Scores every value against all the others with the contract formula.
// O(N log N); used by in-memory engines and as a reference in tests.
std::vector<int> ScoreValues(const std::vector<std::int64_t>& values, Better better);

}  // namespace analytics
