// The display names (common/display_names.h) against the API's generated
// enums and the server's conversions: one name per enum value, in number
// order, and the server's core enums name the same value the same way.
#include "common/display_names.h"

#include <gtest/gtest.h>

#include <string>

#include "api/convert.h"
#include "segmentation/rfm.h"

namespace analytics {
namespace {

namespace v1 = ::customer_analytics::v1;

// Every value but UNSPECIFIED (0) has a name; numbers run 1..n.
void ExpectOneNamePerValue(const google::protobuf::EnumDescriptor& type,
                           std::span<const std::string_view> names) {
  SCOPED_TRACE(type.name());
  ASSERT_EQ(static_cast<std::size_t>(type.value_count()), names.size() + 1);
  for (int i = 0; i < type.value_count(); ++i) {
    const int number = type.value(i)->number();
    if (number == 0) {
      EXPECT_EQ(DisplayName(names, number, "none"), "none");
      continue;
    }
    EXPECT_FALSE(DisplayName(names, number).empty()) << type.value(i)->name();
  }
  EXPECT_EQ(DisplayName(names, static_cast<int>(names.size()) + 1, "none"), "none");
}

TEST(DisplayNamesTest, OneNamePerApiEnumValue) {
  ExpectOneNamePerValue(*v1::Tier_descriptor(), kTierNames);
  ExpectOneNamePerValue(*v1::RfmSegment_descriptor(), kRfmSegmentNames);
  ExpectOneNamePerValue(*v1::Dimension_descriptor(), kDimensionNames);
}

TEST(DisplayNamesTest, ServerNamesMatchTheApiValue) {
  for (const Tier tier : kAllTiers) {
    EXPECT_EQ(TierName(tier), DisplayName(kTierNames, api::TierToProto(tier)));
  }
  for (const RfmSegment segment : kAllSegments) {
    EXPECT_EQ(SegmentName(segment), DisplayName(kRfmSegmentNames, api::SegmentToProto(segment)));
  }
  EXPECT_EQ(TierName(Tier::kSilver), "Silver");
  EXPECT_EQ(SegmentName(RfmSegment::kCantLoseThem), "Can't Lose Them");
  EXPECT_EQ(DisplayName(kDimensionNames, v1::DIMENSION_SUB_CATEGORY), "Sub-Category");
}

}  // namespace
}  // namespace analytics
