#include "reports/trend_report.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace analytics {

absl::StatusOr<std::vector<TrendBucket>> BuildTrend(QueryEngine& engine, const Filter& filter,
                                                    Granularity granularity) {
  Day first = 0;
  Day last = 0;
  if (filter.start && filter.end) {
    first = *filter.start;
    last = *filter.end;
  } else {
    absl::StatusOr<std::optional<DateSpan>> span = engine.Span(filter);
    if (!span.ok()) return span.status();
    if (!*span) return std::vector<TrendBucket>{};
    first = filter.start.value_or((*span)->first);
    last = filter.end.value_or((*span)->last);
  }
  if (first > last) return std::vector<TrendBucket>{};

  // Count buckets before materialising any, so a huge range fails fast.
  std::int64_t count = 0;
  for (Day b = BucketStart(first, granularity); b <= last; b = NextBucketStart(b, granularity)) {
    if (++count > kMaxTrendBuckets) {
      return absl::InvalidArgumentError(absl::StrCat(
          "granularity: the date range needs more than ", kMaxTrendBuckets,
          " buckets at this granularity; narrow the range (filter.start_date, filter.end_date) "
          "or use a coarser granularity"));
    }
  }
  absl::StatusOr<std::vector<TrendPoint>> points = engine.Trend(filter, granularity);
  if (!points.ok()) return points.status();

  std::vector<TrendBucket> buckets;
  buckets.reserve(static_cast<std::size_t>(count));
  auto point = points->begin();
  for (Day b = BucketStart(first, granularity); b <= last; b = NextBucketStart(b, granularity)) {
    TrendBucket bucket{.start = std::max(b, first),
                       .end = std::min<Day>(NextBucketStart(b, granularity) - 1, last),
                       .label = BucketLabel(b, granularity)};
    while (point != points->end() && point->bucket_start < b) ++point;
    if (point != points->end() && point->bucket_start == b) {
      bucket.revenue = point->revenue;
      bucket.profit = point->profit;
      bucket.orders = point->orders;
    }
    buckets.push_back(std::move(bucket));
  }
  return buckets;
}

}  // namespace analytics
