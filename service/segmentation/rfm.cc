#include "segmentation/rfm.h"

#include <algorithm>

#include "common/display_names.h"

namespace analytics {
namespace {

struct Range {
  int low;
  int high;
  constexpr bool Contains(int score) const { return score >= low && score <= high; }
};

struct SegmentRule {
  RfmSegment segment;
  Range recency;
  Range frequency;
  Range monetary;
};

// The rule table of the contract, in priority order.
constexpr std::array<SegmentRule, 10> kSegmentRules = {{
    {RfmSegment::kChampions, {4, 5}, {4, 5}, {4, 5}},
    {RfmSegment::kLoyalCustomers, {2, 5}, {3, 5}, {3, 5}},
    {RfmSegment::kPotentialLoyalist, {3, 5}, {1, 3}, {1, 3}},
    {RfmSegment::kNewCustomers, {4, 5}, {1, 1}, {1, 1}},
    {RfmSegment::kPromising, {3, 4}, {1, 1}, {1, 1}},
    {RfmSegment::kNeedAttention, {2, 3}, {2, 3}, {2, 3}},
    {RfmSegment::kAboutToSleep, {2, 3}, {1, 2}, {1, 2}},
    {RfmSegment::kAtRisk, {1, 2}, {2, 5}, {2, 5}},
    {RfmSegment::kCantLoseThem, {1, 1}, {4, 5}, {4, 5}},
    {RfmSegment::kLost, {1, 2}, {1, 2}, {1, 2}},
}};

constexpr RfmSegment FirstMatchingRule(int r, int f, int m) {
  for (const SegmentRule& rule : kSegmentRules) {
    if (rule.recency.Contains(r) && rule.frequency.Contains(f) && rule.monetary.Contains(m)) {
      return rule.segment;
    }
  }
  return RfmSegment::kOthers;
}

// FirstMatchingRule for every (r, f, m) in 1..5, worked out at compile time:
// classifying 100,000 customers per request is then one load each instead
// of up to ten range tests with unpredictable branches.
constexpr std::array<RfmSegment, 125> kSegmentByScores = [] {
  std::array<RfmSegment, 125> table{};
  for (int r = 1; r <= 5; ++r) {
    for (int f = 1; f <= 5; ++f) {
      for (int m = 1; m <= 5; ++m)
        table[(r - 1) * 25 + (f - 1) * 5 + (m - 1)] = FirstMatchingRule(r, f, m);
    }
  }
  return table;
}();

bool InScoreRange(int score) { return score >= 1 && score <= 5; }

}  // namespace

Tier AssignTier(std::int64_t frequency, Micros monetary, const TierThresholds& thresholds) {
  if (frequency >= thresholds.gold_min_frequency && monetary > thresholds.gold_min_monetary) {
    return Tier::kGold;
  }
  if (frequency >= thresholds.silver_min_frequency) return Tier::kSilver;
  return Tier::kBronze;
}

RfmSegment AssignSegment(int recency_score, int frequency_score, int monetary_score) {
  if (InScoreRange(recency_score) && InScoreRange(frequency_score) &&
      InScoreRange(monetary_score)) {
    return kSegmentByScores[(recency_score - 1) * 25 + (frequency_score - 1) * 5 +
                            (monetary_score - 1)];
  }
  return FirstMatchingRule(recency_score, frequency_score, monetary_score);
}

std::string_view TierName(Tier tier) { return DisplayName(kTierNames, static_cast<int>(tier) + 1); }

std::string_view SegmentName(RfmSegment segment) {
  return DisplayName(kRfmSegmentNames, static_cast<int>(segment) + 1);
}

std::vector<int> ScoreValues(const std::vector<std::int64_t>& values, Better better) {
  std::vector<std::int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const auto n = static_cast<std::int64_t>(values.size());
  std::vector<int> scores;
  scores.reserve(values.size());
  for (const std::int64_t value : values) {
    // Strictly worse: smaller values when higher is better, larger otherwise.
    const std::int64_t worse =
        better == Better::kHigher
            ? std::lower_bound(sorted.begin(), sorted.end(), value) - sorted.begin()
            : sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), value);
    scores.push_back(static_cast<int>(1 + 5 * worse / n));
  }
  return scores;
}

}  // namespace analytics
