// Exact figures and one set of line rules, through the real server on both
// engines (--engine sql and columnar) over both stores (SQLite, PostgreSQL):
// - the store's magnitude bound (common/magnitude_totals.h): writes that
//   would take the sum of |sales|, |profit| or quantity past INT64_MAX are
//   refused OUT_OF_RANGE with nothing written, by IngestTransactions,
//   ImportCsv (streamed and spooled) and SeedDemoData alike, and the
//   largest totals the documentation allows come back exact from every
//   read RPC (hand-computed below);
// - the same per-line limits on every write path (quantity 2^62, blank
//   ids), a negative gold_min_monetary refused like a negative frequency;
// - rejection reasons cut, so a reply's size is bounded whatever the input.
// Every stream marks its final message `last`.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "support/postgres.h"
#include "support/process.h"

namespace analytics {
namespace {

namespace v1 = ::customer_analytics::v1;
using testing::ServerProcess;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxLineMicros = 1'000'000'000'000'000'000;  // 10^12 units
// INT64_MAX - 9 x 10^12 units, in micro-units: the tenth line that makes
// the documented maxima sum to exactly INT64_MAX.
constexpr std::int64_t kRestMicros = kInt64Max - 9 * kMaxLineMicros;
constexpr char kRestText[] = "223372036854.775807";
static_assert(kRestMicros == 223'372'036'854'775'807);

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return context;
}

v1::OrderLine Line(const std::string& key, double sales, double profit = 0,
                   std::int64_t quantity = 1) {
  v1::OrderLine line;
  line.set_line_id(key);
  line.set_order_id("O-" + key);
  line.set_order_date("2024-03-01");
  line.set_customer_id("C-" + key);
  line.set_region("East");
  line.set_sales(sales);
  line.set_profit(profit);
  line.set_quantity(quantity);
  return line;
}

// (engine, store): the maxima are summed by SQL on either store (SQLite's
// 64-bit integers, PostgreSQL's BIGINT sums) and by the columnar engine fed
// from either.
struct Setup {
  std::string engine;
  std::string store;
};

std::vector<std::string> ServerArgs(const Setup& setup) {
  std::vector<std::string> args = testing::ServerStoreArgs(setup.store);
  args.insert(args.end(), {"--engine", setup.engine});
  return args;
}

class ExactnessTest : public ::testing::TestWithParam<Setup> {
 protected:
  ExactnessTest() : server_(ServerArgs(GetParam())) {}

  void SetUp() override {
    channel_ = grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
    stub_ = v1::AnalyticsService::NewStub(channel_);
  }

  // One IngestTransactions stream, `per_message` lines a message.
  grpc::Status Ingest(const std::vector<v1::OrderLine>& lines,
                      v1::IngestTransactionsResponse* response = nullptr,
                      std::size_t per_message = 500) {
    v1::IngestTransactionsResponse ignored;
    if (response == nullptr) response = &ignored;
    auto context = Context();
    auto writer = stub_->IngestTransactions(context.get(), response);
    std::size_t next = 0;
    do {
      v1::IngestTransactionsRequest request;
      for (std::size_t i = 0; i < per_message && next < lines.size(); ++i) {
        *request.add_lines() = lines[next++];
      }
      request.set_last(next == lines.size());
      if (!writer->Write(request)) break;
    } while (next < lines.size());
    writer->WritesDone();
    return writer->Finish();
  }

  // One ImportCsv stream: options, then the file in 64 KiB chunks, the last
  // marked. `streamed`: encoding and date order given, so the server writes
  // lines while the file arrives; otherwise it spools them (auto-detect).
  grpc::Status Import(const std::string& csv, bool streamed,
                      v1::ImportCsvResponse* response = nullptr) {
    v1::ImportCsvResponse ignored;
    if (response == nullptr) response = &ignored;
    auto context = Context();
    auto writer = stub_->ImportCsv(context.get(), response);
    v1::ImportCsvRequest options;
    if (streamed) {
      options.mutable_options()->set_encoding(v1::ENCODING_UTF8);
      options.mutable_options()->set_date_order(v1::DATE_ORDER_YMD);
    } else {
      options.mutable_options();
    }
    bool ok = writer->Write(options);
    constexpr std::size_t kChunk = 64 * 1024;
    for (std::size_t pos = 0; ok && pos < csv.size(); pos += kChunk) {
      v1::ImportCsvRequest chunk;
      chunk.set_chunk(csv.substr(pos, kChunk));
      chunk.set_last(pos + kChunk >= csv.size());
      ok = writer->Write(chunk);
    }
    writer->WritesDone();
    return writer->Finish();
  }

  grpc::Status Seed(bool replace, v1::SeedDemoDataResponse* response = nullptr) {
    v1::SeedDemoDataRequest request;
    request.set_line_count(200);
    request.set_customer_count(20);
    request.set_end_date("2024-06-30");
    request.set_replace(replace);
    v1::SeedDemoDataResponse ignored;
    return stub_->SeedDemoData(Context().get(), request, response ? response : &ignored);
  }

  v1::GetKpisResponse Kpis(const std::string& start = "", const std::string& end = "") {
    v1::GetKpisRequest request;
    request.mutable_filter()->set_start_date(start);
    request.mutable_filter()->set_end_date(end);
    v1::GetKpisResponse response;
    const grpc::Status status = stub_->GetKpis(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    return response;
  }

  ServerProcess server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AnalyticsService::Stub> stub_;
};

std::string CsvOfMaxLines(const std::string& prefix, int count) {
  std::string csv = "Row ID,Order ID,Order Date,Customer ID,Region,Sales\n";
  for (int i = 0; i < count; ++i) {
    absl::StrAppend(&csv, prefix, i, ",O", prefix, i, ",2024-03-01,C", i, ",East,1000000000000\n");
  }
  return csv;
}

// Issue 17, row 1: ten valid lines at the documented maximum used to be
// accepted, after which KPIs, breakdown and trend failed INTERNAL for good
// and RFM revenue came back negative.
TEST_P(ExactnessTest, TenLinesAtTheMaximumAreRefusedOnEveryWritePathAndReadsStayExact) {
  std::vector<v1::OrderLine> ten;
  for (int i = 0; i < 10; ++i) ten.push_back(Line(absl::StrCat("max", i), 1e12));

  const grpc::Status ingest = Ingest(ten, nullptr, 3);
  EXPECT_EQ(ingest.error_code(), grpc::StatusCode::OUT_OF_RANGE) << ingest.error_message();
  EXPECT_EQ(ingest.error_message(),
            "lines: sales: the store's total of |sales| would exceed 9,223,372,036,854.775807; "
            "nothing was written");
  for (const bool streamed : {true, false}) {
    const grpc::Status import = Import(CsvOfMaxLines("csv", 10), streamed);
    EXPECT_EQ(import.error_code(), grpc::StatusCode::OUT_OF_RANGE)
        << (streamed ? "streamed: " : "spooled: ") << import.error_message();
  }
  EXPECT_EQ(Kpis().current().orders(), 0);

  // Nine fit, and are summed exactly.
  ten.pop_back();
  ASSERT_TRUE(Ingest(ten).ok());
  v1::GetKpisResponse kpis = Kpis();
  EXPECT_EQ(kpis.current().revenue_micros(), 9 * kMaxLineMicros);
  EXPECT_EQ(kpis.current().orders(), 9);

  // The tenth, by any path, is refused and changes nothing.
  EXPECT_EQ(Ingest({Line("tenth", 1e12)}).error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(Import(CsvOfMaxLines("tenth", 1), true).error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(Import(CsvOfMaxLines("tenth", 1), false).error_code(), grpc::StatusCode::OUT_OF_RANGE);
  kpis = Kpis();
  EXPECT_EQ(kpis.current().revenue_micros(), 9 * kMaxLineMicros);
  EXPECT_EQ(kpis.current().orders(), 9);
  v1::GetRfmSummaryResponse rfm;
  ASSERT_TRUE(stub_->GetRfmSummary(Context().get(), {}, &rfm).ok());
  EXPECT_EQ(rfm.revenue_micros(), 9 * kMaxLineMicros);
}

// The largest totals the documentation allows: ten lines whose sales sum
// to exactly INT64_MAX micro-units (9 x 10^12 + 223,372,036,854.775807),
// profit to -INT64_MAX, quantity 10^9 each. Every read RPC returns the
// hand-computed figures; then one micro more is refused on every path,
// the seed included, until a replace-all seed starts again.
//
//   line  order date   customer region   sales / -profit   quantity
//   m1    2024-01-11   C2       East     10^12             10^9
//   m2    2024-01-12   C3       East     10^12             10^9
//   m3    2024-01-13   C1       East     10^12             10^9
//   m4    2024-01-14   C2       East     10^12             10^9
//   m5    2024-01-15   C3       East     10^12             10^9
//   m6    2024-01-16   C1       West     10^12             10^9
//   m7    2024-01-17   C2       West     10^12             10^9
//   m8    2024-01-18   C3       West     10^12             10^9
//   m9    2024-01-19   C1       West     10^12             10^9
//   m10   2024-02-01   C1       West     rest              10^9
//
// East: 5 x 10^12; West: 4 x 10^12 + rest. January: 9 x 10^12; February:
// rest. C1: 3 x 10^12 + rest (m3, m6, m9, m10); C2 and C3: 3 x 10^12 each.
TEST_P(ExactnessTest, TheDocumentedMaximaSummedComeBackExactFromEveryRead) {
  std::string csv =
      "Row ID,Order ID,Order Date,Customer ID,Customer Name,Region,Category,Sales,Quantity,"
      "Discount,Profit\n";
  for (int i = 1; i <= 9; ++i) {
    absl::StrAppend(&csv, "m", i, ",O", i, ",2024-01-", 10 + i, ",C", i % 3 + 1, ",Name", i % 3 + 1,
                    ",", i <= 5 ? "East" : "West",
                    ",Technology,1000000000000,1000000000,1,-1000000000000\n");
  }
  absl::StrAppend(&csv, "m10,O10,2024-02-01,C1,Name1,West,Technology,", kRestText,
                  ",1000000000,0,-", kRestText, "\n");
  v1::ImportCsvResponse imported;
  const grpc::Status import = Import(csv, true, &imported);
  ASSERT_TRUE(import.ok()) << import.error_message();
  ASSERT_EQ(imported.accepted(), 10) << imported.DebugString();

  const v1::GetKpisResponse kpis = Kpis();
  EXPECT_EQ(kpis.current().revenue_micros(), kInt64Max);
  EXPECT_EQ(kpis.current().profit_micros(), -kInt64Max);
  EXPECT_EQ(kpis.current().units(), 10'000'000'000);
  EXPECT_EQ(kpis.current().orders(), 10);
  EXPECT_EQ(kpis.current().customers(), 3);
  EXPECT_DOUBLE_EQ(kpis.current().margin(), -1.0);
  EXPECT_DOUBLE_EQ(kpis.current().average_order_value(), 9'223'372'036'854.775807 / 10);

  // February against the same length before it (January 3-31).
  const v1::GetKpisResponse february = Kpis("2024-02-01", "2024-02-29");
  EXPECT_EQ(february.current().revenue_micros(), kRestMicros);
  EXPECT_EQ(february.current().profit_micros(), -kRestMicros);
  EXPECT_EQ(february.previous().revenue_micros(), 9 * kMaxLineMicros);
  EXPECT_EQ(february.previous().profit_micros(), -9 * kMaxLineMicros);
  EXPECT_NEAR(february.change().revenue_pct(), (223'372'036'854.775807 / 9e12 - 1) * 100, 1e-9);

  v1::GetBreakdownRequest by_region;
  by_region.set_dimension(v1::DIMENSION_REGION);
  v1::GetBreakdownResponse breakdown;
  ASSERT_TRUE(stub_->GetBreakdown(Context().get(), by_region, &breakdown).ok());
  ASSERT_EQ(breakdown.rows_size(), 2);
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> regions;
  for (const v1::BreakdownRow& row : breakdown.rows()) {
    regions[row.key()] = {row.measures().revenue_micros(), row.measures().profit_micros()};
  }
  EXPECT_EQ(regions["East"], std::make_pair(5 * kMaxLineMicros, -5 * kMaxLineMicros));
  EXPECT_EQ(regions["West"],
            std::make_pair(4 * kMaxLineMicros + kRestMicros, -(4 * kMaxLineMicros + kRestMicros)));
  EXPECT_EQ(breakdown.total().revenue_micros(), kInt64Max);
  EXPECT_EQ(breakdown.total().profit_micros(), -kInt64Max);
  EXPECT_EQ(breakdown.total().units(), 10'000'000'000);
  for (const v1::Dimension dimension :
       {v1::DIMENSION_CATEGORY, v1::DIMENSION_SUB_CATEGORY, v1::DIMENSION_SEGMENT,
        v1::DIMENSION_STATE, v1::DIMENSION_SHIP_MODE, v1::DIMENSION_CUSTOMER}) {
    v1::GetBreakdownRequest request;
    request.set_dimension(dimension);
    v1::GetBreakdownResponse response;
    const grpc::Status status = stub_->GetBreakdown(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << dimension << ": " << status.error_message();
    EXPECT_EQ(response.total().revenue_micros(), kInt64Max) << dimension;
    std::int64_t rows_revenue = 0;
    for (const v1::BreakdownRow& row : response.rows()) {
      rows_revenue += row.measures().revenue_micros();
    }
    EXPECT_EQ(rows_revenue, kInt64Max) << dimension;
  }

  for (const v1::Granularity granularity :
       {v1::GRANULARITY_DAY, v1::GRANULARITY_WEEK, v1::GRANULARITY_MONTH, v1::GRANULARITY_QUARTER,
        v1::GRANULARITY_YEAR}) {
    v1::GetSalesTrendRequest request;
    request.set_granularity(granularity);
    v1::GetSalesTrendResponse trend;
    const grpc::Status status = stub_->GetSalesTrend(Context().get(), request, &trend);
    ASSERT_TRUE(status.ok()) << granularity << ": " << status.error_message();
    std::int64_t revenue = 0;
    std::int64_t profit = 0;
    for (const v1::TrendBucket& bucket : trend.buckets()) {
      revenue += bucket.revenue_micros();
      profit += bucket.profit_micros();
      if (granularity == v1::GRANULARITY_MONTH && bucket.label() == "2024-01") {
        EXPECT_EQ(bucket.revenue_micros(), 9 * kMaxLineMicros);
      }
      if (granularity == v1::GRANULARITY_MONTH && bucket.label() == "2024-02") {
        EXPECT_EQ(bucket.revenue_micros(), kRestMicros);
      }
    }
    EXPECT_EQ(revenue, kInt64Max) << granularity;
    EXPECT_EQ(profit, -kInt64Max) << granularity;
  }

  v1::GetRfmSummaryResponse rfm;
  ASSERT_TRUE(stub_->GetRfmSummary(Context().get(), {}, &rfm).ok());
  EXPECT_EQ(rfm.customers(), 3);
  EXPECT_EQ(rfm.revenue_micros(), kInt64Max);
  std::int64_t tier_revenue = 0;
  for (const v1::RfmGroup& tier : rfm.tiers()) {
    EXPECT_GE(tier.revenue_micros(), 0);
    EXPECT_GE(tier.revenue_share(), 0);
    tier_revenue += tier.revenue_micros();
  }
  EXPECT_EQ(tier_revenue, kInt64Max);

  v1::ListCustomersRequest list;
  list.set_page_size(10);
  v1::ListCustomersResponse customers;
  ASSERT_TRUE(stub_->ListCustomers(Context().get(), list, &customers).ok());
  ASSERT_EQ(customers.customers_size(), 3);
  std::map<std::string, std::int64_t> monetary;
  for (const v1::Customer& customer : customers.customers()) {
    monetary[customer.customer_id()] = customer.monetary_micros();
  }
  EXPECT_EQ(monetary["C1"], 3 * kMaxLineMicros + kRestMicros);
  EXPECT_EQ(monetary["C2"], 3 * kMaxLineMicros);
  EXPECT_EQ(monetary["C3"], 3 * kMaxLineMicros);

  v1::GetCustomerRequest one;
  one.set_customer_id("C1");
  v1::GetCustomerResponse c1;
  ASSERT_TRUE(stub_->GetCustomer(Context().get(), one, &c1).ok());
  EXPECT_EQ(c1.customer().lifetime_revenue_micros(), 3 * kMaxLineMicros + kRestMicros);
  EXPECT_EQ(c1.customer().lifetime_profit_micros(), -(3 * kMaxLineMicros + kRestMicros));
  EXPECT_EQ(c1.customer().lifetime_orders(), 4);

  // Full: one micro more of sales or of profit is refused, by every path.
  EXPECT_EQ(Ingest({Line("micro", 0.000001)}).error_code(), grpc::StatusCode::OUT_OF_RANGE);
  const grpc::Status profit = Ingest({Line("profit", 0, -0.000001)});
  EXPECT_EQ(profit.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(profit.error_message().substr(0, 14), "lines: profit:");
  EXPECT_EQ(Seed(false).error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(Import("Order ID,Order Date,Customer ID,Sales\nX,2024-01-01,C9,0.000001\n", false)
                .error_code(),
            grpc::StatusCode::OUT_OF_RANGE);
  // A line that adds no magnitude still fits.
  EXPECT_TRUE(Ingest({Line("nothing", 0, 0, 0)}).ok());
  EXPECT_EQ(Kpis().current().revenue_micros(), kInt64Max);
  EXPECT_EQ(Kpis().current().orders(), 11);

  // A replace-all write starts the bound again.
  v1::SeedDemoDataResponse seeded;
  ASSERT_TRUE(Seed(true, &seeded).ok());
  EXPECT_EQ(seeded.total_lines(), 200);
  std::vector<v1::OrderLine> nine;
  for (int i = 0; i < 9; ++i) nine.push_back(Line(absl::StrCat("again", i), 1e12));
  EXPECT_TRUE(Ingest(nine).ok());
}

// Issue 17, rows 2 and 10: IngestTransactions accepted quantity 2^62 and
// ids of three spaces, which the CSV import refuses.
TEST_P(ExactnessTest, IngestAppliesTheCsvLimitsToEveryField) {
  std::vector<v1::OrderLine> bad;
  bad.push_back(Line("q", 10, 0, std::int64_t{1} << 62));
  bad.push_back(Line("q9", 10, 0, 1'000'000'001));
  bad.push_back(Line("o", 10));
  bad.back().set_order_id("   ");
  bad.push_back(Line("c", 10));
  bad.back().set_customer_id(" \t ");
  bad.push_back(Line("d", 10));
  bad.back().set_discount(1.5);
  bad.push_back(Line("good", 10, 0, 1'000'000'000));
  v1::IngestTransactionsResponse response;
  ASSERT_TRUE(Ingest(bad, &response).ok());
  EXPECT_EQ(response.accepted(), 1);
  EXPECT_EQ(response.rejected(), 5);
  ASSERT_EQ(response.rejected_lines_size(), 5);
  const std::vector<std::string> fields = {"quantity", "quantity", "order_id", "customer_id",
                                           "discount"};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(response.rejected_lines(i).line_number(), i + 1);
    EXPECT_EQ(response.rejected_lines(i).field(), fields[static_cast<std::size_t>(i)])
        << response.rejected_lines(i).reason();
  }
  EXPECT_EQ(Kpis().current().units(), 1'000'000'000);

  // The CSV import gives the same verdicts.
  v1::ImportCsvResponse imported;
  ASSERT_TRUE(Import("Order ID,Order Date,Customer ID,Sales,Quantity\n"
                     "A,2024-01-01,C1,10,4611686018427387904\n"
                     "   ,2024-01-01,C1,10,1\n"
                     "B,2024-01-01, \t ,10,1\n",
                     false, &imported)
                  .ok());
  EXPECT_EQ(imported.rejected(), 3);
  EXPECT_FALSE(imported.committed());
}

// Issue 17, row 11.
TEST_P(ExactnessTest, ANegativeGoldMinMonetaryIsRefusedLikeANegativeFrequency) {
  v1::GetRfmSummaryRequest summary;
  summary.mutable_rfm()->mutable_thresholds()->set_gold_min_monetary(-5);
  v1::GetRfmSummaryResponse summary_response;
  const grpc::Status summary_status =
      stub_->GetRfmSummary(Context().get(), summary, &summary_response);
  EXPECT_EQ(summary_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(summary_status.error_message(),
            "rfm.thresholds.gold_min_monetary: must not be negative");

  v1::ListCustomersRequest list;
  list.mutable_rfm()->mutable_thresholds()->set_gold_min_monetary(-5);
  v1::ListCustomersResponse list_response;
  const grpc::Status list_status = stub_->ListCustomers(Context().get(), list, &list_response);
  EXPECT_EQ(list_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(list_status.error_message().rfind("rfm.thresholds.gold_min_monetary:", 0), 0u);

  v1::GetCustomerRequest one;
  one.set_customer_id("C1");
  one.mutable_rfm()->mutable_thresholds()->set_gold_min_monetary(-0.5);
  v1::GetCustomerResponse one_response;
  EXPECT_EQ(stub_->GetCustomer(Context().get(), one, &one_response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  summary.mutable_rfm()->mutable_thresholds()->set_gold_min_monetary(0);
  EXPECT_TRUE(stub_->GetRfmSummary(Context().get(), summary, &summary_response).ok());
}

// What a reply may hold per rejected line: reason and field are cut
// (common/line_validation.h), so kMaxReportedRejections of them stay small.
constexpr std::size_t kReasonBytes = 256;
constexpr std::size_t kFieldBytes = 128;
constexpr std::size_t kReplyBound = 100 * (kReasonBytes + kFieldBytes + 32) + 1024;

// Issue 17, row 7: 1,000 good lines and 5 lines with a 1 MB order date
// made a 5 MB reply (100 MB for 110 such lines) that the client refused
// with RESOURCE_EXHAUSTED, though the lines were committed.
TEST_P(ExactnessTest, RejectionsOfHugeValuesKeepTheReplySmall) {
  // 5 dates of 1 MiB, and 110 of 64 KiB: 100 of those quoted whole would
  // be 6.4 MB, past a client's 4 MiB default too.
  for (const auto& [huge, date_bytes] : {std::pair{5, 1 << 20}, std::pair{110, 64 << 10}}) {
    SCOPED_TRACE(absl::StrCat(huge, " huge lines"));
    std::vector<v1::OrderLine> lines;
    for (int i = 0; i < 1000; ++i) lines.push_back(Line(absl::StrCat("g", huge, "-", i), 1));
    for (int i = 0; i < huge; ++i) {
      v1::OrderLine line = Line(absl::StrCat("h", i), 1);
      line.set_order_date(std::string(static_cast<std::size_t>(date_bytes), '2'));
      lines.push_back(line);
    }
    v1::IngestTransactionsResponse response;
    const grpc::Status status = Ingest(lines, &response, 10);
    ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    EXPECT_EQ(response.accepted(), 1000);
    EXPECT_EQ(response.rejected(), huge);
    EXPECT_EQ(response.rejected_lines_size(), std::min(huge, 100));
    for (const v1::RejectedLine& rejected : response.rejected_lines()) {
      EXPECT_EQ(rejected.field(), "order_date");
      EXPECT_LE(rejected.reason().size(), kReasonBytes);
    }
    EXPECT_LE(response.ByteSizeLong(), kReplyBound);
  }
  EXPECT_EQ(Kpis().current().orders(), 2000);

  // CSV: a header name is quoted in every rejection of its column; the
  // header "Order Date" may be spelt with a megabyte of punctuation (just
  // under the 1 MiB field limit), and an unknown column's name is listed
  // in the reply.
  const std::string order_date = "Order" + std::string((1 << 20) - 100, '-') + "Date";
  std::string csv = absl::StrCat("Order ID,", order_date, ",Customer ID,Sales,",
                                 std::string((1 << 20) - 100, 'u'), "\n");
  for (int i = 0; i < 150; ++i) absl::StrAppend(&csv, "O", i, ",", "not a date,C1,1,x\n");
  for (const bool streamed : {true, false}) {
    v1::ImportCsvResponse imported;
    const grpc::Status status = Import(csv, streamed, &imported);
    ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    EXPECT_EQ(imported.rejected(), 150);
    EXPECT_EQ(imported.rejected_lines_size(), 100);
    for (const v1::RejectedLine& rejected : imported.rejected_lines()) {
      EXPECT_LE(rejected.field().size(), kFieldBytes);
      EXPECT_LE(rejected.reason().size(), kReasonBytes);
    }
    ASSERT_EQ(imported.unknown_columns_size(), 1);
    EXPECT_LE(imported.unknown_columns(0).size(), kFieldBytes);
    EXPECT_LE(imported.ByteSizeLong(), kReplyBound);
  }
}

INSTANTIATE_TEST_SUITE_P(EnginesAndStores, ExactnessTest,
                         ::testing::Values(Setup{"sql", "sqlite"}, Setup{"columnar", "sqlite"},
                                           Setup{"sql", "postgres"}, Setup{"columnar", "postgres"}),
                         [](const ::testing::TestParamInfo<Setup>& info) {
                           return info.param.engine + "_" + info.param.store;
                         });

}  // namespace
}  // namespace analytics
