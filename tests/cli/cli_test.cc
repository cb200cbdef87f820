// End to end: the real analytics-cli binary against a real analytics-server
// (in-memory store, seeded through the CLI itself). Every figure a table
// shows is cross-checked against the same command's --json output, which is
// parsed back into the API's response messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_split.h"
#include "cli_fixture.h"
#include "common/money.h"
#include "customer_analytics/v1/analytics_service.pb.h"
#include "google/protobuf/util/json_util.h"
#include "support/process.h"

namespace {

namespace v1 = ::customer_analytics::v1;
using ::analytics::testing::CliBinary;
using ::analytics::testing::CommandResult;
using ::analytics::testing::Lines;
using ::analytics::testing::RunCommand;
using ::analytics::testing::ServerBinary;
using ::analytics::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class CliTest : public analytics::testing::CliServerTest<CliTest> {
 public:
  static void Load() {
    const CommandResult seed = Cli({"seed", "--seed", "42", "--lines", "2000", "--customers", "120",
                                    "--end-date", "2024-06-30", "--span-days", "730"});
    ASSERT_EQ(seed.exit_code, 0) << seed.err;
    ASSERT_THAT(seed.out, HasSubstr("Total lines      2,000"));
  }
};

// The whitespace-separated fields of the first table line starting with
// `label` followed by two spaces.
std::vector<std::string> TableRow(const std::string& table, const std::string& label) {
  for (const std::string& line : Lines(table)) {
    if (line.rfind(label + "  ", 0) == 0) {
      return absl::StrSplit(line.substr(label.size()), ' ', absl::SkipEmpty());
    }
  }
  ADD_FAILURE() << "no row \"" << label << "\" in:\n" << table;
  return {};
}

// "1,234.56" -> micros, through the service's own strict decimal parser.
std::int64_t ParseMoney(std::string text) {
  std::erase(text, ',');
  const absl::StatusOr<std::int64_t> micros = analytics::ParseDecimalMicros(text);
  EXPECT_TRUE(micros.ok()) << text;
  return micros.value_or(-1);
}

std::int64_t ParseCount(std::string text) {
  std::erase(text, ',');
  return std::stoll(text);
}

TEST_F(CliTest, KpisTableMatchesJson) {
  const auto kpis = Json<v1::GetKpisResponse>({"kpis"});
  ASSERT_GT(kpis.current().revenue_micros(), 0);
  const CommandResult table = Cli({"kpis"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr(kpis.period_start_date() + " .. " + kpis.period_end_date()));
  const std::vector<std::string> revenue = TableRow(table.out, "Revenue");
  ASSERT_GE(revenue.size(), 2u);
  EXPECT_EQ(ParseMoney(revenue[0]), kpis.current().revenue_micros());
  EXPECT_EQ(ParseMoney(revenue[1]), kpis.previous().revenue_micros());
  EXPECT_EQ(ParseMoney(TableRow(table.out, "Profit").at(0)), kpis.current().profit_micros());
  EXPECT_EQ(ParseCount(TableRow(table.out, "Orders").at(0)), kpis.current().orders());
  EXPECT_EQ(ParseCount(TableRow(table.out, "Customers").at(0)), kpis.current().customers());
  EXPECT_EQ(ParseCount(TableRow(table.out, "Units").at(0)), kpis.current().units());
  // Thousands separators are there when the numbers are big enough.
  if (kpis.current().revenue_micros() >= 1'000'000'000) {
    EXPECT_THAT(revenue[0], HasSubstr(","));
  }
}

TEST_F(CliTest, KpisFiltersNarrowTheResult) {
  const auto all = Json<v1::GetKpisResponse>({"kpis"});
  const auto year =
      Json<v1::GetKpisResponse>({"kpis", "--from", "2024-01-01", "--to", "2024-06-30"});
  EXPECT_EQ(year.period_start_date(), "2024-01-01");
  EXPECT_EQ(year.period_end_date(), "2024-06-30");
  EXPECT_LT(year.current().revenue_micros(), all.current().revenue_micros());
}

TEST_F(CliTest, BreakdownByRegion) {
  const auto breakdown =
      Json<v1::GetBreakdownResponse>({"breakdown", "region", "--sort", "revenue"});
  ASSERT_GT(breakdown.rows_size(), 1);
  std::int64_t sum = 0;
  for (const v1::BreakdownRow& row : breakdown.rows()) sum += row.measures().revenue_micros();
  EXPECT_EQ(sum, breakdown.total().revenue_micros());
  for (int i = 1; i < breakdown.rows_size(); ++i) {
    EXPECT_GE(breakdown.rows(i - 1).measures().revenue_micros(),
              breakdown.rows(i).measures().revenue_micros());
  }

  const CommandResult table = Cli({"breakdown", "region", "--sort", "revenue"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, StartsWith("Region"));
  for (const v1::BreakdownRow& row : breakdown.rows()) {
    EXPECT_EQ(ParseMoney(TableRow(table.out, row.key()).at(0)), row.measures().revenue_micros());
  }
  EXPECT_EQ(ParseMoney(TableRow(table.out, "Total").at(0)), breakdown.total().revenue_micros());

  const CommandResult csv = Cli({"breakdown", "region", "--csv", "--sort", "revenue"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const std::vector<std::string> lines = Lines(csv.out);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(breakdown.rows_size()) + 1);
  EXPECT_EQ(lines[0],
            "key,revenue,profit,margin,orders,customers,average_order_value,units,revenue_share");
  EXPECT_THAT(lines[1], StartsWith(breakdown.rows(0).key() + ","));
}

TEST_F(CliTest, BreakdownLimitAndRegionFilter) {
  const auto limited = Json<v1::GetBreakdownResponse>({"breakdown", "category", "--limit", "1"});
  EXPECT_EQ(limited.rows_size(), 1);
  EXPECT_GT(limited.total_groups(), 1);
  const auto regions = Json<v1::GetBreakdownResponse>({"breakdown", "region"});
  ASSERT_GE(regions.rows_size(), 2);
  const std::string a = regions.rows(0).key(), b = regions.rows(1).key();
  const auto filtered =
      Json<v1::GetBreakdownResponse>({"breakdown", "region", "--region", a + "," + b});
  EXPECT_EQ(filtered.rows_size(), 2);
  const auto repeated =
      Json<v1::GetBreakdownResponse>({"breakdown", "region", "--region", a, "--region", b});
  EXPECT_EQ(repeated.SerializeAsString(), filtered.SerializeAsString());
}

TEST_F(CliTest, TrendByMonth) {
  const auto trend = Json<v1::GetSalesTrendResponse>({"trend", "--granularity", "month"});
  ASSERT_GT(trend.buckets_size(), 12);
  const CommandResult table = Cli({"trend", "--granularity", "month"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::int64_t total = 0;
  for (const v1::TrendBucket& bucket : trend.buckets()) {
    EXPECT_EQ(ParseMoney(TableRow(table.out, bucket.label()).at(2)), bucket.revenue_micros());
    total += bucket.revenue_micros();
  }
  EXPECT_EQ(ParseMoney(TableRow(table.out, "Total").at(2)), total);
  const CommandResult csv = Cli({"trend", "--csv", "--granularity", "quarter"});
  EXPECT_THAT(csv.out, StartsWith("label,start_date,end_date,revenue,profit,margin,orders\n"));
}

TEST_F(CliTest, RfmSummary) {
  const auto rfm = Json<v1::GetRfmSummaryResponse>({"rfm"});
  ASSERT_EQ(rfm.tiers_size(), 3);
  EXPECT_EQ(rfm.segments_size(), 11);
  const CommandResult table = Cli({"rfm"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const v1::RfmGroup& tier : rfm.tiers()) {
    const std::vector<std::string> row = TableRow(table.out, tier.display_name());
    EXPECT_EQ(ParseCount(row.at(0)), tier.customers());
    EXPECT_EQ(ParseMoney(row.at(1)), tier.revenue_micros());
  }
  EXPECT_THAT(table.out, HasSubstr("As of      " + rfm.as_of_date()));
  const auto earlier = Json<v1::GetRfmSummaryResponse>({"rfm", "--as-of", "2023-12-31"});
  EXPECT_EQ(earlier.as_of_date(), "2023-12-31");
}

TEST_F(CliTest, GoldCustomersAndOneProfile) {
  const auto page =
      Json<v1::ListCustomersResponse>({"customers", "--tier", "gold", "--limit", "5"});
  ASSERT_GT(page.customers_size(), 0) << "the demo data should have Gold customers";
  EXPECT_LE(page.customers_size(), 5);
  for (const v1::Customer& c : page.customers()) EXPECT_EQ(c.tier(), v1::TIER_GOLD);

  const CommandResult table = Cli({"customers", "--tier", "gold", "--limit", "5"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const v1::Customer& c : page.customers()) EXPECT_THAT(table.out, HasSubstr(c.customer_id()));
  const CommandResult csv = Cli({"customers", "--tier", "gold", "--limit", "5", "--csv"});
  const std::vector<std::string> rows = Lines(csv.out);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(page.customers_size()) + 1);
  for (int i = 0; i < page.customers_size(); ++i) {
    const std::vector<std::string> cells = absl::StrSplit(rows[i + 1], ',');
    ASSERT_GT(cells.size(), 11u) << rows[i + 1];
    EXPECT_EQ(cells[0], page.customers(i).customer_id());
    EXPECT_EQ(cells[4], "gold");
    EXPECT_EQ(ParseMoney(cells[11]), page.customers(i).monetary_micros());
  }

  const v1::Customer& first = page.customers(0);
  const auto profile = Json<v1::GetCustomerResponse>({"customer", first.customer_id()});
  EXPECT_EQ(profile.customer().customer_id(), first.customer_id());
  EXPECT_EQ(profile.customer().monetary_micros(), first.monetary_micros());
  const CommandResult shown = Cli({"customer", first.customer_id()});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(ParseMoney(TableRow(shown.out, "Monetary").at(0)), first.monetary_micros());
  EXPECT_THAT(shown.out, HasSubstr("Gold"));
}

TEST_F(CliTest, CustomersPagesAndAll) {
  const auto first = Json<v1::ListCustomersResponse>({"customers", "--limit", "50"});
  ASSERT_FALSE(first.next_page_token().empty());
  const auto second = Json<v1::ListCustomersResponse>(
      {"customers", "--limit", "50", "--page-token", first.next_page_token()});
  ASSERT_GT(second.customers_size(), 0);
  EXPECT_NE(second.customers(0).customer_id(), first.customers(0).customer_id());

  const auto all = Json<v1::ListCustomersResponse>({"customers", "--all", "--limit", "25"});
  EXPECT_EQ(all.customers_size(), all.total_size());
  EXPECT_TRUE(all.next_page_token().empty());
  const CommandResult csv = Cli({"customers", "--all", "--csv"});
  EXPECT_EQ(Lines(csv.out).size(), static_cast<std::size_t>(all.total_size()) + 1);
  EXPECT_THAT(csv.out, StartsWith("customer_id,customer_name,"));
}

TEST_F(CliTest, UnknownCustomerIsNotFound) {
  const CommandResult result = Cli({"customer", "NO-SUCH-CUSTOMER"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("error: NOT_FOUND: "));
  EXPECT_THAT(result.err, HasSubstr("NO-SUCH-CUSTOMER"));
  EXPECT_EQ(result.out, "");
}

TEST_F(CliTest, ServerRejectionIsReportedWithItsCode) {
  // Well-formed but impossible day: the server, not the CLI, refuses it.
  const CommandResult result = Cli({"kpis", "--from", "2024-02-30"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("error: INVALID_ARGUMENT: "));
}

TEST_F(CliTest, BadFlagIsAUsageError) {
  const CommandResult result = Cli({"kpis", "--no-such-flag"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("unknown flag --no-such-flag"));
}

TEST_F(CliTest, HelpWorksWithoutAServerAndServerComesFromTheEnvironment) {
  const CommandResult help = RunCommand({CliBinary(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Usage: analytics-cli"));
  const CommandResult via_env =
      RunCommand({CliBinary(), "kpis", "--json"}, {"ANALYTICS_SERVER=" + server_->address()});
  EXPECT_EQ(via_env.exit_code, 0) << via_env.err;
  EXPECT_THAT(via_env.out, HasSubstr("revenueMicros"));
}

TEST_F(CliTest, IngestJsonLinesFromStdin) {
  const std::string input =
      "# two lines of a new customer\n"
      "{\"lineId\":\"cli-test-1\",\"orderId\":\"CLI-1\",\"orderDate\":\"2024-06-01\","
      "\"customerId\":\"CLI-CUSTOMER\",\"customerName\":\"Cli Tester\",\"region\":\"West\","
      "\"sales\":100.25,\"quantity\":2,\"profit\":10}\n"
      "\n"
      "{\"line_id\":\"cli-test-2\",\"order_id\":\"CLI-2\",\"order_date\":\"2024-06-02\","
      "\"customer_id\":\"CLI-CUSTOMER\",\"sales\":0.5,\"quantity\":1,\"profit\":0.1}\n";
  const CommandResult result = Cli({"ingest", "--batch-size", "1"}, input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(ParseCount(TableRow(result.out, "Accepted").at(0)), 2);
  const auto profile = Json<v1::GetCustomerResponse>({"customer", "CLI-CUSTOMER"});
  EXPECT_EQ(profile.customer().lifetime_revenue_micros(), 100'750'000);
}

TEST_F(CliTest, IngestReportsRejectedLinesByTheirLineInTheInput) {
  // Record 2 of the stream is input line 5: a comment and a blank line come first.
  const std::string input =
      "{\"lineId\":\"cli-lines-1\",\"orderId\":\"CLI-L1\",\"orderDate\":\"2024-06-01\","
      "\"customerId\":\"CLI-LINES\",\"sales\":1}\n"
      "# a comment\n"
      "\n"
      "   \n"
      "{\"lineId\":\"cli-lines-2\",\"orderId\":\"CLI-L2\",\"orderDate\":\"2024-06-01\","
      "\"customerId\":\"CLI-LINES\",\"sales\":1,\"quantity\":-1}\n"
      "# another\n"
      "{\"lineId\":\"cli-lines-3\",\"orderId\":\"\",\"orderDate\":\"2024-06-01\","
      "\"customerId\":\"CLI-LINES\",\"sales\":1}\n";
  const CommandResult result = Cli({"ingest", "--json"}, input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  v1::IngestTransactionsResponse response;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &response).ok())
      << result.out;
  EXPECT_EQ(response.accepted(), 1);
  ASSERT_EQ(response.rejected_lines_size(), 2);
  EXPECT_EQ(response.rejected_lines(0).line_number(), 5);
  EXPECT_EQ(response.rejected_lines(0).field(), "quantity");
  EXPECT_EQ(response.rejected_lines(1).line_number(), 7);
  EXPECT_EQ(response.rejected_lines(1).field(), "order_id");
}

TEST_F(CliTest, CustomersLimitTakesOnlyRealPageSizes) {
  for (const char* bad : {"0", "1001"}) {
    const CommandResult result = Cli({"customers", "--limit", bad});
    EXPECT_EQ(result.exit_code, 2) << bad;
    EXPECT_THAT(result.err, HasSubstr("--limit: must be between 1 and 1000")) << bad;
  }
  const auto page = Json<v1::ListCustomersResponse>({"customers", "--limit", "1"});
  EXPECT_EQ(page.customers_size(), 1);
}

TEST_F(CliTest, IngestStopsAtABadLineAndWritesNothing) {
  const std::string input =
      "{\"orderId\":\"CLI-BAD-1\",\"orderDate\":\"2024-06-01\",\"customerId\":\"CLI-BAD\","
      "\"sales\":1}\n"
      "{\"orderId\": oops}\n";
  const CommandResult result = Cli({"ingest", "--batch-size", "1"}, input);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("input line 2"));
  const CommandResult lookup = Cli({"customer", "CLI-BAD"});
  EXPECT_THAT(lookup.err, StartsWith("error: NOT_FOUND: "));
}

TEST_F(CliTest, ImportCsvDryRunAndReal) {
  const std::string path = ::testing::TempDir() + "/cli_test_import.csv";
  {
    std::ofstream file(path);
    file << "Row ID,Order ID,Order Date,Customer ID,Customer Name,Region,Category,Sales,"
            "Quantity,Profit\n"
            "cli-csv-1,CSV-1,2024-05-01,CSV-CUSTOMER,Csv Person,East,Technology,12.34,1,2.5\n"
            "cli-csv-2,CSV-2,2024-05-03,CSV-CUSTOMER,Csv Person,East,Furniture,7.66,3,1\n";
  }
  const CommandResult dry = Cli({"import", path, "--dry-run", "--date-order", "ymd"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("no (dry run)"));
  EXPECT_THAT(dry.err, HasSubstr("import: sent "));  // plain progress: stderr is a pipe
  EXPECT_THAT(Cli({"customer", "CSV-CUSTOMER"}).err, StartsWith("error: NOT_FOUND: "));

  const auto imported = Json<v1::ImportCsvResponse>({"import", path, "--quiet"});
  EXPECT_TRUE(imported.committed());
  EXPECT_EQ(imported.accepted(), 2);
  const auto profile = Json<v1::GetCustomerResponse>({"customer", "CSV-CUSTOMER"});
  EXPECT_EQ(profile.customer().lifetime_revenue_micros(), 20'000'000);
  std::remove(path.c_str());
}

// Two files whose Row IDs both run 1..5 over different orders: the second
// replaces the first's lines, which the dry run and the import both say on
// stderr; with a --source each, nothing is replaced. A server of its own:
// the shared one's data would blur the counts.
TEST(CliKeySourceTest, CollidingRowIdsAreFlaggedAndSourcesKeepFilesApart) {
  if (ServerBinary().empty() || CliBinary().empty()) GTEST_SKIP() << "binaries not built";
  ServerProcess server;
  const auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {CliBinary(), "--server", server.address()});
    return RunCommand(args);
  };
  const auto write_file = [](const std::string& tag) {
    const std::string path = ::testing::TempDir() + "/cli_key_source_" + tag + ".csv";
    std::ofstream file(path);
    file << "Row ID,Order ID,Order Date,Customer ID,Region,Category,Sales,Profit\n";
    for (int i = 1; i <= 5; ++i) {
      file << i << "," << tag << "-O" << i << ",2024-05-0" << i << "," << tag << "-C" << i
           << ",East,Technology,10,1\n";
    }
    return path;
  };
  const std::string a = write_file("A");
  const std::string b = write_file("B");

  CommandResult result = cli({"import", a, "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, Not(HasSubstr("warning")));

  result = cli({"import", b, "--quiet", "--dry-run"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("warning: 5 stored lines would be replaced by a line of "
                                    "another order or customer"));
  EXPECT_THAT(result.err, HasSubstr("key 1: order A-O1 -> B-O1, customer A-C1 -> B-C1"));
  EXPECT_EQ(ParseCount(TableRow(result.out, "Reassigned").at(0)), 5);

  result = cli({"import", b, "--quiet", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("warning: 5 stored lines were replaced"));
  v1::ImportCsvResponse response;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &response).ok())
      << result.out;
  EXPECT_EQ(response.reassigned(), 5);
  EXPECT_EQ(response.reassigned_lines_size(), 5);

  for (const auto& [path, source] : {std::pair{a, "export-a"}, std::pair{b, "export-b"}}) {
    result = cli({"import", path, "--quiet", "--source", source, "--json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_THAT(result.err, Not(HasSubstr("warning")));
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &response).ok());
    EXPECT_EQ(response.inserted(), 5) << source;
    EXPECT_EQ(response.reassigned(), 0) << source;
  }
  result = cli({"kpis", "--json"});
  v1::GetKpisResponse kpis;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &kpis).ok()) << result.out;
  // 15 lines of 10 each: B's five unsourced, then A's and B's under their sources.
  EXPECT_EQ(kpis.current().revenue_micros(), 150'000'000);

  // ingest --source: line id "1" of stream "feed" is not Row ID 1, and a
  // second stream with other ids under the same source is flagged.
  const auto ingest = [&](const std::string& order) {
    std::vector<std::string> args = {CliBinary(), "--server", server.address(),
                                     "ingest",    "--source", "feed"};
    return RunCommand(args, {},
                      "{\"lineId\":\"1\",\"orderId\":\"" + order +
                          "\",\"orderDate\":\"2024-05-01\",\"customerId\":\"F-C\",\"sales\":1}\n");
  };
  result = ingest("F-1");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(ParseCount(TableRow(result.out, "Inserted").at(0)), 1);
  result = ingest("F-2");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("key feed:1: order F-1 -> F-2"));
  std::remove(a.c_str());
  std::remove(b.c_str());
}

TEST_F(CliTest, ImportsAMacRomanFileWithBareCrLineEnds) {
  // Classic Mac export: bare CRs, "é" is 0x8E and the no-break space 0xCA.
  const std::string path = ::testing::TempDir() + "/cli_test_mac_roman.csv";
  {
    std::ofstream file(path, std::ios::binary);
    file << "Row ID,Order ID,Order Date,Customer ID,Customer Name,Sales\r"
            "mac-1,MAC-1,2024-05-01,MAC-CUSTOMER,Ren\x8E\xCA"
            "D.,1\r"
            "mac-2,MAC-2,2024-05-02,MAC-CUSTOMER,Ren\x8E\xCA"
            "D.,2\r";
  }
  // Plain progress (stderr is a pipe) counts the three CR-ended lines.
  const CommandResult dry = Cli({"import", path, "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.err, HasSubstr(", 3 lines"));
  EXPECT_EQ(TableRow(dry.out, "Encoding").at(0), "mac-roman");

  const auto imported =
      Json<v1::ImportCsvResponse>({"import", path, "--encoding", "mac-roman", "--quiet"});
  EXPECT_TRUE(imported.committed());
  EXPECT_EQ(imported.encoding(), v1::ENCODING_MAC_ROMAN);
  const auto profile = Json<v1::GetCustomerResponse>({"customer", "MAC-CUSTOMER"});
  EXPECT_EQ(profile.customer().customer_name(), "Ren\u00E9\u00A0D.");
  std::remove(path.c_str());

  const CommandResult bad = Cli({"import", "-", "--encoding", "ebcdic"}, "x\n");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("utf8|latin1|windows-1252|mac-roman"));
}

TEST_F(CliTest, ImportWithRejectedLinesWritesNothingAndFails) {
  const std::string csv =
      "Order ID,Order Date,Customer ID,Sales\n"
      "REJ-1,2024-05-01,REJ-CUSTOMER,10\n"
      "REJ-2,2024-05-02,REJ-CUSTOMER,not-a-number\n";
  const CommandResult result = Cli({"import", "-", "--quiet"}, csv);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, HasSubstr("Rejected lines"));
  EXPECT_THAT(result.err, HasSubstr("nothing was written"));
  EXPECT_THAT(Cli({"customer", "REJ-CUSTOMER"}).err, StartsWith("error: NOT_FOUND: "));
}

}  // namespace
