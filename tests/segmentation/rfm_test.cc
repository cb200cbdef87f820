// The RFM contract on hand-computed values.
#include "segmentation/rfm.h"

#include <gtest/gtest.h>

namespace analytics {
namespace {

TEST(ScoreValues, HigherIsBetterCountsStrictlySmallerValues) {
  // N = 5; W = 0, 1, 1, 3, 4 -> 1 + floor(5W/5).
  EXPECT_EQ(ScoreValues({10, 20, 20, 30, 40}, Better::kHigher), (std::vector<int>{1, 2, 2, 4, 5}));
}

TEST(ScoreValues, LowerIsBetterCountsStrictlyLargerValues) {
  // Recency in days, N = 4: W(1) = 3 -> 1 + floor(15/4) = 4; W(5) = 1 -> 2;
  // W(100) = 0 -> 1. The formula is the contract even where the best stays
  // below 5 (fewer than 80 % strictly worse).
  EXPECT_EQ(ScoreValues({5, 1, 100, 5}, Better::kLower), (std::vector<int>{2, 4, 1, 2}));
}

TEST(ScoreValues, TiesShareAScoreAndASingleCustomerScoresOne) {
  EXPECT_EQ(ScoreValues({7, 7, 7}, Better::kHigher), (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(ScoreValues({42}, Better::kLower), (std::vector<int>{1}));
  EXPECT_TRUE(ScoreValues({}, Better::kHigher).empty());
}

TEST(ScoreValues, TenDistinctValuesSpreadOverAllFiveScores) {
  std::vector<std::int64_t> values;
  for (int i = 1; i <= 10; ++i) values.push_back(i);
  EXPECT_EQ(ScoreValues(values, Better::kHigher), (std::vector<int>{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}));
}

TEST(AssignTier, FollowsTheDashboardRulesWithAStrictMonetaryBound) {
  const TierThresholds defaults;
  EXPECT_EQ(AssignTier(5, 2'000 * kMicrosPerUnit + 1, defaults), Tier::kGold);
  EXPECT_EQ(AssignTier(5, 2'000 * kMicrosPerUnit, defaults), Tier::kSilver);
  EXPECT_EQ(AssignTier(4, 1'000'000 * kMicrosPerUnit, defaults), Tier::kSilver);
  EXPECT_EQ(AssignTier(2, 0, defaults), Tier::kSilver);
  EXPECT_EQ(AssignTier(1, 1'000'000 * kMicrosPerUnit, defaults), Tier::kBronze);
}

TEST(AssignTier, ThresholdsAreOverridable) {
  const TierThresholds custom{.gold_min_frequency = 2,
                              .gold_min_monetary = 100 * kMicrosPerUnit,
                              .silver_min_frequency = 1};
  EXPECT_EQ(AssignTier(2, 150 * kMicrosPerUnit, custom), Tier::kGold);
  EXPECT_EQ(AssignTier(1, 150 * kMicrosPerUnit, custom), Tier::kSilver);
  EXPECT_EQ(AssignTier(0, 0, custom), Tier::kBronze);
}

struct SegmentCase {
  int r, f, m;
  RfmSegment expected;
};

TEST(AssignSegment, FirstMatchingRuleWins) {
  const SegmentCase cases[] = {
      {5, 5, 5, RfmSegment::kChampions},
      {4, 4, 4, RfmSegment::kChampions},
      {3, 5, 5, RfmSegment::kLoyalCustomers},
      {2, 3, 3, RfmSegment::kLoyalCustomers},
      {5, 3, 2, RfmSegment::kPotentialLoyalist},
      // R4-5 F1 M1 would be "New Customers", but Potential Loyalist (R3-5,
      // F1-3, M1-3) comes first in the table; likewise for Promising.
      {5, 1, 1, RfmSegment::kPotentialLoyalist},
      {3, 1, 1, RfmSegment::kPotentialLoyalist},
      {2, 2, 2, RfmSegment::kNeedAttention},
      {3, 3, 2, RfmSegment::kPotentialLoyalist},  // matched before Need Attention
      {2, 1, 2, RfmSegment::kAboutToSleep},
      {2, 1, 1, RfmSegment::kAboutToSleep},
      {1, 3, 4, RfmSegment::kAtRisk},
      {2, 5, 5, RfmSegment::kLoyalCustomers},
      {1, 5, 5, RfmSegment::kAtRisk},  // At Risk precedes Can't Lose Them
      {1, 1, 1, RfmSegment::kLost},
      {1, 2, 1, RfmSegment::kLost},
      {1, 1, 3, RfmSegment::kOthers},
      {2, 4, 1, RfmSegment::kOthers},
      {4, 4, 1, RfmSegment::kOthers},
  };
  for (const SegmentCase& c : cases) {
    EXPECT_EQ(AssignSegment(c.r, c.f, c.m), c.expected) << c.r << c.f << c.m;
  }
}

TEST(Names, AreTheDisplayNames) {
  EXPECT_EQ(TierName(Tier::kGold), "Gold");
  EXPECT_EQ(SegmentName(RfmSegment::kCantLoseThem), "Can't Lose Them");
  EXPECT_EQ(SegmentName(RfmSegment::kOthers), "Others");
}

}  // namespace
}  // namespace analytics
