// The CLI's argument parser: accepted forms, list flags, strictness, typed
// values and durations.
#include "cli/args.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace analytics::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<FlagSpec>& Specs() {
  static const std::vector<FlagSpec> specs = {
      {"server", "HOST:PORT", "address"},
      {"json", "", "json output"},
      {"help", "", "help"},
      {"region", "NAME", "regions", true},
      {"limit", "N", "rows"},
      {"gold", "AMOUNT", "threshold"},
      {"timeout", "DURATION", "deadline"},
  };
  return specs;
}

absl::StatusOr<ParsedArgs> Parse(std::vector<std::string> args) { return ParseArgs(args, Specs()); }

TEST(ArgsTest, SpaceAndEqualsFormsAndPositionals) {
  const absl::StatusOr<ParsedArgs> parsed =
      Parse({"region", "--server", "a:1", "--limit=5", "--json", "extra"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("server"), "a:1");
  EXPECT_EQ(parsed->Value("limit"), "5");
  EXPECT_TRUE(parsed->Has("json"));
  EXPECT_FALSE(parsed->Has("help"));
  EXPECT_THAT(parsed->positional(), ElementsAre("region", "extra"));
}

TEST(ArgsTest, LastValueWinsForScalarFlags) {
  const absl::StatusOr<ParsedArgs> parsed = Parse({"--server", "a:1", "--server", "b:2"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->Value("server"), "b:2");
}

TEST(ArgsTest, ListFlagsRepeatAndSplitOnCommas) {
  const absl::StatusOr<ParsedArgs> parsed =
      Parse({"--region", "East,West", "--region=South", "--region", "Central,"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_THAT(parsed->Values("region"), ElementsAre("East", "West", "South", "Central"));
  EXPECT_TRUE(parsed->Values("server").empty());
}

TEST(ArgsTest, DoubleDashEndsFlagsAndDashIsPositional) {
  const absl::StatusOr<ParsedArgs> parsed = Parse({"-", "--", "--json", "-x"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->Has("json"));
  EXPECT_THAT(parsed->positional(), ElementsAre("-", "--json", "-x"));
}

TEST(ArgsTest, ShortHelp) {
  const absl::StatusOr<ParsedArgs> parsed = Parse({"-h"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->Has("help"));
}

TEST(ArgsTest, UnknownFlagIsAUsageError) {
  const absl::StatusOr<ParsedArgs> parsed = Parse({"--regoin", "East"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(IsUsageError(parsed.status()));
  EXPECT_THAT(parsed.status().message(), HasSubstr("unknown flag --regoin"));
}

TEST(ArgsTest, SingleDashLongFlagIsRejected) {
  const absl::StatusOr<ParsedArgs> parsed = Parse({"-json"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(IsUsageError(parsed.status()));
}

TEST(ArgsTest, MissingValueIsAUsageError) {
  const absl::StatusOr<ParsedArgs> parsed = Parse({"--limit"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("--limit needs a value"));
}

TEST(ArgsTest, BooleanFlagRejectsAValue) {
  const absl::StatusOr<ParsedArgs> parsed = Parse({"--json=yes"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("takes no value"));
}

TEST(ArgsTest, TypedValues) {
  const absl::StatusOr<ParsedArgs> parsed =
      Parse({"--limit", "25", "--gold", "2000.5", "--timeout", "1.5s"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->Int("limit").value(), 25);
  EXPECT_EQ(parsed->Number("gold").value(), 2000.5);
  EXPECT_EQ(parsed->Duration("timeout").value(), std::chrono::milliseconds(1500));
  EXPECT_EQ(parsed->Int("server").value(), std::nullopt);
}

TEST(ArgsTest, BadTypedValuesAreUsageErrorsNamingTheFlag) {
  const absl::StatusOr<ParsedArgs> parsed =
      Parse({"--limit", "5x", "--gold", "nan", "--timeout", "soon"});
  ASSERT_TRUE(parsed.ok());
  for (const absl::Status& status : {parsed->Int("limit").status(), parsed->Number("gold").status(),
                                     parsed->Duration("timeout").status()}) {
    EXPECT_TRUE(IsUsageError(status)) << status;
  }
  EXPECT_THAT(parsed->Int("limit").status().message(), HasSubstr("--limit"));
}

TEST(ArgsTest, IntInRangeIncludesTheBounds) {
  const absl::StatusOr<ParsedArgs> low = Parse({"--limit", "1"});
  ASSERT_TRUE(low.ok());
  EXPECT_EQ(low->IntInRange("limit", 1, 10).value(), 1);
  const absl::StatusOr<ParsedArgs> high = Parse({"--limit", "11"});
  ASSERT_TRUE(high.ok());
  const absl::Status status = high->IntInRange("limit", 1, 10).status();
  EXPECT_TRUE(IsUsageError(status));
  EXPECT_EQ(status.message(), "--limit: must be between 1 and 10");
  EXPECT_EQ(high->IntInRange("gold", 1, 10).value(), std::nullopt);
}

TEST(ArgsTest, Durations) {
  EXPECT_EQ(ParseDuration("30s").value(), std::chrono::seconds(30));
  EXPECT_EQ(ParseDuration("500ms").value(), std::chrono::milliseconds(500));
  EXPECT_EQ(ParseDuration("2m").value(), std::chrono::minutes(2));
  EXPECT_EQ(ParseDuration("1h").value(), std::chrono::hours(1));
  EXPECT_EQ(ParseDuration("2.5").value(), std::chrono::milliseconds(2500));
  for (const char* bad : {"", "s", "10x", "-1s", "1.2.3s", "ms"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

TEST(ArgsTest, ServerStatusWithoutPayloadIsNotAUsageError) {
  EXPECT_FALSE(IsUsageError(absl::InvalidArgumentError("from the server")));
  EXPECT_TRUE(IsUsageError(UsageError("bad flag")));
}

TEST(ArgsTest, FlagHelpAlignsDescriptions) {
  const std::vector<FlagSpec> specs = {{"a", "", "first"}, {"long-name", "VALUE", "second"}};
  EXPECT_EQ(FormatFlagHelp(specs),
            "  --a                first\n"
            "  --long-name VALUE  second\n");
}

}  // namespace
}  // namespace analytics::cli
