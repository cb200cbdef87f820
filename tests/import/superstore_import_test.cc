// The real "Sample - Superstore" export (Mac Roman, bare CR, day-first
// two-digit years) through CsvImport, checked against the figures published
// in its README and against names with the file's non-ASCII characters, then
// loaded into a store twice. Without the full export, the trimmed fixture and
// its figures (tests/fixtures/superstore.h).
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../fixtures/superstore.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/civil_day.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "import/csv_import.h"
#include "import/text_encoding.h"
#include "import_test_util.h"
#include "store/order_store.h"

namespace analytics {
namespace {

using ::analytics::testing::Import;
using ::analytics::testing::ImportInPieces;
using ::analytics::testing::ImportResult;
using ::analytics::testing::ReadFile;
using ::testing::AnyOf;
using ::testing::Eq;

using ::analytics::testing::Superstore;
using ::analytics::testing::SuperstoreFigures;

CsvImportOptions WithOrder(DateOrder order) {
  CsvImportOptions options;
  options.date_order = order;
  return options;
}

class SuperstoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = ReadFile(Superstore().path);
    ASSERT_TRUE(file_.has_value()) << "cannot read " << Superstore().path;
  }
  std::optional<std::string> file_;
  const SuperstoreFigures& figures_ = *Superstore().figures;
  const std::int64_t lines_ = figures_.lines;
};

// Names holding each non-ASCII byte of the file, as Mac Roman reads them
// (Row ID -> field -> UTF-8). Read as Latin-1, 0xCA would be "Ê" and 0x8E a
// C1 control character.
struct KnownText {
  std::string row_id;
  std::string OrderLine::*field;
  std::string text;
};
const std::vector<KnownText>& KnownTexts() {
  static const auto* texts = new std::vector<KnownText>{
      {"12", &OrderLine::product_name,  // 0xCA no-break space
       "Konftel 250 Conference\u00A0phone\u00A0- Charcoal black"},
      {"277", &OrderLine::product_name,  // 0xD2, 0xD3 curly quotes
       "Post-it \u201CImportant Message\u201D Note Pad, Neon Colors, 50 Sheets/Pad"},
      {"405", &OrderLine::customer_name, "Roy Franz\u00F6sisch"},                          // 0x9A
      {"675", &OrderLine::product_name, "Southworth 100% R\u00E9sum\u00E9 Paper, 24lb."},  // 0x8E
      {"749", &OrderLine::customer_name, "Peter B\u00FChler"},                             // 0x9F
      {"3447", &OrderLine::customer_name, "Anna H\u00E4berlin"},                           // 0x8A
      {"5113", &OrderLine::product_name,
       "Eldon Im\u00E0ge Series Desk Accessories, Clear"},  // 0x88
  };
  return *texts;
}

// Whether `utf8` holds a C1 control character (U+0080-U+009F): never text,
// so always a sign of a wrongly chosen single-byte encoding.
bool HasC1Control(std::string_view utf8) {
  for (std::size_t i = 0; i + 1 < utf8.size(); ++i) {
    if (utf8[i] == '\xC2' && static_cast<unsigned char>(utf8[i + 1]) <= 0x9F) return true;
  }
  return false;
}

struct Totals {
  Micros sales = 0;
  Micros profit = 0;
};

TEST_F(SuperstoreTest, DayFirstMatchesEveryPublishedFigure) {
  // Fed in odd-sized pieces, the way a stream delivers it.
  const ImportResult result = ImportInPieces(*file_, WithOrder(DateOrder::kDmy), 4093);
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  const CsvImportSummary& summary = *result.summary;
  EXPECT_EQ(summary.lines_read, lines_);
  EXPECT_EQ(summary.accepted, lines_);
  EXPECT_EQ(summary.rejected, 0);
  EXPECT_TRUE(summary.unknown_columns.empty());
  EXPECT_EQ(summary.encoding, TextEncoding::kMacRoman);
  EXPECT_EQ(summary.date_order, DateOrder::kDmy);
  ASSERT_EQ(result.lines.size(), static_cast<std::size_t>(lines_));

  std::map<std::string, const OrderLine*> by_key;
  for (const OrderLine& line : result.lines) by_key[line.line_key] = &line;
  for (const KnownText& known : KnownTexts()) {
    ASSERT_TRUE(by_key.contains(known.row_id)) << known.row_id;
    EXPECT_EQ(by_key[known.row_id]->*known.field, known.text) << "Row ID " << known.row_id;
  }

  std::set<std::string> orders;
  std::set<std::string> customers;
  std::set<std::string> keys;
  Totals total;
  std::map<std::string, Totals> by_region;
  std::map<std::string, Totals> by_category;
  Day latest = result.lines.front().order_date;
  for (const OrderLine& line : result.lines) {
    orders.insert(line.order_id);
    customers.insert(line.customer_id);
    keys.insert(line.line_key);
    total.sales += line.sales;
    total.profit += line.profit;
    by_region[line.region].sales += line.sales;
    by_region[line.region].profit += line.profit;
    by_category[line.category].sales += line.sales;
    by_category[line.category].profit += line.profit;
    latest = std::max(latest, line.order_date);
    EXPECT_EQ(FindInvalidUtf8(line.product_name), std::nullopt);
    EXPECT_FALSE(HasC1Control(line.product_name)) << line.product_name;
    EXPECT_FALSE(HasC1Control(line.customer_name)) << line.customer_name;
    ASSERT_TRUE(line.ship_date.has_value());
    EXPECT_GE(*line.ship_date, line.order_date) << "line " << line.line_key;
  }
  EXPECT_EQ(orders.size(), static_cast<std::size_t>(figures_.orders));
  EXPECT_EQ(customers.size(), static_cast<std::size_t>(figures_.customers));
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(lines_));
  EXPECT_EQ(total.sales, figures_.sales_micros);
  EXPECT_EQ(total.profit, figures_.profit_micros);
  EXPECT_EQ(FormatIsoDay(latest), figures_.latest_order_date);

  ASSERT_EQ(by_region.size(), figures_.regions.size());
  for (const auto& [region, expected] : figures_.regions) {
    EXPECT_EQ(by_region[region].sales, expected.first) << region;
    EXPECT_EQ(by_region[region].profit, expected.second) << region;
  }
  ASSERT_EQ(by_category.size(), figures_.categories.size());
  for (const auto& [category, expected] : figures_.categories) {
    EXPECT_EQ(by_category[category].sales, expected.first) << category;
    EXPECT_EQ(by_category[category].profit, expected.second) << category;
  }
}

TEST_F(SuperstoreTest, AutoDetectionPicksDayFirstAndMacRoman) {
  const ImportResult detected = Import(*file_);
  ASSERT_TRUE(detected.summary.ok()) << detected.summary.status();
  EXPECT_EQ(detected.summary->date_order, DateOrder::kDmy);
  EXPECT_EQ(detected.summary->encoding, TextEncoding::kMacRoman);
  EXPECT_EQ(detected.summary->accepted, lines_);
  const ImportResult dmy = Import(*file_, WithOrder(DateOrder::kDmy));
  EXPECT_TRUE(detected.lines == dmy.lines);
  CsvImportOptions mac = WithOrder(DateOrder::kDmy);
  mac.encoding = TextEncoding::kMacRoman;
  EXPECT_TRUE(Import(*file_, mac).lines == dmy.lines);
}

TEST_F(SuperstoreTest, ExplicitLatin1KeepsTheFiguresButMisreadsTheNames) {
  // What earlier versions did: every figure is right, but 0xCA is "Ê".
  CsvImportOptions latin1 = WithOrder(DateOrder::kDmy);
  latin1.encoding = TextEncoding::kLatin1;
  const ImportResult result = Import(*file_, latin1);
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->encoding, TextEncoding::kLatin1);
  EXPECT_EQ(result.summary->accepted, lines_);
  Micros sales = 0;
  for (const OrderLine& line : result.lines) {
    sales += line.sales;
    if (line.line_key == "12") {
      EXPECT_EQ(line.product_name, "Konftel 250 Conference\u00CAphone\u00CA- Charcoal black");
    }
  }
  EXPECT_EQ(sales, figures_.sales_micros);
}

TEST_F(SuperstoreTest, MonthFirstRejectsImpossibleDatesAndNeverSwapsThem) {
  const ImportResult dmy = Import(*file_, WithOrder(DateOrder::kDmy));
  const ImportResult mdy = Import(*file_, WithOrder(DateOrder::kMdy));
  ASSERT_TRUE(dmy.summary.ok() && mdy.summary.ok()) << mdy.summary.status();
  EXPECT_EQ(mdy.summary->date_order, DateOrder::kMdy);

  // Read month-first, a true date d/m is a valid date only when d <= 12, and
  // then it is the date with day and month exchanged. Derive the expected
  // outcome of every line from the day-first reading.
  const auto swapped = [](Day day) {
    const YearMonthDay ymd = YmdFromDay(day);
    return ymd.day <= 12 ? std::optional<Day>(*DayFromYmd(ymd.year, ymd.day, ymd.month))
                         : std::nullopt;
  };
  absl::flat_hash_map<std::string, OrderLine> expected_accepted;
  std::int64_t expected_rejected = 0;
  for (const OrderLine& line : dmy.lines) {
    const std::optional<Day> order = swapped(line.order_date);
    const std::optional<Day> ship = swapped(*line.ship_date);
    if (!order || !ship) {
      ++expected_rejected;
      continue;
    }
    OrderLine as_mdy = line;
    as_mdy.order_date = *order;
    as_mdy.ship_date = *ship;
    expected_accepted.emplace(line.line_key, as_mdy);
  }
  ASSERT_GT(expected_rejected, 0);
  EXPECT_EQ(mdy.summary->rejected, expected_rejected);
  EXPECT_EQ(mdy.summary->accepted, lines_ - expected_rejected);
  ASSERT_EQ(mdy.summary->rejected_lines.size(), kMaxReportedRejections);
  for (const RejectedLine& rejection : mdy.summary->rejected_lines) {
    EXPECT_THAT(rejection.field, AnyOf(Eq("Order Date"), Eq("Ship Date")));
    EXPECT_THAT(rejection.reason, ::testing::HasSubstr("no such date month-first"));
  }
  ASSERT_EQ(mdy.lines.size(), expected_accepted.size());
  for (const OrderLine& line : mdy.lines) {
    const auto it = expected_accepted.find(line.line_key);
    ASSERT_NE(it, expected_accepted.end()) << line.line_key;
    EXPECT_EQ(line, it->second);
  }
}

TEST_F(SuperstoreTest, ImportingTwiceLeavesTheSameStore) {
  absl::StatusOr<std::unique_ptr<OrderStore>> store = OrderStore::Open(":memory:");
  ASSERT_TRUE(store.ok()) << store.status();

  CsvImport first(WithOrder(DateOrder::kDmy));
  ASSERT_TRUE(first.Feed(*file_).ok());
  ASSERT_TRUE(first.Finish().ok());
  absl::StatusOr<WriteResult> written = (*store)->Upsert(*first.AcceptedLines());
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->inserted, lines_);
  EXPECT_EQ(written->updated, 0);
  EXPECT_EQ(*(*store)->CountLines(), lines_);

  // The same import read again, and a fresh import of the same file.
  absl::StatusOr<WriteResult> again = (*store)->Upsert(*first.AcceptedLines());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->inserted, 0);
  EXPECT_EQ(again->updated, lines_);

  CsvImport second({});
  ASSERT_TRUE(second.Feed(*file_).ok());
  ASSERT_TRUE(second.Finish().ok());
  absl::StatusOr<WriteResult> fresh = (*store)->Upsert(*second.AcceptedLines());
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->inserted, 0);
  EXPECT_EQ(fresh->updated, lines_);
  EXPECT_EQ(*(*store)->CountLines(), lines_);

  // What the store holds adds up to the published total.
  Micros total = 0;
  ASSERT_TRUE((*store)
                  ->WithConnection([&](sqlite::Connection& connection) -> absl::Status {
                    absl::StatusOr<sqlite::Statement> sum =
                        connection.Prepare("SELECT SUM(sales) FROM order_lines");
                    if (!sum.ok()) return sum.status();
                    absl::StatusOr<bool> row = sum->Step();
                    if (!row.ok()) return row.status();
                    total = sum->Int(0);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(total, figures_.sales_micros);
}

}  // namespace
}  // namespace analytics
