#include "import/date_parser.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace analytics {
namespace {

using ::testing::HasSubstr;

Day D(int y, int m, int d) { return *DayFromYmd(y, m, d); }

struct DateCase {
  std::string text;
  DateOrder order;
  std::optional<Day> expected;  // nullopt: rejected
  friend void PrintTo(const DateCase& c, std::ostream* out) { *out << c.text; }
};

class ParseDateTest : public ::testing::TestWithParam<DateCase> {};

TEST_P(ParseDateTest, ParsesOrRejects) {
  const DateCase& c = GetParam();
  absl::StatusOr<Day> day = ParseDate(c.text, c.order);
  if (c.expected) {
    ASSERT_TRUE(day.ok()) << c.text << ": " << day.status();
    EXPECT_EQ(*day, *c.expected) << c.text;
  } else {
    EXPECT_EQ(day.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ParseDateTest,
    ::testing::Values(
        // ISO, in every order.
        DateCase{"2017-12-30", DateOrder::kYmd, D(2017, 12, 30)},
        DateCase{"2017-12-30", DateOrder::kDmy, D(2017, 12, 30)},
        DateCase{"2017-12-30", DateOrder::kMdy, D(2017, 12, 30)},
        DateCase{"2017/1/5", DateOrder::kYmd, D(2017, 1, 5)},
        DateCase{"2017-02-30", DateOrder::kYmd, std::nullopt},
        DateCase{"2017-13-01", DateOrder::kYmd, std::nullopt},
        // Superstore style: DD-MM-YY, 2-digit year means 20yy.
        DateCase{"08-11-16", DateOrder::kDmy, D(2016, 11, 8)},
        DateCase{"08-11-16", DateOrder::kMdy, D(2016, 8, 11)},
        DateCase{"30-12-17", DateOrder::kDmy, D(2017, 12, 30)},
        DateCase{"30-12-17", DateOrder::kMdy, std::nullopt},  // month 30: never swapped
        DateCase{"12/30/2017", DateOrder::kMdy, D(2017, 12, 30)},
        DateCase{"12/30/2017", DateOrder::kDmy, std::nullopt},
        DateCase{"1.2.99", DateOrder::kDmy, D(2099, 2, 1)},
        DateCase{"29-02-16", DateOrder::kDmy, D(2016, 2, 29)},
        DateCase{"29-02-17", DateOrder::kDmy, std::nullopt},
        DateCase{"08-11-16", DateOrder::kYmd, std::nullopt},  // YMD wants year first
        DateCase{"00-11-16", DateOrder::kDmy, std::nullopt},
        // Not dates at all.
        DateCase{"", DateOrder::kDmy, std::nullopt},
        DateCase{"08-11/16", DateOrder::kDmy, std::nullopt},
        DateCase{"08-11-016", DateOrder::kDmy, std::nullopt},
        DateCase{"008-11-16", DateOrder::kDmy, std::nullopt},
        DateCase{"2017-12-30 10:00", DateOrder::kYmd, std::nullopt},
        DateCase{" 2017-12-30", DateOrder::kYmd, std::nullopt},
        DateCase{"2017-123-1", DateOrder::kYmd, std::nullopt},
        DateCase{"2017-12-1999", DateOrder::kYmd, std::nullopt},
        DateCase{"Dec 30, 2017", DateOrder::kMdy, std::nullopt},
        DateCase{"08-11-", DateOrder::kDmy, std::nullopt}));

TEST(DateParserTest, SplitKeepsTheNumbers) {
  EXPECT_EQ(*SplitDate("08-11-16"), (DateText{false, 8, 11, 2016}));
  EXPECT_EQ(*SplitDate("2016.11.08"), (DateText{true, 11, 8, 2016}));
  EXPECT_EQ(*SplitDate("8/1/1999"), (DateText{false, 8, 1, 1999}));
}

TEST(DateParserTest, PossibleOrders) {
  EXPECT_EQ(PossibleOrders(*SplitDate("08-11-16")), kDmyBit | kMdyBit);
  EXPECT_EQ(PossibleOrders(*SplitDate("30-11-16")), kDmyBit);
  EXPECT_EQ(PossibleOrders(*SplitDate("11-30-16")), kMdyBit);
  EXPECT_EQ(PossibleOrders(*SplitDate("31-31-16")), 0u);
  EXPECT_EQ(PossibleOrders(*SplitDate("2016-11-30")), kYmdBit);
  EXPECT_EQ(PossibleOrders(*SplitDate("2016-11-31")), 0u);
}

struct DetectCase {
  std::string name;
  std::vector<std::string> dates;
  std::optional<DateOrder> expected;  // nullopt: refuses
  std::string message;                // substring of the refusal
  friend void PrintTo(const DetectCase& c, std::ostream* out) { *out << c.name; }
};

class DetectorTest : public ::testing::TestWithParam<DetectCase> {};

TEST_P(DetectorTest, Decides) {
  DateOrderDetector detector;
  std::int64_t line = 2;
  for (const std::string& text : GetParam().dates) detector.Observe(*SplitDate(text), line++);
  absl::StatusOr<DateOrder> order = detector.Decide();
  if (GetParam().expected) {
    ASSERT_TRUE(order.ok()) << order.status();
    EXPECT_EQ(*order, *GetParam().expected);
  } else {
    EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(order.status().message(), HasSubstr(GetParam().message));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Evidence, DetectorTest,
    ::testing::Values(
        DetectCase{"NoDates", {}, DateOrder::kYmd, ""},
        DetectCase{"IsoOnly", {"2017-01-02", "2017-03-04"}, DateOrder::kYmd, ""},
        DetectCase{"DayFirst", {"08-11-16", "30-11-16", "01-02-16"}, DateOrder::kDmy, ""},
        DetectCase{"MonthFirst", {"08-11-16", "11/30/16"}, DateOrder::kMdy, ""},
        DetectCase{"IsoAndDayFirst", {"2017-01-02", "13-01-17"}, DateOrder::kDmy, ""},
        DetectCase{"AllAmbiguous", {"08-11-16", "01-02-16"}, std::nullopt, "date order"},
        DetectCase{"AmbiguousNamesFirstLine", {"2017-01-02", "08-11-16"}, std::nullopt, "line 3"},
        DetectCase{"Contradictory", {"30-11-16", "11-30-16"}, std::nullopt, "inconsistent"}),
    [](const ::testing::TestParamInfo<DetectCase>& info) { return info.param.name; });

}  // namespace
}  // namespace analytics

namespace analytics {
namespace {

// PossibleOrders has its own calendar check (it must not build error
// messages); it must agree with ResolveDate, i.e. with DayFromYmd.
TEST(DateParserTest, PossibleOrdersAgreesWithResolveDate) {
  for (const int year : {1899, 1900, 1999, 2000, 2016, 2017, 2100, 2400, 2999, 3000}) {
    for (int a = 0; a <= 33; ++a) {
      for (int b = 0; b <= 33; ++b) {
        const DateText text{false, a, b, year};
        const unsigned expected = (ResolveDate(text, DateOrder::kDmy).ok() ? kDmyBit : 0) |
                                  (ResolveDate(text, DateOrder::kMdy).ok() ? kMdyBit : 0);
        ASSERT_EQ(PossibleOrders(text), expected) << a << "-" << b << "-" << year;
        const DateText iso{true, a, b, year};
        ASSERT_EQ(PossibleOrders(iso), ResolveDate(iso, DateOrder::kYmd).ok() ? kYmdBit : 0u)
            << year << "-" << a << "-" << b;
      }
    }
  }
}

}  // namespace
}  // namespace analytics
