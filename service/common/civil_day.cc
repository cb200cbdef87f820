#include "common/civil_day.h"

#include <chrono>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/line_validation.h"

namespace analytics {
namespace {

namespace chr = std::chrono;

Day ToDay(const chr::year_month_day& ymd) {
  return static_cast<Day>(chr::sys_days(ymd).time_since_epoch().count());
}

chr::year_month_day ToYmd(Day day) { return chr::year_month_day(chr::sys_days(chr::days(day))); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

absl::StatusOr<Day> DayFromYmd(int year, int month, int day) {
  if (year < kMinYear || year > kMaxYear) {
    return absl::InvalidArgumentError(
        absl::StrCat("year ", year, " out of range ", kMinYear, "..", kMaxYear));
  }
  const chr::year_month_day ymd{chr::year(year), chr::month(static_cast<unsigned>(month)),
                                chr::day(static_cast<unsigned>(day))};
  if (month < 1 || month > 12 || day < 1 || !ymd.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no such date: year ", year, ", month ", month, ", day ", day));
  }
  return ToDay(ymd);
}

YearMonthDay YmdFromDay(Day day) {
  const chr::year_month_day ymd = ToYmd(day);
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

absl::StatusOr<Day> ParseIsoDay(std::string_view text) {
  const auto number = [&](std::size_t pos, std::size_t len) {
    int value = 0;
    for (std::size_t i = pos; i < pos + len; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  const bool shape_ok = text.size() == 10 && text[4] == '-' && text[7] == '-' && IsDigit(text[0]) &&
                        IsDigit(text[1]) && IsDigit(text[2]) && IsDigit(text[3]) &&
                        IsDigit(text[5]) && IsDigit(text[6]) && IsDigit(text[8]) &&
                        IsDigit(text[9]);
  if (!shape_ok) {
    return absl::InvalidArgumentError(absl::StrCat("not a YYYY-MM-DD date: ", QuoteInput(text)));
  }
  return DayFromYmd(number(0, 4), number(5, 2), number(8, 2));
}

std::string FormatIsoDay(Day day) {
  const YearMonthDay ymd = YmdFromDay(day);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", ymd.year, ymd.month, ymd.day);
  return buffer;
}

int WeekdayMondayFirst(Day day) {
  // 1970-01-01 was a Thursday (index 3).
  return static_cast<int>(((static_cast<std::int64_t>(day) + 3) % 7 + 7) % 7);
}

Day TodayUtc() {
  return static_cast<Day>(
      chr::floor<chr::days>(chr::system_clock::now()).time_since_epoch().count());
}

Day BucketStart(Day day, Granularity granularity) {
  const chr::year_month_day ymd = ToYmd(day);
  switch (granularity) {
    case Granularity::kDay:
      return day;
    case Granularity::kWeek:
      return day - WeekdayMondayFirst(day);
    case Granularity::kMonth:
      return ToDay(ymd.year() / ymd.month() / 1);
    case Granularity::kQuarter: {
      const unsigned month = static_cast<unsigned>(ymd.month());
      return ToDay(ymd.year() / chr::month(month - (month - 1) % 3) / 1);
    }
    case Granularity::kYear:
      return ToDay(ymd.year() / 1 / 1);
  }
  return day;
}

Day NextBucketStart(Day bucket_start, Granularity granularity) {
  const chr::year_month_day ymd = ToYmd(bucket_start);
  switch (granularity) {
    case Granularity::kDay:
      return bucket_start + 1;
    case Granularity::kWeek:
      return bucket_start + 7;
    case Granularity::kMonth:
      return ToDay(chr::year_month_day(ymd.year() / ymd.month() / 1) + chr::months(1));
    case Granularity::kQuarter:
      return ToDay(chr::year_month_day(ymd.year() / ymd.month() / 1) + chr::months(3));
    case Granularity::kYear:
      return ToDay(ymd.year() / 1 / 1 + chr::years(1));
  }
  return bucket_start + 1;
}

std::string BucketLabel(Day bucket_start, Granularity granularity) {
  const YearMonthDay ymd = YmdFromDay(bucket_start);
  char buffer[32];
  switch (granularity) {
    case Granularity::kDay:
      return FormatIsoDay(bucket_start);
    case Granularity::kWeek: {
      // The ISO week-year is the year of the week's Thursday.
      const Day thursday = bucket_start + 3;
      const int iso_year = YmdFromDay(thursday).year;
      const Day jan4 = ToDay(chr::year(iso_year) / 1 / 4);
      const Day week1_monday = jan4 - WeekdayMondayFirst(jan4);
      std::snprintf(buffer, sizeof buffer, "%04d-W%02d", iso_year,
                    (bucket_start - week1_monday) / 7 + 1);
      return buffer;
    }
    case Granularity::kMonth:
      std::snprintf(buffer, sizeof buffer, "%04d-%02d", ymd.year, ymd.month);
      return buffer;
    case Granularity::kQuarter:
      std::snprintf(buffer, sizeof buffer, "%04d-Q%d", ymd.year, (ymd.month - 1) / 3 + 1);
      return buffer;
    case Granularity::kYear:
      std::snprintf(buffer, sizeof buffer, "%04d", ymd.year);
      return buffer;
  }
  return FormatIsoDay(bucket_start);
}

}  // namespace analytics
