// CsvImport end to end on small hand-written files: every quirk alone, then
// together, fed whole, in two pieces cut at every byte, and one byte at a time.
#include "import/csv_import.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/civil_day.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "import/text_encoding.h"
#include "import_test_util.h"
#include "store/order_store.h"

namespace analytics {
namespace {

using ::analytics::testing::Collect;
using ::analytics::testing::Import;
using ::analytics::testing::ImportInPieces;
using ::analytics::testing::ImportResult;
using ::analytics::testing::ImportStreamed;
using ::analytics::testing::ImportWithCuts;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Day D(int y, int m, int d) { return *DayFromYmd(y, m, d); }

// absl::StrCat here takes absl::string_view, which is not std::string_view.
const std::string kBom(kUtf8Bom);

CsvImportOptions Options(DateOrder order, TextEncoding encoding = TextEncoding::kAuto) {
  CsvImportOptions options;
  options.date_order = order;
  options.encoding = encoding;
  return options;
}

std::vector<std::string> Keys(const std::vector<OrderLine>& lines) {
  std::vector<std::string> keys;
  for (const OrderLine& line : lines) keys.push_back(line.line_key);
  return keys;
}

// ---------------------------------------------------------------------------
// One line, every column.

TEST(CsvImportTest, ReadsEveryColumnOfASuperstoreLine) {
  const std::string csv =
      "Row ID,Order ID,Order Date,Ship Date,Ship Mode,Customer ID,Customer Name,Segment,"
      "Country,City,State,Postal Code,Region,Product ID,Category,Sub-Category,Product Name,"
      "Sales,Quantity,Discount,Profit\r"
      "4,US-2015-108966,11-10-15,18-10-15,Standard Class,SO-20335,Sean O'Donnell,Consumer,"
      "United States,Fort Lauderdale,Florida,33311,South,FUR-TA-10000577,Furniture,Tables,"
      "Bretford CR4500 Series Slim Rectangular Table,957.5775,5,0.45,-383.031\r";
  const ImportResult result = Import(csv, Options(DateOrder::kDmy));
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->lines_read, 1);
  EXPECT_EQ(result.summary->accepted, 1);
  EXPECT_EQ(result.summary->rejected, 0);
  EXPECT_THAT(result.summary->unknown_columns, IsEmpty());
  OrderLine expected;
  expected.line_key = "4";
  expected.order_id = "US-2015-108966";
  expected.order_date = D(2015, 10, 11);
  expected.ship_date = D(2015, 10, 18);
  expected.ship_mode = "Standard Class";
  expected.customer_id = "SO-20335";
  expected.customer_name = "Sean O'Donnell";
  expected.segment = "Consumer";
  expected.country = "United States";
  expected.city = "Fort Lauderdale";
  expected.state = "Florida";
  expected.postal_code = "33311";
  expected.region = "South";
  expected.product_id = "FUR-TA-10000577";
  expected.category = "Furniture";
  expected.sub_category = "Tables";
  expected.product_name = "Bretford CR4500 Series Slim Rectangular Table";
  expected.sales = 957'577'500;
  expected.quantity = 5;
  expected.discount = 450'000;
  expected.profit = -383'031'000;
  EXPECT_THAT(result.lines, ElementsAre(expected));
}

TEST(CsvImportTest, AliasedMinimalHeader) {
  const ImportResult result =
      Import(" ORDER-ID ,date,customer_id,revenue,qty,Notes\nO1,2017-01-02,C1,12.5,3,hello\n");
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  ASSERT_EQ(result.lines.size(), 1u);
  const OrderLine& line = result.lines[0];
  EXPECT_EQ(line.order_id, "O1");
  EXPECT_EQ(line.order_date, D(2017, 1, 2));
  EXPECT_EQ(line.customer_id, "C1");
  EXPECT_EQ(line.sales, 12'500'000);
  EXPECT_EQ(line.quantity, 3);
  // Absent optional columns are empty / zero / unset.
  EXPECT_EQ(line.profit, 0);
  EXPECT_EQ(line.discount, 0);
  EXPECT_EQ(line.ship_date, std::nullopt);
  EXPECT_EQ(line.region, "");
  EXPECT_EQ(line.line_key, "O1//1");
  EXPECT_THAT(result.summary->unknown_columns, ElementsAre("Notes"));
  EXPECT_EQ(result.summary->date_order, DateOrder::kYmd);
  EXPECT_EQ(result.summary->encoding, TextEncoding::kUtf8);
}

// ---------------------------------------------------------------------------
// Each bad value alone: the file has a good line 2 and the bad line 3.

const std::string kHeader =
    "Order ID,Order Date,Customer ID,Sales,Quantity,Discount,Profit,Ship Date\n";
const std::string kGoodLine = "O1,2017-01-02,C1,10,1,0,2,2017-01-05\n";

struct RejectCase {
  std::string name;
  std::string line;  // the third line of the file
  DateOrder order;
  std::string field;   // expected column ("" = whole record)
  std::string reason;  // substring of the expected reason
  friend void PrintTo(const RejectCase& c, std::ostream* out) { *out << c.name; }
};

class RejectedValueTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RejectedValueTest, RejectsTheLineWithItsReason) {
  const RejectCase& c = GetParam();
  const std::string csv = absl::StrCat(kHeader, kGoodLine, c.line, "\n");
  const ImportResult result = Import(csv, Options(c.order));
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->lines_read, 2);
  EXPECT_EQ(result.summary->accepted, 1);
  EXPECT_EQ(result.summary->rejected, 1);
  ASSERT_EQ(result.summary->rejected_lines.size(), 1u);
  const RejectedLine& rejection = result.summary->rejected_lines[0];
  EXPECT_EQ(rejection.line_number, 3);
  EXPECT_EQ(rejection.field, c.field);
  EXPECT_THAT(rejection.reason, HasSubstr(c.reason));
  // The good line is still accepted, and nothing of the bad one leaks.
  ASSERT_EQ(result.lines.size(), 1u);
  EXPECT_EQ(result.lines[0].order_id, "O1");
}

INSTANTIATE_TEST_SUITE_P(
    Quirks, RejectedValueTest,
    ::testing::Values(RejectCase{"SalesThousandsSeparator", "O2,2017-01-02,C1,\"1,234.5\",1,0,2,",
                                 DateOrder::kAuto, "Sales", "not a plain decimal number: 1,234.5"},
                      RejectCase{"SalesCurrencySign", "O2,2017-01-02,C1,$12,1,0,2,",
                                 DateOrder::kAuto, "Sales", "not a plain decimal"},
                      RejectCase{"SalesNaN", "O2,2017-01-02,C1,NaN,1,0,2,", DateOrder::kAuto,
                                 "Sales", "not a plain decimal"},
                      RejectCase{"SalesExponent", "O2,2017-01-02,C1,1e400,1,0,2,", DateOrder::kAuto,
                                 "Sales", "not a plain decimal"},
                      RejectCase{"SalesHuge", "O2,2017-01-02,C1,99999999999999999999,1,0,2,",
                                 DateOrder::kAuto, "Sales", "out of range"},
                      RejectCase{"SalesTooPrecise", "O2,2017-01-02,C1,1.1234567,1,0,2,",
                                 DateOrder::kAuto, "Sales", "more than 6 decimal"},
                      RejectCase{"SalesEmpty", "O2,2017-01-02,C1,,1,0,2,", DateOrder::kAuto,
                                 "Sales", "Sales is required"},
                      RejectCase{"SalesBlank", "O2,2017-01-02,C1,  ,1,0,2,", DateOrder::kAuto,
                                 "Sales", "Sales is required"},
                      RejectCase{
                          "SalesLongJunk",
                          absl::StrCat("O2,2017-01-02,C1,", std::string(500, '9'), "x,1,0,2,"),
                          DateOrder::kAuto, "Sales", "...\""},
                      RejectCase{"ProfitText", "O2,2017-01-02,C1,10,1,0,abc,", DateOrder::kAuto,
                                 "Profit", "not a plain decimal"},
                      RejectCase{"DiscountAboveOne", "O2,2017-01-02,C1,10,1,1.5,2,",
                                 DateOrder::kAuto, "Discount", "not a fraction from 0 to 1"},
                      RejectCase{"DiscountNegative", "O2,2017-01-02,C1,10,1,-0.1,2,",
                                 DateOrder::kAuto, "Discount", "not a fraction from 0 to 1"},
                      RejectCase{"QuantityFraction", "O2,2017-01-02,C1,10,2.5,0,2,",
                                 DateOrder::kAuto, "Quantity", "not a whole number"},
                      RejectCase{"QuantityNegative", "O2,2017-01-02,C1,10,-1,0,2,",
                                 DateOrder::kAuto, "Quantity", "not a whole number"},
                      RejectCase{"QuantityHuge", "O2,2017-01-02,C1,10,99999999999999999999999,0,2,",
                                 DateOrder::kAuto, "Quantity", "not a whole number"},
                      RejectCase{"OrderIdEmpty", ",2017-01-02,C1,10,1,0,2,", DateOrder::kAuto,
                                 "Order ID", "Order ID is required"},
                      RejectCase{"OrderIdBlank", "  ,2017-01-02,C1,10,1,0,2,", DateOrder::kAuto,
                                 "Order ID", "Order ID is required"},
                      RejectCase{"CustomerIdEmpty", "O2,2017-01-02,,10,1,0,2,", DateOrder::kAuto,
                                 "Customer ID", "Customer ID is required"},
                      RejectCase{"OrderDateEmpty", "O2,,C1,10,1,0,2,", DateOrder::kAuto,
                                 "Order Date", "Order Date is required"},
                      RejectCase{"OrderDateText", "O2,yesterday,C1,10,1,0,2,", DateOrder::kAuto,
                                 "Order Date", "not a date: \"yesterday\""},
                      RejectCase{"OrderDateNoSuchIsoDay", "O2,2017-02-30,C1,10,1,0,2,",
                                 DateOrder::kAuto, "Order Date", "not an existing date"},
                      RejectCase{"OrderDateNoSuchDayEitherWay", "O2,31-31-17,C1,10,1,0,2,",
                                 DateOrder::kAuto, "Order Date", "day-first or month-first"},
                      RejectCase{"ShipDateText", "O2,2017-01-02,C1,10,1,0,2,soon", DateOrder::kAuto,
                                 "Ship Date", "not a date"},
                      RejectCase{"DmyImpossible", "O2,31-02-17,C1,10,1,0,2,", DateOrder::kDmy,
                                 "Order Date", "no such date day-first"},
                      RejectCase{"MdyMonth13", "O2,13-01-17,C1,10,1,0,2,", DateOrder::kMdy,
                                 "Order Date", "no such date month-first"},
                      RejectCase{"YmdGivenDayFirst", "O2,08-11-16,C1,10,1,0,2,", DateOrder::kYmd,
                                 "Order Date", "not year-first"},
                      RejectCase{"RaggedShort", "O2,2017-01-02,C1,10", DateOrder::kAuto, "",
                                 "has 4 fields but the header has 8"},
                      RejectCase{"RaggedLong", "O2,2017-01-02,C1,10,1,0,2,,extra", DateOrder::kAuto,
                                 "", "has 9 fields but the header has 8"},
                      RejectCase{"TextAfterClosingQuote", "O2,2017-01-02,\"C1\"x,10,1,0,2,",
                                 DateOrder::kAuto, "Customer ID", "text after the closing quote"}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------
// Values that are accepted, and what they become.

TEST(CsvImportTest, EmptyOptionalNumbersAreZeroAndBlanksAroundNumbersAreTrimmed) {
  const ImportResult result = Import(absl::StrCat(kHeader, "O1,2017-01-02,C1, 12.5 ,,,,\n",
                                                  "O2,2017-01-02,C1,-3,0,0.2,\t-1.25\t,\n",
                                                  "O3,2017-01-02,C1,.5,7,1,0,2017-1-3\n"));
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  ASSERT_EQ(result.summary->rejected, 0) << result.summary->rejected_lines[0].reason;
  ASSERT_EQ(result.lines.size(), 3u);
  EXPECT_EQ(result.lines[0].sales, 12'500'000);
  EXPECT_EQ(result.lines[0].quantity, 0);
  EXPECT_EQ(result.lines[0].discount, 0);
  EXPECT_EQ(result.lines[0].profit, 0);
  EXPECT_EQ(result.lines[0].ship_date, std::nullopt);
  EXPECT_EQ(result.lines[1].sales, -3'000'000);  // refunds are negative sales
  EXPECT_EQ(result.lines[1].discount, 200'000);
  EXPECT_EQ(result.lines[1].profit, -1'250'000);
  EXPECT_EQ(result.lines[2].sales, 500'000);
  EXPECT_EQ(result.lines[2].quantity, 7);
  EXPECT_EQ(result.lines[2].discount, 1'000'000);
  EXPECT_EQ(result.lines[2].ship_date, D(2017, 1, 3));
}

TEST(CsvImportTest, TwoDigitYearsMeanThisCentury) {
  const ImportResult result =
      Import(absl::StrCat(kHeader, "O1,31-12-99,C1,1,,,,01-01-00\n", "O2,5.6.2017,C1,1,,,,\n"),
             Options(DateOrder::kDmy));
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  ASSERT_EQ(result.lines.size(), 2u);
  EXPECT_EQ(result.lines[0].order_date, D(2099, 12, 31));
  EXPECT_EQ(result.lines[0].ship_date, D(2000, 1, 1));
  EXPECT_EQ(result.lines[1].order_date, D(2017, 6, 5));
}

TEST(CsvImportTest, ExplicitOrderNeverSwapsDayAndMonth) {
  const std::string csv = absl::StrCat(kHeader, "O1,08-11-16,C1,1,,,,\n", "O2,30-11-16,C1,1,,,,\n");
  const ImportResult dmy = Import(csv, Options(DateOrder::kDmy));
  ASSERT_TRUE(dmy.summary.ok());
  EXPECT_EQ(dmy.summary->date_order, DateOrder::kDmy);
  ASSERT_EQ(dmy.lines.size(), 2u);
  EXPECT_EQ(dmy.lines[0].order_date, D(2016, 11, 8));
  EXPECT_EQ(dmy.lines[1].order_date, D(2016, 11, 30));

  const ImportResult mdy = Import(csv, Options(DateOrder::kMdy));
  ASSERT_TRUE(mdy.summary.ok());
  EXPECT_EQ(mdy.summary->date_order, DateOrder::kMdy);
  EXPECT_EQ(mdy.summary->rejected, 1);
  ASSERT_EQ(mdy.lines.size(), 1u);
  EXPECT_EQ(mdy.lines[0].order_date, D(2016, 8, 11));
}

// ---------------------------------------------------------------------------
// Date order detection over the whole file.

TEST(CsvImportTest, AutoDetectsDayFirstFromAnyLineAndAppliesItToAll) {
  // The deciding date is the ship date of the last line: every earlier
  // line was ambiguous, and must still be read day-first.
  const ImportResult result =
      Import(absl::StrCat(kHeader, "O1,08-11-16,C1,1,,,,09-11-16\n",
                          "O2,01-02-17,C1,1,,,,2017-03-04\n", "O3,02-03-17,C1,1,,,,25-03-17\n"));
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->date_order, DateOrder::kDmy);
  ASSERT_EQ(result.lines.size(), 3u);
  EXPECT_EQ(result.lines[0].order_date, D(2016, 11, 8));
  EXPECT_EQ(result.lines[0].ship_date, D(2016, 11, 9));
  EXPECT_EQ(result.lines[1].order_date, D(2017, 2, 1));
  EXPECT_EQ(result.lines[1].ship_date, D(2017, 3, 4));
  EXPECT_EQ(result.lines[2].ship_date, D(2017, 3, 25));
}

TEST(CsvImportTest, AutoDetectsMonthFirst) {
  const ImportResult result =
      Import(absl::StrCat(kHeader, "O1,08/11/2016,C1,1,,,,\n", "O2,12/30/2016,C1,1,,,,\n"));
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->date_order, DateOrder::kMdy);
  ASSERT_EQ(result.lines.size(), 2u);
  EXPECT_EQ(result.lines[0].order_date, D(2016, 8, 11));
  EXPECT_EQ(result.lines[1].order_date, D(2016, 12, 30));
}

TEST(CsvImportTest, AutoRefusesWhenEveryDateIsAmbiguous) {
  const std::string csv =
      absl::StrCat(kHeader, "O1,08-11-16,C1,1,,,,09-11-16\n", "O2,01-02-17,C1,1,,,,\n");
  const ImportResult result = Import(csv);
  EXPECT_TRUE(result.feed_status.ok());
  EXPECT_EQ(result.summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.summary.status().message(), HasSubstr("date order"));
  EXPECT_THAT(result.summary.status().message(), HasSubstr("DMY"));
  EXPECT_THAT(result.lines, IsEmpty());
  // Naming the order resolves it.
  EXPECT_TRUE(Import(csv, Options(DateOrder::kDmy)).summary.ok());
}

TEST(CsvImportTest, AutoRefusesContradictoryDates) {
  const ImportResult result =
      Import(absl::StrCat(kHeader, "O1,30-11-16,C1,1,,,,\n", "O2,11-30-16,C1,1,,,,\n"));
  EXPECT_EQ(result.summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.summary.status().message(), HasSubstr("inconsistent"));
}

// ---------------------------------------------------------------------------
// Encodings.

TEST(CsvImportTest, Utf8WithAndWithoutBom) {
  const std::string body =
      "Order ID,Order Date,Customer ID,Customer Name,Sales\n"
      "O1,2017-01-02,C1,Zo\xC3\xAB \xE2\x82\xAC,1\n";
  for (const std::string& csv : {body, absl::StrCat(kBom, body)}) {
    const ImportResult result = Import(csv);
    ASSERT_TRUE(result.summary.ok()) << result.summary.status();
    EXPECT_EQ(result.summary->encoding, TextEncoding::kUtf8);
    ASSERT_EQ(result.lines.size(), 1u);
    EXPECT_EQ(result.lines[0].customer_name, "Zo\xC3\xAB \xE2\x82\xAC");
    EXPECT_THAT(result.summary->unknown_columns, IsEmpty());
  }
}

TEST(CsvImportTest, Latin1IsDetectedAndConverted) {
  const ImportResult result = Import(
      "Order ID,Order Date,Customer ID,Customer Name,Sales,Remarque \xE9t\xE9\n"
      "O1,2017-01-02,C1,Jos\xE9\xA0L.,1,\n");
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->encoding, TextEncoding::kLatin1);
  ASSERT_EQ(result.lines.size(), 1u);
  EXPECT_EQ(result.lines[0].customer_name, "Jos\xC3\xA9\xC2\xA0L.");
  EXPECT_THAT(result.summary->unknown_columns, ElementsAre("Remarque \xC3\xA9t\xC3\xA9"));
}

TEST(CsvImportTest, LateLatin1ByteReinterpretsLinesAlreadySpooled) {
  // Line 2 is valid UTF-8 on its own ("é" as C3 A9) but line 3 proves the
  // file is Latin-1, so line 2 is the two characters Ã and ©.
  const ImportResult result = Import(
      "Order ID,Order Date,Customer ID,Customer Name,Sales\n"
      "O1,2017-01-02,C1,\xC3\xA9,1\n"
      "O2,2017-01-02,C2,\xE9,x\n");
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->encoding, TextEncoding::kLatin1);
  ASSERT_EQ(result.lines.size(), 1u);
  EXPECT_EQ(result.lines[0].customer_name, "\xC3\x83\xC2\xA9");
  ASSERT_EQ(result.summary->rejected_lines.size(), 1u);
  EXPECT_EQ(result.summary->rejected_lines[0].field, "Sales");
}

TEST(CsvImportTest, RejectionReasonsAreUtf8EvenForLatin1Files) {
  const ImportResult latin = Import(
      "Order ID,Order Date,Customer ID,Sales\n"
      "O1,2017-01-02,C1,12\xA0\xE9\n");
  ASSERT_TRUE(latin.summary.ok()) << latin.summary.status();
  ASSERT_EQ(latin.summary->rejected_lines.size(), 1u);
  EXPECT_EQ(FindInvalidUtf8(latin.summary->rejected_lines[0].reason), std::nullopt);
  EXPECT_THAT(latin.summary->rejected_lines[0].reason, HasSubstr("12\xC2\xA0\xC3\xA9"));
}

TEST(CsvImportTest, InvalidUtf8IsFatalInUtf8Mode) {
  const std::string csv =
      "Order ID,Order Date,Customer ID,Customer Name,Sales\n"
      "O1,2017-01-02,C1,ok,1\n"
      "O2,2017-01-02,C1,Jos\xE9,1\n";
  const ImportResult result = Import(csv, Options(DateOrder::kAuto, TextEncoding::kUtf8));
  EXPECT_EQ(result.summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.summary.status().message(), HasSubstr("line 3"));
  EXPECT_THAT(result.summary.status().message(), HasSubstr("Customer Name"));
  EXPECT_THAT(result.summary.status().message(), HasSubstr("invalid UTF-8 (byte 0xE9)"));
  EXPECT_FALSE(result.feed_status.ok()) << "reported by Feed, before Finish";
  // The same bytes are fine once the encoding is named.
  const ImportResult latin = Import(csv, Options(DateOrder::kAuto, TextEncoding::kLatin1));
  ASSERT_TRUE(latin.summary.ok());
  EXPECT_EQ(latin.summary->encoding, TextEncoding::kLatin1);
}

TEST(CsvImportTest, InvalidUtf8InAnExtraFieldOfARaggedRowIsNamedByPosition) {
  const ImportResult result =
      Import("Order ID,Order Date,Customer ID,Sales\nO1,2017-01-02,C1,1,x,\xE9\n",
             Options(DateOrder::kAuto, TextEncoding::kUtf8));
  EXPECT_EQ(result.summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.summary.status().message(), HasSubstr("line 2, field 6: invalid UTF-8"));
}

TEST(CsvImportTest, ByteOrderMarkThenInvalidUtf8IsFatal) {
  const ImportResult result = Import(absl::StrCat(
      kBom, "Order ID,Order Date,Customer ID,Sales,Name\nO1,2017-01-02,C1,1,Jos\xE9\n"));
  EXPECT_EQ(result.summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.summary.status().message(), HasSubstr("byte-order mark"));
}

TEST(CsvImportTest, C1BytesWithCrLfMeanWindows1252) {
  // 0x93/0x94 are curly quotes and 0x80 the euro sign in Windows-1252; in
  // Latin-1 they would be invisible control characters.
  const ImportResult result = Import(
      "Order ID,Order Date,Customer ID,Customer Name,Product Name,Sales\r\n"
      "O1,2017-01-02,C1,Jos\xE9,\x93"
      "Deluxe\x94 pen \x80 5,1\r\n"
      "O2,2017-01-02,C2,\x8Aime,x,1\r\n");
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->encoding, TextEncoding::kWindows1252);
  ASSERT_EQ(result.lines.size(), 2u);
  EXPECT_EQ(result.lines[0].customer_name, "Jos\xC3\xA9");
  EXPECT_EQ(result.lines[0].product_name,
            "\xE2\x80\x9C"
            "Deluxe\xE2\x80\x9D pen \xE2\x82\xAC 5");
  EXPECT_EQ(result.lines[1].customer_name, "\xC5\xA0ime");  // Šime
}

TEST(CsvImportTest, C1BytesWithBareCrMeanMacRoman) {
  // The Superstore export's bytes: 0xCA no-break space, 0x8E é, 0x9A ö,
  // 0xD2/0xD3 curly quotes; lines end with a bare CR, the last with CRLF.
  const ImportResult result = Import(
      "Order ID,Order Date,Customer ID,Customer Name,Product Name,Sales\r"
      "O1,2017-01-02,C1,Ren\x8E,Conference\xCAphone,1\r"
      "O2,2017-01-02,C2,J\x9Arg,\xD2"
      "Deluxe\xD3,1\r\n");
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->encoding, TextEncoding::kMacRoman);
  ASSERT_EQ(result.lines.size(), 2u);
  EXPECT_EQ(result.lines[0].customer_name, "Ren\xC3\xA9");
  EXPECT_EQ(result.lines[0].product_name, "Conference\xC2\xA0phone");
  EXPECT_EQ(result.lines[1].customer_name, "J\xC3\xB6rg");
  EXPECT_EQ(result.lines[1].product_name,
            "\xE2\x80\x9C"
            "Deluxe\xE2\x80\x9D");
}

TEST(CsvImportTest, WithoutC1BytesBareCrStaysLatin1) {
  const ImportResult result = Import(
      "Order ID,Order Date,Customer ID,Customer Name,Sales\r"
      "O1,2017-01-02,C1,Jos\xE9\xA0L.,1\r");
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->encoding, TextEncoding::kLatin1);
  ASSERT_EQ(result.lines.size(), 1u);
  EXPECT_EQ(result.lines[0].customer_name, "Jos\xC3\xA9\xC2\xA0L.");
}

TEST(CsvImportTest, SingleByteDecisionCoversEveryLineAndTheReply) {
  // Line 2 is valid UTF-8 on its own ("É" as C3 89); line 3 proves the file
  // is not UTF-8. 0x89 is in 0x80-0x9F and the line ends are LF, so the whole
  // file is Windows-1252: line 2, spooled before anything was known, is the
  // two characters Ã and ‰, and the rejection on line 4 and the unknown
  // column are read the same way.
  const ImportResult result = Import(
      "Order ID,Order Date,Customer ID,Customer Name,Sales,Remarque \x93x\x94\n"
      "O1,2017-01-02,C1,\xC3\x89,1,\n"
      "O2,2017-01-02,C2,\xE9,1,\n"
      "O3,2017-01-02,C3,z,\x80 5,\n");
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->encoding, TextEncoding::kWindows1252);
  ASSERT_EQ(result.lines.size(), 2u);
  EXPECT_EQ(result.lines[0].customer_name, "\xC3\x83\xE2\x80\xB0");
  EXPECT_EQ(result.lines[1].customer_name, "\xC3\xA9");
  EXPECT_THAT(result.summary->unknown_columns, ElementsAre("Remarque \xE2\x80\x9Cx\xE2\x80\x9D"));
  ASSERT_EQ(result.summary->rejected_lines.size(), 1u);
  EXPECT_THAT(result.summary->rejected_lines[0].reason, HasSubstr("\xE2\x82\xAC 5"));
  EXPECT_EQ(FindInvalidUtf8(result.summary->rejected_lines[0].reason), std::nullopt);

  // The same bytes with bare CRs: Mac Roman, for every line again.
  std::string cr =
      "Order ID,Order Date,Customer ID,Customer Name,Sales\n"
      "O1,2017-01-02,C1,\xC3\x89,1\n"
      "O2,2017-01-02,C2,\xE9,1\n";
  std::replace(cr.begin(), cr.end(), '\n', '\r');
  const ImportResult mac = Import(cr);
  ASSERT_TRUE(mac.summary.ok()) << mac.summary.status();
  EXPECT_EQ(mac.summary->encoding, TextEncoding::kMacRoman);
  ASSERT_EQ(mac.lines.size(), 2u);
  EXPECT_EQ(mac.lines[0].customer_name, "\xE2\x88\x9A\xC3\xA2");  // √â
  EXPECT_EQ(mac.lines[1].customer_name, "\xC3\x88");              // È
}

TEST(CsvImportTest, ExplicitSingleByteEncodingsAreNeverSecondGuessed) {
  // Valid UTF-8, LF line ends, no C1 byte: still read as asked.
  const std::string csv =
      "Order ID,Order Date,Customer ID,Customer Name,Sales\n"
      "O1,2017-01-02,C1,\xC3\xA9\x81,1\n";
  const ImportResult w = Import(csv, Options(DateOrder::kAuto, TextEncoding::kWindows1252));
  ASSERT_TRUE(w.summary.ok()) << w.summary.status();
  EXPECT_EQ(w.summary->encoding, TextEncoding::kWindows1252);
  ASSERT_EQ(w.lines.size(), 1u);
  // Ã, ©, and unassigned 0x81 as U+0081.
  EXPECT_EQ(w.lines[0].customer_name, "\xC3\x83\xC2\xA9\xC2\x81");
  const ImportResult m = Import(csv, Options(DateOrder::kAuto, TextEncoding::kMacRoman));
  ASSERT_TRUE(m.summary.ok()) << m.summary.status();
  EXPECT_EQ(m.summary->encoding, TextEncoding::kMacRoman);
  ASSERT_EQ(m.lines.size(), 1u);
  // √, ©, and 0x81 as Å.
  EXPECT_EQ(m.lines[0].customer_name, "\xE2\x88\x9A\xC2\xA9\xC3\x85");
}

TEST(CsvImportTest, ExplicitLatin1ReadsUtf8BytesAsLatin1) {
  // Documented behaviour: the caller's choice wins, even when it is wrong.
  const ImportResult result =
      Import(absl::StrCat(kBom,
                          "Order ID,Order Date,Customer ID,Customer Name,Sales\n"
                          "O1,2017-01-02,C1,Zo\xC3\xAB,1\n"),
             Options(DateOrder::kAuto, TextEncoding::kLatin1));
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  ASSERT_EQ(result.lines.size(), 1u);
  EXPECT_EQ(result.lines[0].customer_name, "Zo\xC3\x83\xC2\xAB");
}

// ---------------------------------------------------------------------------
// Line keys.

TEST(CsvImportTest, RowIdIsTheKeyWhenPresent) {
  const ImportResult result = Import(
      "Row ID,Order ID,Order Date,Customer ID,Product ID,Sales\n"
      "17,O1,2017-01-02,C1,P1,1\n"
      ",O1,2017-01-02,C1,P1,1\n"
      "x-9,O1,2017-01-02,C1,P1,1\n");
  ASSERT_TRUE(result.summary.ok());
  EXPECT_THAT(Keys(result.lines), ElementsAre("17", "O1/P1/1", "x-9"));
}

TEST(CsvImportTest, DefaultKeysCountOccurrencesOfOrderAndProduct) {
  const ImportResult result = Import(
      "Order ID,Order Date,Customer ID,Product ID,Sales\n"
      "O1,2017-01-02,C1,P1,1\n"
      "O1,2017-01-02,C1,P2,1\n"
      "O1,2017-01-02,C1,P1,1\n"
      "O2,2017-01-02,C1,P1,1\n");
  ASSERT_TRUE(result.summary.ok());
  EXPECT_THAT(Keys(result.lines), ElementsAre("O1/P1/1", "O1/P2/1", "O1/P1/2", "O2/P1/1"));
  // Reading again starts the count again: the same keys.
  CsvImport import({});
  ASSERT_TRUE(import
                  .Feed("Order ID,Order Date,Customer ID,Product ID,Sales\n"
                        "O1,2017-01-02,C1,P1,1\nO1,2017-01-02,C1,P1,1\n")
                  .ok());
  ASSERT_TRUE(import.Finish().ok());
  EXPECT_THAT(Keys(Collect(*import.AcceptedLines())), ElementsAre("O1/P1/1", "O1/P1/2"));
  EXPECT_THAT(Keys(Collect(*import.AcceptedLines())), ElementsAre("O1/P1/1", "O1/P1/2"));
}

TEST(CsvImportTest, RepeatedRowIdRejectsTheLaterLine) {
  const ImportResult result = Import(
      "Row ID,Order ID,Order Date,Customer ID,Sales\n"
      "1,O1,2017-01-02,C1,1\n"
      "2,O2,2017-01-02,C1,2\n"
      "1,O3,2017-01-02,C1,3\n");
  ASSERT_TRUE(result.summary.ok());
  EXPECT_EQ(result.summary->rejected, 1);
  ASSERT_EQ(result.summary->rejected_lines.size(), 1u);
  EXPECT_EQ(result.summary->rejected_lines[0].line_number, 4);
  EXPECT_EQ(result.summary->rejected_lines[0].field, "Row ID");
  EXPECT_THAT(result.summary->rejected_lines[0].reason, HasSubstr("first on line 2"));
  ASSERT_EQ(result.lines.size(), 2u);
  EXPECT_EQ(result.lines[0].order_id, "O1");
}

// Repeats are found at Finish; their rejections still come in file order
// among the others, and a streamed import counts them too.
TEST(CsvImportTest, RepeatedRowIdsFoundAtTheEndTakeTheirPlaceInFileOrder) {
  const std::string csv =
      "Row ID,Order ID,Order Date,Customer ID,Sales\n"
      "1,O1,2017-01-02,C1,1\n"
      "1,O2,2017-01-02,C1,2\n"   // line 3: repeat
      "2,O3,2017-02-30,C1,3\n"   // line 4: no such day
      "2,O4,2017-01-02,C1,4\n"   // line 5: first "2" (line 4 was rejected)
      "1,O5,2017-01-02,C1,5\n"   // line 6: repeat
      "3,O6,2017-01-02,C1,x\n";  // line 7: bad sales
  const CsvImportOptions options = Options(DateOrder::kYmd, TextEncoding::kUtf8);
  const ImportResult spooled = Import(csv, options);
  ASSERT_TRUE(spooled.summary.ok()) << spooled.summary.status();
  EXPECT_EQ(spooled.summary->accepted, 2);
  EXPECT_EQ(spooled.summary->rejected, 4);
  std::vector<std::int64_t> lines;
  for (const RejectedLine& rejected : spooled.summary->rejected_lines) {
    lines.push_back(rejected.line_number);
  }
  EXPECT_THAT(lines, ElementsAre(3, 4, 6, 7));
  EXPECT_THAT(spooled.summary->rejected_lines[2].reason, HasSubstr("first on line 2"));
  ASSERT_EQ(spooled.lines.size(), 2u);
  EXPECT_EQ(spooled.lines[0].order_id, "O1");
  EXPECT_EQ(spooled.lines[1].order_id, "O4");

  // Streamed, the repeats were handed out before Finish found them: the
  // summary rejects them all the same (the caller then commits nothing).
  const ImportResult streamed = ImportStreamed(csv, options, 16);
  ASSERT_TRUE(streamed.summary.ok());
  EXPECT_EQ(streamed.summary->rejected, 4);
  EXPECT_EQ(streamed.summary->rejected_lines, spooled.summary->rejected_lines);
}

// ---------------------------------------------------------------------------
// Counting and reporting.

TEST(CsvImportTest, LineNumbersArePhysicalLinesWhereTheRecordStarts) {
  const ImportResult result = Import(
      "Order ID,Order Date,Customer ID,Customer Name,Sales\r\n"
      "O1,2017-01-02,C1,\"two\r\nlines\",1\r\n"
      "\r\n"
      "O2,2017-01-02,C1,\"three\nmore\nlines\",bad\r\n"
      "O3,2017-01-02,C1,x,bad\r\n");
  ASSERT_TRUE(result.summary.ok());
  EXPECT_EQ(result.summary->lines_read, 3);
  ASSERT_EQ(result.summary->rejected_lines.size(), 2u);
  EXPECT_EQ(result.summary->rejected_lines[0].line_number, 5);
  EXPECT_EQ(result.summary->rejected_lines[1].line_number, 8);
  ASSERT_EQ(result.lines.size(), 1u);
  EXPECT_EQ(result.lines[0].customer_name, "two\r\nlines");
}

TEST(CsvImportTest, BlankAndAllEmptyRecordsAreSkippedAnywhere) {
  const ImportResult result = Import(absl::StrCat("\n", kHeader, "\n", kGoodLine, ",,,,,,,\n",
                                                  ",,\n", "\n\r\n", kGoodLine, "\n\n\r\n"));
  ASSERT_TRUE(result.summary.ok()) << result.summary.status();
  EXPECT_EQ(result.summary->lines_read, 2);
  EXPECT_EQ(result.summary->accepted, 2);
  EXPECT_EQ(result.summary->rejected, 0);
}

TEST(CsvImportTest, ReportsTheFirstRejectionsButCountsAll) {
  std::string csv(kHeader);
  for (int i = 0; i < 150; ++i) absl::StrAppend(&csv, "O", i, ",2017-01-02,C1,bad,,,,\n");
  absl::StrAppend(&csv, kGoodLine);
  const ImportResult result = Import(csv);
  ASSERT_TRUE(result.summary.ok());
  EXPECT_EQ(result.summary->lines_read, 151);
  EXPECT_EQ(result.summary->rejected, 150);
  EXPECT_EQ(result.summary->accepted, 1);
  ASSERT_EQ(result.summary->rejected_lines.size(), kMaxReportedRejections);
  for (std::size_t i = 0; i < kMaxReportedRejections; ++i) {
    EXPECT_EQ(result.summary->rejected_lines[i].line_number, static_cast<std::int64_t>(i) + 2);
  }
}

TEST(CsvImportTest, SkipInvalidDoesNotChangeTheCounts) {
  const std::string csv = absl::StrCat(kHeader, kGoodLine, "O2,2017-01-02,C1,bad,,,,\n");
  CsvImportOptions skip;
  skip.skip_invalid = true;
  const ImportResult strict = Import(csv);
  const ImportResult lenient = Import(csv, skip);
  ASSERT_TRUE(strict.summary.ok() && lenient.summary.ok());
  EXPECT_EQ(strict.summary->accepted, 1);
  EXPECT_EQ(strict.summary->rejected, 1);
  EXPECT_EQ(lenient.summary->accepted, 1);
  EXPECT_EQ(lenient.summary->rejected, 1);
  EXPECT_EQ(strict.lines, lenient.lines);
}

// ---------------------------------------------------------------------------
// Bad files: one clear error each.

TEST(CsvImportTest, MissingRequiredColumnsFailBeforeAnyLine) {
  CsvImport import({});
  const absl::Status status = import.Feed("Row ID,Order ID,Customer,Profit\n1,O1,C1,2\n");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("Order Date, Customer ID, Sales"));
  EXPECT_EQ(import.Finish().status(), status);
  OrderLine line;
  EXPECT_FALSE(import.AcceptedLines()->Next(line));
}

TEST(CsvImportTest, HeaderWithoutLineBreakIsCheckedAtFinish) {
  EXPECT_THAT(Import("Order ID,Sales").summary.status().message(),
              HasSubstr("Order Date, Customer ID"));
  const ImportResult empty = Import("Order ID,Order Date,Customer ID,Sales");
  ASSERT_TRUE(empty.summary.ok());
  EXPECT_EQ(empty.summary->lines_read, 0);
}

TEST(CsvImportTest, EmptyFileIsAnError) {
  for (const std::string& csv :
       {std::string(), std::string(kBom), std::string("\r\n\n\r"), std::string("\xEF\xBB")}) {
    const ImportResult result = Import(csv);
    EXPECT_EQ(result.summary.status().code(), absl::StatusCode::kInvalidArgument);
    if (csv != "\xEF\xBB") {
      EXPECT_THAT(result.summary.status().message(), HasSubstr("empty file"));
    }
  }
}

TEST(CsvImportTest, UnterminatedQuoteAtEndOfFileIsAnError) {
  const ImportResult result =
      Import(absl::StrCat(kHeader, kGoodLine, "O2,2017-01-02,C1,\"1,,,,\n", kGoodLine));
  EXPECT_EQ(result.summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.summary.status().message(), HasSubstr("line 3"));
  EXPECT_THAT(result.summary.status().message(), HasSubstr("never closed"));
  EXPECT_THAT(result.lines, IsEmpty());
}

// A 10 MB field fails once it passes 1 MiB, long before the rest is fed.
TEST(CsvImportTest, HugeFieldFailsEarlyWithAClearError) {
  for (const bool quoted : {false, true}) {
    CsvImport import({});
    ASSERT_TRUE(import.Feed(absl::StrCat(kHeader, "O1,2017-01-02,C1,", quoted ? "\"" : "")).ok());
    const std::string piece(64 * 1024, 'x');
    absl::Status status;
    std::size_t fed = 0;
    while (status.ok() && fed < 10 * 1000 * 1000) {
      status = import.Feed(piece);
      fed += piece.size();
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("longer than 1048576 bytes"));
    EXPECT_THAT(status.message(), HasSubstr("line 2"));
    EXPECT_LE(fed, (std::size_t{1} << 20) + piece.size());
    if (quoted) {
      EXPECT_THAT(status.message(), HasSubstr("may never be closed"));
    }
    EXPECT_EQ(import.Finish().status(), status);
  }
}

TEST(CsvImportTest, TooManyFieldsIsAnError) {
  std::string header(kHeader.substr(0, kHeader.size() - 1));
  for (int i = 0; i < 2000; ++i) absl::StrAppend(&header, ",extra", i);
  const ImportResult result = Import(absl::StrCat(header, "\n"));
  EXPECT_EQ(result.summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.summary.status().message(), HasSubstr("more than 1024 fields"));
}

TEST(CsvImportTest, LifecycleMisuse) {
  CsvImport import({});
  OrderLine line;
  EXPECT_FALSE(import.AcceptedLines()->Next(line)) << "empty before Finish";
  ASSERT_TRUE(import.Feed(absl::StrCat(kHeader, kGoodLine)).ok());
  absl::StatusOr<CsvImportSummary> first = import.Finish();
  ASSERT_TRUE(first.ok());
  absl::StatusOr<CsvImportSummary> second = import.Finish();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->accepted, first->accepted);
  EXPECT_EQ(import.Feed(kGoodLine).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(CsvImportTest, AcceptedLinesOutliveTheImport) {
  std::unique_ptr<LineSource> source;
  {
    CsvImport import({});
    ASSERT_TRUE(import.Feed(absl::StrCat(kHeader, kGoodLine, kGoodLine)).ok());
    ASSERT_TRUE(import.Finish().ok());
    source = import.AcceptedLines();
  }
  EXPECT_EQ(Collect(*source).size(), 2u);
}

TEST(CsvImportTest, StreamsOnlyWhenEncodingAndDateOrderAreGiven) {
  const auto streams = [](DateOrder order, TextEncoding encoding) {
    CsvImportOptions options = Options(order, encoding);
    options.stream_lines = true;
    return CsvImport(options).streaming();
  };
  EXPECT_TRUE(streams(DateOrder::kYmd, TextEncoding::kUtf8));
  EXPECT_TRUE(streams(DateOrder::kDmy, TextEncoding::kLatin1));
  EXPECT_FALSE(streams(DateOrder::kAuto, TextEncoding::kUtf8));
  EXPECT_FALSE(streams(DateOrder::kYmd, TextEncoding::kAuto));
  {
    CsvImportOptions skipping = Options(DateOrder::kYmd, TextEncoding::kUtf8);
    skipping.stream_lines = true;
    skipping.skip_invalid = true;  // a late rejection could not be left out
    EXPECT_FALSE(CsvImport(skipping).streaming());
  }
  EXPECT_FALSE(CsvImport(Options(DateOrder::kYmd, TextEncoding::kUtf8)).streaming());
}

void ExpectSame(const ImportResult& actual, const ImportResult& expected, const std::string& how);

// Thousands of lines, with and without Row IDs: full batches as they are
// read, the same lines and keys as the spooled import's.
TEST(CsvImportTest, StreamedLinesAreTheSpooledLines) {
  for (const bool row_ids : {true, false}) {
    std::string csv = absl::StrCat(row_ids ? "Row ID," : "",
                                   "Order ID,Order Date,Customer ID,Product ID,Sales,Profit\n");
    for (int i = 0; i < 5000; ++i) {
      absl::StrAppend(&csv, row_ids ? absl::StrCat("r", i, ",") : "", "O", i / 3, ",2017-01-02,C",
                      i % 97, ",P", i % 2, ",", i, ".25,-", i % 5, "\n");
    }
    absl::StrAppend(&csv, row_ids ? "x," : "", "O1,2017-02-30,C1,P1,1,1\n");  // rejected
    const CsvImportOptions options = Options(DateOrder::kYmd, TextEncoding::kUtf8);
    const ImportResult spooled = ImportInPieces(csv, options, 4096);
    ASSERT_TRUE(spooled.summary.ok()) << spooled.summary.status();
    EXPECT_EQ(spooled.summary->accepted, 5000);
    EXPECT_EQ(spooled.summary->rejected, 1);
    ExpectSame(ImportStreamed(csv, options, 4096), spooled, "streamed");
  }
}

// The descriptor of the (nameless) spool file created in `dir`, found through
// /proc: the link of an O_TMPFILE or unlinked file still names its directory.
std::optional<int> SpoolFdIn(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const std::filesystem::path target = std::filesystem::read_symlink(entry.path(), error);
    if (!error && target.string().starts_with(dir + "/")) {
      return std::stoi(entry.path().filename().string());
    }
  }
  return std::nullopt;
}

TEST(CsvImportTest, ADamagedSpoolFailsTheSourceAndTheStoreWritesNothing) {
  // Normalised ("/tmp//x" -> "/tmp/x"), as /proc shows the spool's path.
  std::string dir = (std::filesystem::path(::testing::TempDir()) / "damaged-spool-XXXXXX")
                        .lexically_normal()
                        .string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const char* old_tmpdir = std::getenv("TMPDIR");
  const std::optional<std::string> saved =
      old_tmpdir != nullptr ? std::optional<std::string>(old_tmpdir) : std::nullopt;
  ::setenv("TMPDIR", dir.c_str(), 1);
  CsvImport import({});
  std::string csv = "Order ID,Order Date,Customer ID,Product ID,Sales\n";
  for (int i = 0; i < 200; ++i) absl::StrAppend(&csv, "O", i, ",2017-01-02,C1,P1,1\n");
  ASSERT_TRUE(import.Feed(csv).ok());
  ASSERT_TRUE(import.Finish().ok());
  if (saved) {
    ::setenv("TMPDIR", saved->c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }

  // The disk "loses" the second half of the spool.
  const std::optional<int> fd = SpoolFdIn(dir);
  ASSERT_TRUE(fd.has_value()) << "no spool file open in " << dir;
  struct stat info {};
  ASSERT_EQ(::fstat(*fd, &info), 0);
  ASSERT_EQ(::ftruncate(*fd, info.st_size / 2), 0);

  std::unique_ptr<LineSource> source = import.AcceptedLines();
  OrderLine line;
  int served = 0;
  while (source->Next(line)) ++served;
  EXPECT_GT(served, 0);
  EXPECT_LT(served, 200);
  EXPECT_EQ(source->status().code(), absl::StatusCode::kDataLoss) << source->status();

  absl::StatusOr<std::unique_ptr<OrderStore>> store = OrderStore::Open(":memory:");
  ASSERT_TRUE(store.ok()) << store.status();
  const absl::StatusOr<WriteResult> classified = (*store)->Classify(*import.AcceptedLines());
  EXPECT_EQ(classified.status().code(), absl::StatusCode::kDataLoss);
  const absl::StatusOr<WriteResult> written = (*store)->Upsert(*import.AcceptedLines());
  EXPECT_EQ(written.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(*(*store)->CountLines(), 0);
  std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------
// Every quirk in one small file, cut everywhere.

struct TrickyCase {
  std::string name;
  std::string csv;
  TextEncoding encoding;  // expected detection
  friend void PrintTo(const TrickyCase& c, std::ostream* out) { *out << c.name; }
};

class TrickyFileTest : public ::testing::TestWithParam<TrickyCase> {};

void ExpectSame(const ImportResult& actual, const ImportResult& expected, const std::string& how) {
  ASSERT_EQ(actual.summary.status(), expected.summary.status()) << how;
  if (!expected.summary.ok()) return;
  EXPECT_EQ(actual.summary->lines_read, expected.summary->lines_read) << how;
  EXPECT_EQ(actual.summary->accepted, expected.summary->accepted) << how;
  EXPECT_EQ(actual.summary->rejected, expected.summary->rejected) << how;
  EXPECT_EQ(actual.summary->rejected_lines, expected.summary->rejected_lines) << how;
  EXPECT_EQ(actual.summary->unknown_columns, expected.summary->unknown_columns) << how;
  EXPECT_EQ(actual.summary->encoding, expected.summary->encoding) << how;
  EXPECT_EQ(actual.summary->date_order, expected.summary->date_order) << how;
  EXPECT_EQ(actual.lines, expected.lines) << how;
}

TEST_P(TrickyFileTest, SameResultWhereverTheInputIsCut) {
  const TrickyCase& c = GetParam();
  const ImportResult whole = Import(c.csv);
  ASSERT_TRUE(whole.summary.ok()) << whole.summary.status();

  // Hand-computed expectations for the whole file.
  const CsvImportSummary& summary = *whole.summary;
  EXPECT_EQ(summary.encoding, c.encoding);
  EXPECT_EQ(summary.date_order, DateOrder::kDmy);
  EXPECT_EQ(summary.lines_read, 3);
  EXPECT_EQ(summary.accepted, 2);
  EXPECT_EQ(summary.rejected, 1);
  ASSERT_EQ(summary.rejected_lines.size(), 1u);
  EXPECT_EQ(summary.rejected_lines[0].line_number, 5);
  EXPECT_EQ(summary.rejected_lines[0].field, "Sales");
  EXPECT_THAT(summary.unknown_columns, ElementsAre("Notes \xC3\xA9t\xC3\xA9"));
  ASSERT_EQ(whole.lines.size(), 2u);
  EXPECT_EQ(whole.lines[0].line_key, "1");
  EXPECT_EQ(whole.lines[0].order_date, D(2016, 11, 8));
  EXPECT_EQ(whole.lines[0].customer_name, "Gute, Claire");
  EXPECT_EQ(whole.lines[0].product_name, "Message Book, 4\" X 5\"");
  EXPECT_EQ(whole.lines[0].sales, 261'960'000);
  EXPECT_EQ(whole.lines[0].profit, 41'913'600);
  EXPECT_EQ(whole.lines[1].line_key, "2");
  EXPECT_EQ(whole.lines[1].order_date, D(2016, 11, 30));
  EXPECT_EQ(whole.lines[1].customer_name, "Zo\xC3\xAB");
  EXPECT_EQ(whole.lines[1].profit, -1'500'000);
  EXPECT_THAT(whole.lines[1].product_name, ::testing::StartsWith("line one"));
  EXPECT_THAT(whole.lines[1].product_name, ::testing::EndsWith("line two \xC3\xA9t\xC3\xA9"));

  for (std::size_t cut = 0; cut <= c.csv.size(); ++cut) {
    ExpectSame(ImportWithCuts(c.csv, {}, {cut}), whole, absl::StrCat("cut at ", cut));
  }
  ExpectSame(ImportInPieces(c.csv, {}, 1), whole, "one byte at a time");
  ExpectSame(ImportInPieces(c.csv, {}, 7), whole, "seven bytes at a time");

  // Told the encoding and date order, the import streams its lines: the
  // same lines, wherever the input is cut.
  const CsvImportOptions told = Options(summary.date_order, summary.encoding);
  for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, c.csv.size()}) {
    ExpectSame(ImportStreamed(c.csv, told, piece), whole, absl::StrCat("streamed by ", piece));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Variants, TrickyFileTest,
    ::testing::Values(
        TrickyCase{"Utf8BomCrLf",
                   "\xEF\xBB\xBFRow ID,Order ID,Order Date,Customer ID,Customer Name,"
                   "Product Name,Sales,Profit,Notes \xC3\xA9t\xC3\xA9\r\n"
                   "1,CA-1,08-11-16,C-1,\"Gute, Claire\",\"Message Book, 4\"\" X 5\"\"\","
                   "261.96,41.9136,x\r\n"
                   "2,CA-1,30-11-16,C-2,Zo\xC3\xAB,\"line one\r\nline two \xC3\xA9t\xC3\xA9\","
                   "10,-1.5,\r\n"
                   "3,CA-2,01-02-17,C-3,Jos\xC3\xA9,\xE2\x82\xAC pen,\"1,234.5\",0,\r\n"
                   "\r\n\r\n",
                   TextEncoding::kUtf8},
        TrickyCase{"Latin1BareCr",
                   "Row ID,Order ID,Order Date,Customer ID,Customer Name,"
                   "Product Name,Sales,Profit,Notes \xE9t\xE9\r"
                   "1,CA-1,08-11-16,C-1,\"Gute, Claire\",\"Message Book, 4\"\" X 5\"\"\","
                   "261.96,41.9136,x\r"
                   "2,CA-1,30-11-16,C-2,Zo\xEB,\"line one\rline two \xE9t\xE9\","
                   "10,-1.5,\r"
                   "3,CA-2,01-02-17,C-3,Jos\xE9,\xA0pen,\"1,234.5\",0,\r"
                   "\r\r",
                   TextEncoding::kLatin1},
        // The Latin-1 case's text in Mac Roman (é 0x8E, ë 0x91, no-break
        // space 0xCA), with a CRLF among the bare CRs as in the real export.
        TrickyCase{"MacRomanBareCr",
                   "Row ID,Order ID,Order Date,Customer ID,Customer Name,"
                   "Product Name,Sales,Profit,Notes \x8Et\x8E\r"
                   "1,CA-1,08-11-16,C-1,\"Gute, Claire\",\"Message Book, 4\"\" X 5\"\"\","
                   "261.96,41.9136,x\r"
                   "2,CA-1,30-11-16,C-2,Zo\x91,\"line one\rline two \x8Et\x8E\","
                   "10,-1.5,\r"
                   "3,CA-2,01-02-17,C-3,Jos\x8E,\xCApen,\"1,234.5\",0,\r\n"
                   "\r\r",
                   TextEncoding::kMacRoman},
        // Windows-1252 with CRLF: the Latin-1 text plus curly quotes (0x93,
        // 0x94) on the rejected line, which count as evidence all the same.
        TrickyCase{"Windows1252CrLf",
                   "Row ID,Order ID,Order Date,Customer ID,Customer Name,"
                   "Product Name,Sales,Profit,Notes \xE9t\xE9\r\n"
                   "1,CA-1,08-11-16,C-1,\"Gute, Claire\",\"Message Book, 4\"\" X 5\"\"\","
                   "261.96,41.9136,x\r\n"
                   "2,CA-1,30-11-16,C-2,Zo\xEB,\"line one\r\nline two \xE9t\xE9\","
                   "10,-1.5,\r\n"
                   "3,CA-2,01-02-17,C-3,Jos\xE9,\x93pen\x94,\"1,234.5\",0,\r\n"
                   "\r\n",
                   TextEncoding::kWindows1252},
        TrickyCase{"Utf8NoBomLf",
                   "Row ID,Order ID,Order Date,Customer ID,Customer Name,"
                   "Product Name,Sales,Profit,Notes \xC3\xA9t\xC3\xA9\n"
                   "1,CA-1,08-11-16,C-1,\"Gute, Claire\",\"Message Book, 4\"\" X 5\"\"\","
                   "261.96,41.9136,x\n"
                   "2,CA-1,30-11-16,C-2,Zo\xC3\xAB,\"line one\nline two \xC3\xA9t\xC3\xA9\","
                   "10,-1.5,\n"
                   "3,CA-2,01-02-17,C-3,Jos\xC3\xA9,\xF0\x9F\x96\x8A pen,\"1,234.5\",0,\n"
                   "\n",
                   TextEncoding::kUtf8}),
    [](const ::testing::TestParamInfo<TrickyCase>& info) { return info.param.name; });

}  // namespace
}  // namespace analytics
