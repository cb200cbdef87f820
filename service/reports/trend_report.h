// A sales trend: one bucket per day, week, month, quarter or year over a
// range, with empty buckets present as zeros. The range is the filter's dates;
// open ends take the filtered data's first and last order dates. Buckets at
// the edges are clipped to the range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "query/query_engine.h"

namespace analytics {

// Refuse ranges that would need more buckets than this (e.g. days over
// centuries): InvalidArgument.
inline constexpr std::int64_t kMaxTrendBuckets = 20'000;

struct TrendBucket {
  Day start = 0;  // clipped to the range
  Day end = 0;    // inclusive, clipped to the range
  std::string label;
  Micros revenue = 0;
  Micros profit = 0;
  std::int64_t orders = 0;
};

absl::StatusOr<std::vector<TrendBucket>> BuildTrend(QueryEngine& engine, const Filter& filter,
                                                    Granularity granularity);

}  // namespace analytics
