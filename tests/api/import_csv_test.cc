// ImportCsv through a real channel: the real Superstore export loaded exactly,
// idempotence, all-or-nothing, dry runs, and refusals that leave the store
// unchanged.
//
// ImportCsvStoresTest runs the cases that write or must leave nothing
// written on SQLite and on a real PostgreSQL 15 (support/postgres.h):
// all-or-nothing and dry runs (the dry run classifies inside a transaction
// that rolls back), the streamed import's commit or rollback as a whole, a
// cancelled and an unreadable stream, and the real export's exact figures
// and idempotence. SQLite-only, on purpose: a file sent one byte at a time,
// structural problems and late options (refused by the CSV reader or the
// API layer before any store call), MacRoman product names (no RPC returns
// them, so the test reads the SQLite file itself), and the key-source suite
// (parameterised by engine instead; SQLite and PostgreSQL count reassigned
// keys alike in Stores/StoreContractTest).
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../fixtures/superstore.h"
#include "absl/strings/str_cat.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "store/order_store.h"
#include "store/sqlite.h"
#include "support/postgres.h"
#include "support/process.h"
#include "support/raw_stream.h"

namespace analytics {
namespace {

namespace v1 = ::customer_analytics::v1;

// The full export when present, else the trimmed fixture (fixtures/superstore.h).
std::string SuperstorePath() { return testing::Superstore().path; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class ImportCsvTest : public ::testing::Test {
 protected:
  ImportCsvTest() = default;
  explicit ImportCsvTest(std::vector<std::string> server_args) : server_(std::move(server_args)) {}

  void SetUp() override {
    stub_ = v1::AnalyticsService::NewStub(
        grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials()));
  }

  // Streams `csv` in chunks of `chunk_size` bytes after an options message.
  grpc::Status Import(const std::string& csv, const v1::ImportCsvOptions& options,
                      v1::ImportCsvResponse* response, std::size_t chunk_size = 65536) {
    grpc::ClientContext context;
    auto writer = stub_->ImportCsv(&context, response);
    v1::ImportCsvRequest first;
    *first.mutable_options() = options;
    writer->Write(first);
    for (std::size_t pos = 0; pos < csv.size(); pos += chunk_size) {
      v1::ImportCsvRequest chunk;
      chunk.set_chunk(csv.substr(pos, chunk_size));
      if (!writer->Write(chunk)) break;
    }
    testing::EndStream(*writer);
    return writer->Finish();
  }

  v1::GetKpisResponse Kpis() {
    grpc::ClientContext context;
    v1::GetKpisResponse response;
    EXPECT_TRUE(stub_->GetKpis(&context, v1::GetKpisRequest{}, &response).ok());
    return response;
  }

  std::map<std::string, std::pair<std::int64_t, std::int64_t>> Breakdown(v1::Dimension dimension) {
    grpc::ClientContext context;
    v1::GetBreakdownRequest request;
    request.set_dimension(dimension);
    v1::GetBreakdownResponse response;
    EXPECT_TRUE(stub_->GetBreakdown(&context, request, &response).ok());
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> out;
    for (const v1::BreakdownRow& row : response.rows()) {
      out[row.key()] = {row.measures().revenue_micros(), row.measures().profit_micros()};
    }
    return out;
  }

  testing::ServerProcess server_;
  std::unique_ptr<v1::AnalyticsService::Stub> stub_;
};

// The server on "sqlite" (in memory) or "postgres" (a fresh database).
class ImportCsvStoresTest : public ImportCsvTest,
                            public ::testing::WithParamInterface<std::string> {
 protected:
  ImportCsvStoresTest() : ImportCsvTest(testing::ServerStoreArgs(GetParam())) {}
};

INSTANTIATE_TEST_SUITE_P(Stores, ImportCsvStoresTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

const char kSmallCsv[] =
    "Row ID,Order ID,Order Date,Customer ID,Customer Name,Region,Category,Sales,Profit\r\n"
    "1,O1,2024-01-10,C1,\"Doe, Ann\",East,Technology,100.10,20.02\r\n"
    "2,O1,2024-01-10,C1,\"Doe, Ann\",East,Furniture,50.005,-5.0005\r\n"
    "3,O2,2024-02-01,C2,Bob,West,Technology,200,40\r\n";

TEST_F(ImportCsvTest, LoadsASmallFileSentOneByteAtATime) {
  v1::ImportCsvResponse response;
  ASSERT_TRUE(Import(kSmallCsv, {}, &response, 1).ok());
  EXPECT_EQ(response.lines_read(), 3);
  EXPECT_EQ(response.accepted(), 3);
  EXPECT_EQ(response.inserted(), 3);
  EXPECT_TRUE(response.committed());
  EXPECT_EQ(Kpis().current().revenue_micros(), 350'105'000);
}

TEST_P(ImportCsvStoresTest, AllOrNothingByDefaultSkipInvalidOnRequestDryRunWritesNothing) {
  const std::string with_bad_line =
      std::string(kSmallCsv) + "4,O3,2024-02-02,C3,Cy,West,Furniture,\"1,234.5\",1\r\n";
  v1::ImportCsvResponse response;
  ASSERT_TRUE(Import(with_bad_line, {}, &response).ok());
  EXPECT_FALSE(response.committed());
  EXPECT_EQ(response.rejected(), 1);
  ASSERT_EQ(response.rejected_lines_size(), 1);
  EXPECT_EQ(response.rejected_lines(0).line_number(), 5);
  EXPECT_EQ(response.rejected_lines(0).field(), "Sales");
  EXPECT_EQ(Kpis().current().orders(), 0);

  v1::ImportCsvOptions dry_run;
  dry_run.set_dry_run(true);
  dry_run.set_skip_invalid(true);
  ASSERT_TRUE(Import(with_bad_line, dry_run, &response).ok());
  EXPECT_FALSE(response.committed());
  EXPECT_EQ(response.inserted(), 3);
  EXPECT_EQ(Kpis().current().orders(), 0);

  v1::ImportCsvOptions skip;
  skip.set_skip_invalid(true);
  ASSERT_TRUE(Import(with_bad_line, skip, &response).ok());
  EXPECT_TRUE(response.committed());
  EXPECT_EQ(response.inserted(), 3);
  EXPECT_EQ(Kpis().current().orders(), 2);
}

TEST_F(ImportCsvTest, StructuralProblemsFailTheCallAndLeaveTheStoreUnchanged) {
  v1::ImportCsvResponse response;
  ASSERT_TRUE(Import(kSmallCsv, {}, &response).ok());
  const std::int64_t before = Kpis().current().revenue_micros();

  grpc::Status missing = Import("Order ID,Order Date,Sales\nO9,2024-01-01,5\n", {}, &response);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(missing.error_message().find("ustomer"), std::string::npos) << missing.error_message();

  grpc::Status open_quote = Import(
      std::string(kSmallCsv) + "4,O3,2024-02-02,C3,\"Cy,West,Furniture,5,1\r\n", {}, &response);
  EXPECT_EQ(open_quote.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  grpc::Status ambiguous =
      Import("Order ID,Order Date,Customer ID,Sales\nO1,01/02/2024,C1,5\nO2,03/04/2024,C2,6\n", {},
             &response);
  EXPECT_EQ(ambiguous.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(ambiguous.error_message().find("order"), std::string::npos);

  EXPECT_EQ(Kpis().current().revenue_micros(), before);
}

// Told the encoding and date order, the server writes lines while the file
// still arrives; the transaction still commits or rolls back as a whole.
TEST_P(ImportCsvStoresTest, AStreamedImportCommitsOrRollsBackAsAWhole) {
  v1::ImportCsvOptions told;
  told.set_encoding(v1::ENCODING_UTF8);
  told.set_date_order(v1::DATE_ORDER_YMD);
  // Many batches' worth of lines, so that some are in the transaction before
  // the end decides.
  std::string big = "Row ID,Order ID,Order Date,Customer ID,Sales,Profit\n";
  for (int i = 0; i < 6000; ++i) {
    big += "r" + std::to_string(i) + ",O" + std::to_string(i) + ",2024-03-01,C1,1,0\n";
  }
  const std::string bad_at_end = big + "x,O9,2024-02-30,C1,1,0\n";
  v1::ImportCsvResponse response;

  ASSERT_TRUE(Import(bad_at_end, told, &response, 4096).ok());
  EXPECT_FALSE(response.committed());
  EXPECT_EQ(response.accepted(), 6000);
  EXPECT_EQ(response.rejected(), 1);
  ASSERT_EQ(response.rejected_lines_size(), 1);
  EXPECT_EQ(response.rejected_lines(0).line_number(), 6002);
  EXPECT_EQ(response.rejected_lines(0).field(), "Order Date");
  EXPECT_EQ(response.date_order(), v1::DATE_ORDER_YMD);
  EXPECT_EQ(Kpis().current().orders(), 0);

  const grpc::Status fatal =
      Import(big + "y,O9,2024-03-01,C\xff,1,0\n" + big, told, &response, 4096);
  EXPECT_EQ(fatal.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(fatal.error_message().find("invalid UTF-8"), std::string::npos)
      << fatal.error_message();
  EXPECT_EQ(Kpis().current().orders(), 0);

  v1::ImportCsvOptions dry_run = told;
  dry_run.set_dry_run(true);
  ASSERT_TRUE(Import(big, dry_run, &response, 4096).ok());
  EXPECT_FALSE(response.committed());
  EXPECT_EQ(response.inserted(), 6000);
  EXPECT_EQ(Kpis().current().orders(), 0);

  v1::ImportCsvOptions skip = told;
  skip.set_skip_invalid(true);
  ASSERT_TRUE(Import(bad_at_end, skip, &response, 4096).ok());
  EXPECT_TRUE(response.committed());
  EXPECT_EQ(response.inserted(), 6000);
  EXPECT_EQ(response.rejected(), 1);
  EXPECT_EQ(Kpis().current().orders(), 6000);

  ASSERT_TRUE(Import(kSmallCsv, told, &response).ok());
  EXPECT_TRUE(response.committed());
  EXPECT_EQ(response.inserted(), 3);
  EXPECT_EQ(response.encoding(), v1::ENCODING_UTF8);
  // Its orders O1 and O2 exist already: only the revenue grows.
  EXPECT_EQ(Kpis().current().orders(), 6000);
  EXPECT_EQ(Kpis().current().revenue_micros(), 6'000'000'000 + 350'105'000);
}

// A stream cancelled halfway writes nothing, even though lines already went
// into the transaction.
TEST_P(ImportCsvStoresTest, ACancelledStreamedImportWritesNothing) {
  grpc::ClientContext context;
  v1::ImportCsvResponse response;
  auto writer = stub_->ImportCsv(&context, &response);
  v1::ImportCsvRequest first;
  first.mutable_options()->set_encoding(v1::ENCODING_UTF8);
  first.mutable_options()->set_date_order(v1::DATE_ORDER_YMD);
  ASSERT_TRUE(writer->Write(first));
  std::string csv = "Row ID,Order ID,Order Date,Customer ID,Sales\n";
  for (int i = 0; i < 3000; ++i) {
    csv += std::to_string(i) + ",O" + std::to_string(i) + ",2024-03-01,C1,1\n";
  }
  v1::ImportCsvRequest chunk;
  chunk.set_chunk(csv);
  ASSERT_TRUE(writer->Write(chunk));
  context.TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(Kpis().current().orders(), 0);
}

// With a typed method gRPC would hand the server an unreadable message as
// an ordinary end of stream, and a file cut there could be committed.
TEST_P(ImportCsvStoresTest, AnUnreadableMessageFailsTheCallAndWritesNothing) {
  std::shared_ptr<grpc::Channel> owned =
      grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
  v1::ImportCsvRequest options;
  options.mutable_options()->set_encoding(v1::ENCODING_UTF8);
  v1::ImportCsvRequest chunk;
  chunk.set_chunk(kSmallCsv);  // whole records: a cut here would be a valid file
  std::string cut = chunk.SerializeAsString();
  cut.pop_back();  // the chunk now runs past the message's end
  std::string response;
  const grpc::Status status = testing::RawClientStream(
      *owned, "/customer_analytics.v1.AnalyticsService/ImportCsv",
      {options.SerializeAsString(), chunk.SerializeAsString(), cut, testing::LastMark(3)},
      response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("message 3 "), std::string::npos) << status.error_message();
  EXPECT_EQ(Kpis().current().orders(), 0);

  // The same stream without the broken message imports (the raw path works).
  ASSERT_TRUE(testing::RawClientStream(
                  *owned, "/customer_analytics.v1.AnalyticsService/ImportCsv",
                  {options.SerializeAsString(), chunk.SerializeAsString(), testing::LastMark(3)},
                  response)
                  .ok());
  v1::ImportCsvResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(response));
  EXPECT_TRUE(parsed.committed());
  EXPECT_EQ(parsed.inserted(), 3);
}

TEST_F(ImportCsvTest, OptionsOnlyInTheFirstMessage) {
  grpc::ClientContext context;
  v1::ImportCsvResponse response;
  auto writer = stub_->ImportCsv(&context, &response);
  v1::ImportCsvRequest chunk;
  chunk.set_chunk(kSmallCsv);
  writer->Write(chunk);
  v1::ImportCsvRequest late_options;
  late_options.mutable_options()->set_dry_run(true);
  writer->Write(late_options);
  testing::EndStream(*writer);
  const grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("options"), std::string::npos);
}

TEST_P(ImportCsvStoresTest, TheRealSuperstoreExportLoadsExactlyAndIdempotently) {
  const testing::SuperstoreFigures& figures = *testing::Superstore().figures;
  const std::string csv = ReadFile(SuperstorePath());
  ASSERT_FALSE(csv.empty()) << "cannot read " << SuperstorePath();
  v1::ImportCsvOptions dmy;
  dmy.set_date_order(v1::DATE_ORDER_DMY);
  v1::ImportCsvResponse response;
  ASSERT_TRUE(Import(csv, dmy, &response, 10'007).ok());
  EXPECT_EQ(response.lines_read(), figures.lines);
  EXPECT_EQ(response.accepted(), figures.lines);
  EXPECT_EQ(response.rejected(), 0);
  EXPECT_EQ(response.inserted(), figures.lines);
  EXPECT_TRUE(response.committed());
  // Detected from the C1 bytes (0x8E é, 0x9A ö, ...) and the bare CRs.
  EXPECT_EQ(response.encoding(), v1::ENCODING_MAC_ROMAN);
  {
    grpc::ClientContext context;
    v1::GetCustomerRequest request;
    request.set_customer_id("RF-19840");
    v1::GetCustomerResponse customer;
    ASSERT_TRUE(stub_->GetCustomer(&context, request, &customer).ok());
    EXPECT_EQ(customer.customer().customer_name(), "Roy Franz\u00F6sisch");  // 0x9A
  }

  // The dataset README's figures (or the fixture's), exactly.
  const auto check_figures = [&] {
    const v1::GetKpisResponse kpis = Kpis();
    EXPECT_EQ(kpis.current().revenue_micros(), figures.sales_micros);
    EXPECT_EQ(kpis.current().profit_micros(), figures.profit_micros);
    EXPECT_EQ(kpis.current().orders(), figures.orders);
    EXPECT_EQ(kpis.current().customers(), figures.customers);
    EXPECT_EQ(kpis.period_end_date(), figures.latest_order_date);
    EXPECT_EQ(Breakdown(v1::DIMENSION_REGION), figures.regions);
    EXPECT_EQ(Breakdown(v1::DIMENSION_CATEGORY), figures.categories);
  };
  check_figures();

  ASSERT_TRUE(Import(csv, dmy, &response, 65'536).ok());
  EXPECT_EQ(response.inserted(), 0);
  EXPECT_EQ(response.updated(), figures.lines);
  check_figures();

  // Month-first cannot be right for this file: it must not load wrong dates.
  v1::ImportCsvOptions mdy;
  mdy.set_date_order(v1::DATE_ORDER_MDY);
  const grpc::Status refused = Import(csv, mdy, &response);
  if (refused.ok()) {
    EXPECT_FALSE(response.committed());
    EXPECT_GT(response.rejected(), 0);
    ASSERT_GT(response.rejected_lines_size(), 0);
    EXPECT_THAT(response.rejected_lines(0).field(),
                ::testing::AnyOf(::testing::Eq("Order Date"), ::testing::Eq("Ship Date")));
  } else {
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  check_figures();

  // Auto-detection finds day-first on its own.
  ASSERT_TRUE(Import(csv, {}, &response).ok());
  EXPECT_EQ(response.date_order(), v1::DATE_ORDER_DMY);
  check_figures();
}

// No RPC returns product names, so this one reads the server's database file
// after the import: the Konftel line's name has Mac Roman no-break spaces
// (0xCA), which Latin-1 would have turned into "Ê".
// Row IDs that collide across files: file A and file B both number their
// rows 1..n but hold different orders and customers.
std::string RowIdFile(const std::string& tag, int rows) {
  std::string csv = "Row ID,Order ID,Order Date,Customer ID,Region,Category,Sales,Profit\n";
  for (int i = 1; i <= rows; ++i) {
    absl::StrAppend(&csv, i, ",", tag, "-O", i, ",2024-03-0", 1 + i % 9, ",", tag, "-C", i,
                    ",East,Technology,", 10 * i, ",1\n");
  }
  return csv;
}

// Runs against both engines: the columnar engine counts reassigned keys in
// its table (the write log's path), the SQL engine row by row.
class KeySourceTest : public ::testing::TestWithParam<const char*> {
 protected:
  KeySourceTest() : server_({"--engine", GetParam()}) {}
  void SetUp() override {
    stub_ = v1::AnalyticsService::NewStub(
        grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status Import(const std::string& csv, const v1::ImportCsvOptions& options,
                      v1::ImportCsvResponse* response) {
    grpc::ClientContext context;
    auto writer = stub_->ImportCsv(&context, response);
    v1::ImportCsvRequest first;
    *first.mutable_options() = options;
    writer->Write(first);
    v1::ImportCsvRequest chunk;
    chunk.set_chunk(csv);
    writer->Write(chunk);
    testing::EndStream(*writer);
    return writer->Finish();
  }

  // One message per entry of `sources`, each with one line (line_id "1",
  // order and customer from `tags`).
  grpc::Status Ingest(const std::vector<std::string>& sources, const std::vector<std::string>& tags,
                      v1::IngestTransactionsResponse* response) {
    grpc::ClientContext context;
    auto writer = stub_->IngestTransactions(&context, response);
    for (std::size_t i = 0; i < sources.size(); ++i) {
      v1::IngestTransactionsRequest request;
      request.set_source(sources[i]);
      v1::OrderLine& line = *request.add_lines();
      line.set_line_id("1");
      line.set_order_id(tags[i] + "-O1");
      line.set_order_date("2024-03-01");
      line.set_customer_id(tags[i] + "-C1");
      line.set_sales(10);
      if (!writer->Write(request)) break;
    }
    testing::EndStream(*writer);
    return writer->Finish();
  }

  std::int64_t Orders() {
    grpc::ClientContext context;
    v1::GetKpisResponse response;
    EXPECT_TRUE(stub_->GetKpis(&context, v1::GetKpisRequest{}, &response).ok());
    return response.current().orders();
  }

  testing::ServerProcess server_;
  std::unique_ptr<v1::AnalyticsService::Stub> stub_;
};

TEST_P(KeySourceTest, ASecondFileWithTheSameRowIdsIsFlaggedByDryRunAndByTheImport) {
  v1::ImportCsvResponse response;
  ASSERT_TRUE(Import(RowIdFile("A", 5), {}, &response).ok());
  ASSERT_EQ(response.inserted(), 5);
  EXPECT_EQ(response.reassigned(), 0);

  v1::ImportCsvOptions dry_run;
  dry_run.set_dry_run(true);
  ASSERT_TRUE(Import(RowIdFile("B", 5), dry_run, &response).ok());
  EXPECT_FALSE(response.committed());
  EXPECT_EQ(response.updated(), 5);
  EXPECT_EQ(response.reassigned(), 5);
  ASSERT_EQ(response.reassigned_lines_size(), 5);
  EXPECT_EQ(response.reassigned_lines(0).line_key(), "1");
  EXPECT_EQ(response.reassigned_lines(0).previous_order_id(), "A-O1");
  EXPECT_EQ(response.reassigned_lines(0).order_id(), "B-O1");
  EXPECT_EQ(response.reassigned_lines(0).previous_customer_id(), "A-C1");
  EXPECT_EQ(response.reassigned_lines(0).customer_id(), "B-C1");
  EXPECT_EQ(response.reassigned_lines(4).line_key(), "5");
  EXPECT_EQ(Orders(), 5) << "a dry run writes nothing";

  ASSERT_TRUE(Import(RowIdFile("B", 5), {}, &response).ok());
  EXPECT_TRUE(response.committed());
  EXPECT_EQ(response.updated(), 5);
  EXPECT_EQ(response.reassigned(), 5);
  ASSERT_EQ(response.reassigned_lines_size(), 5);
  EXPECT_EQ(response.reassigned_lines(2).line_key(), "3");
  EXPECT_EQ(response.reassigned_lines(2).previous_order_id(), "A-O3");
  EXPECT_EQ(response.reassigned_lines(2).order_id(), "B-O3");
  EXPECT_EQ(Orders(), 5) << "file B replaced file A's lines";
}

TEST_P(KeySourceTest, AStreamedImportReportsReassignedLinesToo) {
  // Encoding and date order given: the lines go to the store while the file
  // arrives (import_reactor.h), a path of its own.
  v1::ImportCsvOptions streamed;
  streamed.set_encoding(v1::ENCODING_UTF8);
  streamed.set_date_order(v1::DATE_ORDER_YMD);
  v1::ImportCsvResponse response;
  ASSERT_TRUE(Import(RowIdFile("A", 5), streamed, &response).ok());
  ASSERT_TRUE(Import(RowIdFile("B", 5), streamed, &response).ok());
  EXPECT_TRUE(response.committed());
  EXPECT_EQ(response.reassigned(), 5);
  ASSERT_EQ(response.reassigned_lines_size(), 5);
  EXPECT_EQ(response.reassigned_lines(0).previous_customer_id(), "A-C1");
  EXPECT_EQ(response.reassigned_lines(0).customer_id(), "B-C1");
  streamed.set_source("b");
  ASSERT_TRUE(Import(RowIdFile("B", 5), streamed, &response).ok());
  EXPECT_EQ(response.inserted(), 5);
  EXPECT_EQ(response.reassigned(), 0);
}

TEST_P(KeySourceTest, ReimportingTheSameFileOrACorrectionIsNotAReassignment) {
  v1::ImportCsvResponse response;
  ASSERT_TRUE(Import(RowIdFile("A", 5), {}, &response).ok());
  ASSERT_TRUE(Import(RowIdFile("A", 5), {}, &response).ok());
  EXPECT_EQ(response.updated(), 5);
  EXPECT_EQ(response.reassigned(), 0);
  EXPECT_EQ(response.reassigned_lines_size(), 0);
}

TEST_P(KeySourceTest, DistinctSourcesKeepTheFilesApart) {
  v1::ImportCsvOptions a;
  a.set_source("shop-a");
  v1::ImportCsvOptions b;
  b.set_source("shop-b");
  v1::ImportCsvResponse response;
  ASSERT_TRUE(Import(RowIdFile("A", 5), a, &response).ok());
  EXPECT_EQ(response.inserted(), 5);
  b.set_dry_run(true);
  ASSERT_TRUE(Import(RowIdFile("B", 5), b, &response).ok());
  EXPECT_EQ(response.inserted(), 5);
  EXPECT_EQ(response.updated(), 0);
  EXPECT_EQ(response.reassigned(), 0);
  b.set_dry_run(false);
  ASSERT_TRUE(Import(RowIdFile("B", 5), b, &response).ok());
  EXPECT_EQ(response.inserted(), 5);
  EXPECT_EQ(response.updated(), 0);
  EXPECT_EQ(response.reassigned(), 0);
  EXPECT_EQ(Orders(), 10);
  // The key is "<source>:<Row ID>": the same file under the same source is
  // the same lines again, and a file without a source does not touch them.
  ASSERT_TRUE(Import(RowIdFile("A", 5), a, &response).ok());
  EXPECT_EQ(response.updated(), 5);
  EXPECT_EQ(response.reassigned(), 0);
  ASSERT_TRUE(Import(RowIdFile("C", 5), {}, &response).ok());
  EXPECT_EQ(response.inserted(), 5);
  EXPECT_EQ(Orders(), 15);
}

TEST_P(KeySourceTest, TheReplyCountsEveryReassignedLineAndShowsTheFirstTen) {
  v1::ImportCsvResponse response;
  ASSERT_TRUE(Import(RowIdFile("A", 25), {}, &response).ok());
  ASSERT_TRUE(Import(RowIdFile("B", 25), {}, &response).ok());
  EXPECT_EQ(response.reassigned(), 25);
  ASSERT_EQ(response.reassigned_lines_size(), 10);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(response.reassigned_lines(i).line_key(), std::to_string(i + 1)) << i;
  }
}

TEST_P(KeySourceTest, IngestStreamsTakeASourceToo) {
  v1::IngestTransactionsResponse response;
  ASSERT_TRUE(Ingest({"x"}, {"A"}, &response).ok());
  EXPECT_EQ(response.inserted(), 1);
  ASSERT_TRUE(Ingest({"y", "y"}, {"B", "B"}, &response).ok());
  EXPECT_EQ(response.inserted(), 1) << "y:1 is not x:1";
  EXPECT_EQ(response.reassigned(), 0);
  // A later message may repeat the source or leave it out.
  ASSERT_TRUE(Ingest({"x", ""}, {"C", "C"}, &response).ok());
  EXPECT_EQ(response.updated(), 2);
  EXPECT_EQ(response.reassigned(), 1);
  ASSERT_EQ(response.reassigned_lines_size(), 1);
  EXPECT_EQ(response.reassigned_lines(0).line_key(), "x:1");
  EXPECT_EQ(response.reassigned_lines(0).previous_order_id(), "A-O1");
  EXPECT_EQ(response.reassigned_lines(0).order_id(), "C-O1");
  EXPECT_EQ(Orders(), 2);
}

TEST_P(KeySourceTest, ABadOrChangingSourceFailsTheCallAndWritesNothing) {
  v1::IngestTransactionsResponse ingested;
  grpc::Status status = Ingest({"x", "y"}, {"A", "A"}, &ingested);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::StartsWith("source: message 2"));
  status = Ingest({"", "y"}, {"A", "A"}, &ingested);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  status = Ingest({"a:b"}, {"A"}, &ingested);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::StartsWith("source: "));

  v1::ImportCsvOptions options;
  options.set_source(std::string(65, 'a'));
  v1::ImportCsvResponse imported;
  status = Import(RowIdFile("A", 5), options, &imported);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::StartsWith("options.source: "));
  EXPECT_EQ(Orders(), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, KeySourceTest, ::testing::Values("columnar", "sql"));

TEST(ImportCsvNamesTest, MacRomanProductNamesAreStoredAsUtf8) {
  const std::string db = (std::filesystem::path(::testing::TempDir()) /
                          ("import-names-" + std::to_string(::getpid()) + ".db"))
                             .string();
  const auto remove_db = [&] {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  };
  remove_db();
  {
    testing::ServerProcess server({"--db", db});
    auto stub = v1::AnalyticsService::NewStub(
        grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    v1::ImportCsvResponse response;
    auto writer = stub->ImportCsv(&context, &response);
    v1::ImportCsvRequest request;
    request.set_chunk(ReadFile(SuperstorePath()));
    ASSERT_TRUE(writer->Write(request));
    testing::EndStream(*writer);
    const grpc::Status status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(response.committed());
    EXPECT_EQ(response.encoding(), v1::ENCODING_MAC_ROMAN);
  }  // the server stops; its writes are committed

  // Through the store: a committed write may still sit in the write log
  // (order_store.h), and WithConnection folds it into order_lines first.
  std::string product;
  {
    absl::StatusOr<std::unique_ptr<OrderStore>> store = OrderStore::Open(db);
    ASSERT_TRUE(store.ok()) << store.status();
    const absl::Status read = (*store)->WithConnection([&](sqlite::Connection& connection) {
      absl::StatusOr<sqlite::Statement> name =
          connection.Prepare("SELECT product_name FROM order_lines WHERE line_key = '12'");
      if (!name.ok()) return name.status();
      absl::StatusOr<bool> row = name->Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::NotFoundError("no line 12");
      product = std::string(name->Text(0));
      return absl::OkStatus();
    });
    ASSERT_TRUE(read.ok()) << read;
  }
  EXPECT_EQ(product, "Konftel 250 Conference\u00A0phone\u00A0- Charcoal black");
  EXPECT_THAT(product, ::testing::HasSubstr("Conference\u00A0phone"));
  remove_db();
}

}  // namespace
}  // namespace analytics
