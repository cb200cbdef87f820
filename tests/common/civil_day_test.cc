#include "common/civil_day.h"

#include <gtest/gtest.h>

namespace analytics {
namespace {

TEST(CivilDay, RoundTripsIsoDates) {
  EXPECT_EQ(*ParseIsoDay("1970-01-01"), 0);
  EXPECT_EQ(*ParseIsoDay("2017-12-30"), 17530);
  EXPECT_EQ(FormatIsoDay(17530), "2017-12-30");
  EXPECT_EQ(FormatIsoDay(*ParseIsoDay("2016-02-29")), "2016-02-29");
}

TEST(CivilDay, RejectsImpossibleAndMalformedDates) {
  for (const char* bad : {"2017-02-29", "2017-13-01", "2017-00-10", "2017-1-1", "17-01-01",
                          "2017/01/01", "1899-12-31", "3000-01-01", "", "2017-01-01T00"}) {
    EXPECT_FALSE(ParseIsoDay(bad).ok()) << bad;
  }
}

TEST(CivilDay, WeekdaysAreMondayFirst) {
  EXPECT_EQ(WeekdayMondayFirst(*ParseIsoDay("1970-01-01")), 3);  // Thursday
  EXPECT_EQ(WeekdayMondayFirst(*ParseIsoDay("2024-01-01")), 0);  // Monday
  EXPECT_EQ(WeekdayMondayFirst(*ParseIsoDay("1969-12-28")), 6);  // Sunday, before the epoch
}

struct BucketCase {
  const char* day;
  Granularity granularity;
  const char* start;
  const char* next;
  const char* label;
};

TEST(CivilDay, BucketsStartNextAndLabel) {
  const BucketCase cases[] = {
      {"2017-03-14", Granularity::kDay, "2017-03-14", "2017-03-15", "2017-03-14"},
      {"2017-03-14", Granularity::kWeek, "2017-03-13", "2017-03-20", "2017-W11"},
      {"2021-01-02", Granularity::kWeek, "2020-12-28", "2021-01-04", "2020-W53"},
      {"2019-12-31", Granularity::kWeek, "2019-12-30", "2020-01-06", "2020-W01"},
      {"2017-03-14", Granularity::kMonth, "2017-03-01", "2017-04-01", "2017-03"},
      {"2017-12-30", Granularity::kMonth, "2017-12-01", "2018-01-01", "2017-12"},
      {"2017-03-14", Granularity::kQuarter, "2017-01-01", "2017-04-01", "2017-Q1"},
      {"2017-11-14", Granularity::kQuarter, "2017-10-01", "2018-01-01", "2017-Q4"},
      {"2017-11-14", Granularity::kYear, "2017-01-01", "2018-01-01", "2017"},
  };
  for (const BucketCase& c : cases) {
    const Day start = BucketStart(*ParseIsoDay(c.day), c.granularity);
    EXPECT_EQ(FormatIsoDay(start), c.start) << c.day;
    EXPECT_EQ(FormatIsoDay(NextBucketStart(start, c.granularity)), c.next) << c.day;
    EXPECT_EQ(BucketLabel(start, c.granularity), c.label) << c.day;
  }
}

}  // namespace
}  // namespace analytics
