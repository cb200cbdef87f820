// Memory stays bounded: a generated million-line, Superstore-shaped file
// (about 250 MB, never held in memory) is imported and read back while the
// process's peak RSS stays under the service's 300 MB budget.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/order_line.h"
#include "gtest/gtest.h"
#include "import/csv_import.h"

namespace analytics {
namespace {

// AddressSanitizer's shadow memory and quarantine make RSS meaningless (and
// the run ten times slower).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

constexpr std::int64_t kLines = 1'000'000;
constexpr long kBudgetKiB = 300 * 1024;

long PeakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

// Line i's values, so that expectations are computed, not stored.
Micros SalesOf(std::int64_t i) { return (i % 10'000) * kMicrosPerUnit + 123'400; }
std::int64_t QuantityOf(std::int64_t i) { return i % 14 + 1; }

class MillionLinesTest : public ::testing::TestWithParam<bool> {};

TEST_P(MillionLinesTest, StaysUnderTheMemoryBudget) {
  if (kSanitized) GTEST_SKIP() << "peak RSS is not meaningful under AddressSanitizer";
  const bool with_row_id = GetParam();
  const auto start = std::chrono::steady_clock::now();
  CsvImport import({});
  std::string chunk = absl::StrCat(
      with_row_id ? "Row ID," : "",
      "Order ID,Order Date,Ship Date,Ship Mode,Customer ID,Customer Name,Segment,Country,City,"
      "State,Postal Code,Region,Product ID,Category,Sub-Category,Product Name,Sales,Quantity,"
      "Discount,Profit\r");
  std::int64_t bytes = 0;
  Micros expected_sales = 0;
  std::int64_t expected_units = 0;
  for (std::int64_t i = 1; i <= kLines; ++i) {
    const int day = static_cast<int>(i % 28) + 1;
    const int month = static_cast<int>(i % 12) + 1;
    char dates[32];
    std::snprintf(dates, sizeof dates, "%02d-%02d-16,%02d-%02d-17", day, month, day, month);
    absl::StrAppend(&chunk, with_row_id ? absl::StrCat(i, ",") : "", "CA-2016-", 100'000 + i / 2,
                    ",", dates, ",Standard Class,CG-", 10'000 + i % 800,
                    ",Claire Gute,Consumer,United States,Henderson,Kentucky,42420,South,FUR-BO-",
                    10'000'000 + i, ",Furniture,Bookcases,\"Bush Somerset Collection Bookcase, ",
                    i % 1000, "\"\" wide\",", FormatMicros(SalesOf(i), 4), ",", QuantityOf(i),
                    ",0.2,-", i % 77, ".5\r");
    expected_sales += SalesOf(i);
    expected_units += QuantityOf(i);
    if (chunk.size() >= 64 * 1024 || i == kLines) {
      ASSERT_TRUE(import.Feed(chunk).ok());
      bytes += static_cast<std::int64_t>(chunk.size());
      chunk.clear();
    }
  }
  absl::StatusOr<CsvImportSummary> summary = import.Finish();
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->accepted, kLines);
  EXPECT_EQ(summary->rejected, 0);
  EXPECT_EQ(summary->date_order, DateOrder::kDmy);
  const auto parsed = std::chrono::steady_clock::now();

  std::unique_ptr<LineSource> source = import.AcceptedLines();
  OrderLine line;
  std::int64_t count = 0;
  Micros sales = 0;
  std::int64_t units = 0;
  std::string last_key;
  while (source->Next(line)) {
    ++count;
    sales += line.sales;
    units += line.quantity;
    last_key = line.line_key;
  }
  const auto read = std::chrono::steady_clock::now();
  EXPECT_EQ(count, kLines);
  EXPECT_EQ(sales, expected_sales);
  EXPECT_EQ(units, expected_units);
  EXPECT_EQ(last_key, with_row_id ? "1000000" : "CA-2016-600000/FUR-BO-11000000/1");

  const long peak = PeakRssKiB();
  const auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  const std::string report =
      absl::StrCat("1M lines (", bytes / (1024 * 1024), " MiB, ",
                   with_row_id ? "Row ID" : "default keys", "): parse ", seconds(start, parsed),
                   " s, read back ", seconds(parsed, read), " s, peak RSS ", peak / 1024, " MiB");
  RecordProperty("measurement", report);
  std::printf("%s\n", report.c_str());
  EXPECT_LT(peak, kBudgetKiB);
}

INSTANTIATE_TEST_SUITE_P(Keys, MillionLinesTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "RowId" : "DefaultKeys";
                         });

}  // namespace
}  // namespace analytics
