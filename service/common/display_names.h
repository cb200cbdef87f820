// The names people read for the API's tiers, RFM segments and breakdown
// dimensions ("Gold", "Can't Lose Them", "Sub-Category").
//
// One list each, shared by the server (segment summaries carry a
// display_name) and analytics-cli (tables print these), so both say the
// same. Each list is in the API enum's order: entry i names enum number
// i + 1 (number 0 is UNSPECIFIED); the core enums Tier and RfmSegment
// (segmentation/rfm.h) follow that order too. tests/api/display_names_test.cc
// checks the lists against the generated enums.
#pragma once

#include <array>
#include <span>
#include <string_view>

namespace analytics {

inline constexpr std::array<std::string_view, 3> kTierNames = {"Gold", "Silver", "Bronze"};

inline constexpr std::array<std::string_view, 11> kRfmSegmentNames = {
    "Champions",      "Loyal Customers", "Potential Loyalist",
    "New Customers",  "Promising",       "Need Attention",
    "About To Sleep", "At Risk",         "Can't Lose Them",
    "Lost",           "Others"};

inline constexpr std::array<std::string_view, 7> kDimensionNames = {
    "Region", "Category", "Sub-Category", "Segment", "State", "Ship Mode", "Customer"};

// The name of API enum number `number` in `names`, or `otherwise` for 0
// (UNSPECIFIED) and numbers the list does not know.
constexpr std::string_view DisplayName(std::span<const std::string_view> names, int number,
                                       std::string_view otherwise = "") {
  if (number < 1 || static_cast<std::size_t>(number) > names.size()) return otherwise;
  return names[static_cast<std::size_t>(number) - 1];
}

}  // namespace analytics
