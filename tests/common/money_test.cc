#include "common/money.h"

#include <gtest/gtest.h>

namespace analytics {
namespace {

TEST(ParseDecimalMicros, AcceptsPlainDecimals) {
  EXPECT_EQ(*ParseDecimalMicros("12"), 12'000'000);
  EXPECT_EQ(*ParseDecimalMicros("-0.5"), -500'000);
  EXPECT_EQ(*ParseDecimalMicros("+1234.5678"), 1'234'567'800);
  EXPECT_EQ(*ParseDecimalMicros(".25"), 250'000);
  EXPECT_EQ(*ParseDecimalMicros("7."), 7'000'000);
  EXPECT_EQ(*ParseDecimalMicros("0.1234560000"), 123'456);
}

TEST(ParseDecimalMicros, RejectsEverythingElse) {
  for (const char* bad : {"", "-", ".", "1,234.5", "$12", "NaN", "nan", "inf", "1e400", "1e3", " 1",
                          "1 ", "1.2.3", "0.1234567", "--1", "2000000000000.01"}) {
    EXPECT_FALSE(ParseDecimalMicros(bad).ok()) << bad;
  }
}

TEST(ParseDecimalMicros, MagnitudeLimitHoldsWithoutOverflow) {
  EXPECT_EQ(*ParseDecimalMicros("1000000000000"), kMaxAbsMicros);
  EXPECT_EQ(*ParseDecimalMicros("-1000000000000"), -kMaxAbsMicros);
  // 13 whole digits used to overflow int64 before the range check (UBSan,
  // found by fuzz/money_fuzzer.cc).
  for (const char* big : {"9999999999999", "-9999999999999", "1000000000000.000001",
                          "99999999999999999999999"}) {
    EXPECT_EQ(ParseDecimalMicros(big).status().code(), absl::StatusCode::kInvalidArgument) << big;
  }
}

TEST(ParseDecimalMicros, SumsOfFourDecimalInputsAreExact) {
  // 0.1 + 0.2 in doubles is not 0.3; in micros it is.
  EXPECT_EQ(*ParseDecimalMicros("0.1") + *ParseDecimalMicros("0.2"), *ParseDecimalMicros("0.3"));
  Micros total = 0;
  for (int i = 0; i < 10'000; ++i) total += *ParseDecimalMicros("0.0001");
  EXPECT_EQ(total, *ParseDecimalMicros("1"));
}

TEST(MicrosFromDouble, RoundsToTheNearestMicroAndRejectsNonFinite) {
  EXPECT_EQ(*MicrosFromDouble(261.96), 261'960'000);
  EXPECT_EQ(*MicrosFromDouble(-383.031), -383'031'000);
  EXPECT_EQ(*MicrosFromDouble(0.0000005), 1);
  EXPECT_FALSE(MicrosFromDouble(std::numeric_limits<double>::quiet_NaN()).ok());
  EXPECT_FALSE(MicrosFromDouble(std::numeric_limits<double>::infinity()).ok());
  EXPECT_FALSE(MicrosFromDouble(1e308).ok());
}

TEST(FormatMicros, PrintsExactDecimals) {
  EXPECT_EQ(FormatMicros(2'297'200'860'300), "2297200.8603");
  EXPECT_EQ(FormatMicros(-500'000), "-0.50");
  EXPECT_EQ(FormatMicros(12'000'000, 0), "12");
  EXPECT_EQ(FormatMicros(1, 2), "0.000001");
  EXPECT_EQ(FormatMicros(std::numeric_limits<Micros>::min(), 0), "-9223372036854.775808");
}

TEST(MicrosToDouble, IsCloseToTheDecimal) {
  EXPECT_DOUBLE_EQ(MicrosToDouble(286'397'021'700), 286397.0217);
}

}  // namespace
}  // namespace analytics
