// Calendar days as plain integers.
//
// A Day is the number of days since 1970-01-01 in the proleptic Gregorian
// calendar, with no time zone: order dates are civil dates. Integers make
// ranges, recency and bucketing cheap and identical in SQL and in C++.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace analytics {

using Day = std::int32_t;

// Accepted calendar range: years 1900..2999 (anything else is a typo).
inline constexpr int kMinYear = 1900;
inline constexpr int kMaxYear = 2999;

struct YearMonthDay {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// InvalidArgument for impossible dates (2017-02-30) and out-of-range years.
absl::StatusOr<Day> DayFromYmd(int year, int month, int day);
YearMonthDay YmdFromDay(Day day);

// Strict "YYYY-MM-DD".
absl::StatusOr<Day> ParseIsoDay(std::string_view text);
std::string FormatIsoDay(Day day);

// Monday = 0 … Sunday = 6.
int WeekdayMondayFirst(Day day);

// Today's date in UTC.
Day TodayUtc();

enum class Granularity { kDay, kWeek, kMonth, kQuarter, kYear };

// First day of the bucket containing `day`: the day itself, its ISO week's
// Monday, or the first day of its month, quarter or year.
Day BucketStart(Day day, Granularity granularity);
// First day of the bucket after the one starting at `bucket_start`.
Day NextBucketStart(Day bucket_start, Granularity granularity);
// "2017-03-14", "2017-W11" (ISO week-year and week), "2017-03", "2017-Q1", "2017".
std::string BucketLabel(Day bucket_start, Granularity granularity);

}  // namespace analytics
