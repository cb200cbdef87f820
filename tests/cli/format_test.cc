// Number formatting and table layout of the CLI.
#include "cli/format.h"

#include <gtest/gtest.h>

#include <limits>

namespace analytics::cli {
namespace {

TEST(FormatTest, GroupThousands) {
  EXPECT_EQ(GroupThousands("0"), "0");
  EXPECT_EQ(GroupThousands("999"), "999");
  EXPECT_EQ(GroupThousands("1000"), "1,000");
  EXPECT_EQ(GroupThousands("1234567"), "1,234,567");
  EXPECT_EQ(GroupThousands("-1234567.891"), "-1,234,567.891");
  EXPECT_EQ(GroupThousands("123456.7"), "123,456.7");
  EXPECT_EQ(GroupThousands("n/a"), "n/a");
  EXPECT_EQ(GroupThousands(""), "");
  EXPECT_EQ(GroupThousands("12ab"), "12ab");
}

TEST(FormatTest, Counts) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(-1000), "-1,000");
  EXPECT_EQ(FormatCount(std::numeric_limits<std::int64_t>::max()), "9,223,372,036,854,775,807");
}

TEST(FormatTest, MoneyIsExactFromMicros) {
  EXPECT_EQ(FormatMoney(0), "0.00");
  EXPECT_EQ(FormatMoney(1'234'567'890'000), "1,234,567.89");
  EXPECT_EQ(FormatMoney(1'500), "0.0015");
  EXPECT_EQ(FormatMoney(-2'500'000), "-2.50");
  // 0.1 + 0.2 in micros is exactly 0.3: no binary floating point residue.
  EXPECT_EQ(FormatMoney(100'000 + 200'000), "0.30");
  // Digits a double could not carry survive.
  EXPECT_EQ(FormatMoney(123'456'789'012'345'678), "123,456,789,012.345678");
  EXPECT_EQ(FormatMoney(std::numeric_limits<std::int64_t>::min()), "-9,223,372,036,854.775808");
  EXPECT_EQ(FormatMoneyRaw(1'234'567'890'000), "1234567.89");
}

TEST(FormatTest, DecimalsAndPercents) {
  EXPECT_EQ(FormatDecimal(1234.5, 2), "1,234.50");
  EXPECT_EQ(FormatDecimalRaw(1234.5, 2), "1234.50");
  EXPECT_EQ(FormatDecimal(-0.001, 2), "0.00");
  EXPECT_EQ(FormatFractionPercent(0.1234), "12.3%");
  EXPECT_EQ(FormatFractionPercent(1.0, 0), "100%");
  EXPECT_EQ(FormatChangePercent(12.34), "+12.3%");
  EXPECT_EQ(FormatChangePercent(-5), "-5.0%");
  EXPECT_EQ(FormatChangePercent(0.01), "0.0%");
}

TEST(FormatTest, Bytes) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(5 * 1024 * 1024), "5.0 MiB");
  EXPECT_EQ(FormatBytes(3LL * 1024 * 1024 * 1024), "3.0 GiB");
}

TEST(FormatTest, CsvQuoting) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
}

TEST(FormatTest, DisplayWidthCountsCodePoints) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("Z\xC3\xBCrich"), 6u);  // "Zürich"
}

TEST(TableTest, AlignsColumnsAndRightAlignsNumbers) {
  Table table({{"Region", "region", Align::kLeft}, {"Revenue", "revenue", Align::kRight}});
  table.AddRow({Text("West"), Money(725'457'824'500)});
  table.AddRow({Text("Central"), Money(1'500'000)});
  table.AddFooter({Text("Total"), Money(725'459'324'500)});
  EXPECT_EQ(table.Render(),
            "Region        Revenue\n"
            "-------  ------------\n"
            "West     725,457.8245\n"
            "Central          1.50\n"
            "-------  ------------\n"
            "Total    725,459.3245\n");
}

TEST(TableTest, AlignsNonAsciiTextByCodePoints) {
  Table table({{"City", "city", Align::kLeft}, {"N", "n", Align::kRight}});
  table.AddRow({Text("Z\xC3\xBCrich"), Count(1)});
  table.AddRow({Text("Bern"), Count(22)});
  EXPECT_EQ(table.Render(),
            "City     N\n"
            "------  --\n"
            "Z\xC3\xBCrich   1\n"
            "Bern    22\n");
}

TEST(TableTest, CsvUsesRawValuesAndSkipsFooters) {
  Table table({{"Region", "region", Align::kLeft},
               {"Revenue", "revenue", Align::kRight},
               {"Orders", "orders", Align::kRight}});
  table.AddRow({Text("North, East"), Money(1'234'567'890'000), Count(1234)});
  table.AddFooter({Text("Total"), Money(1), Count(1)});
  EXPECT_EQ(table.RenderCsv(),
            "region,revenue,orders\n"
            "\"North, East\",1234567.89,1234\n");
  EXPECT_EQ(table.row_count(), 1u);
}

TEST(TableTest, ColumnsWithoutHeadingAreCsvOnly) {
  Table table({{"Measure", "measure", Align::kLeft},
               {"Change", "change", Align::kRight},
               {"", "unit", Align::kLeft}});
  table.AddRow({Text("Revenue"), Cell{"+5.0%", "5.0"}, Cell{"", "percent"}});
  EXPECT_EQ(table.Render(),
            "Measure  Change\n"
            "-------  ------\n"
            "Revenue   +5.0%\n");
  EXPECT_EQ(table.RenderCsv(), "measure,change,unit\nRevenue,5.0,percent\n");
}

TEST(TableTest, ShortRowsArePaddedAndTrailingSpacesTrimmed) {
  Table table({{"A", "a", Align::kLeft}, {"B", "b", Align::kLeft}});
  table.AddRow({Text("x")});
  EXPECT_EQ(table.Render(), "A  B\n-  -\nx\n");
}

TEST(FormatTest, PairsAlignLabels) {
  EXPECT_EQ(RenderPairs({{"As of", "2024-01-01"}, {"Customers", "12"}}),
            "As of      2024-01-01\n"
            "Customers  12\n");
}

}  // namespace
}  // namespace analytics::cli
