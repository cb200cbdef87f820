// Crash safety against the real server on a database file. SIGKILL while an
// ImportCsv is streaming, and again while its one transaction commits: after
// each, PRAGMA integrity_check is "ok" and the import is wholly absent or
// wholly present (the documented atomicity: one transaction at stream end),
// and re-running it gives exactly the expected totals. Full disk: with the
// database capped (--max-db-pages), a write that needs room fails
// RESOURCE_EXHAUSTED, the earlier data stays intact and reads go on.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "security/security_support.h"
#include "store/order_store.h"

namespace analytics {
namespace {

using namespace security_testing;  // NOLINT: test helpers

struct DbFacts {
  std::string integrity;
  std::int64_t lines = -1;
  std::int64_t sales_micros = -1;
  std::int64_t page_count = -1;
};

// Opens the file directly with the SQLite C API (the server is not
// running), which also recovers a WAL left by a killed writer.
DbFacts Inspect(const std::string& path) {
  DbFacts facts;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return facts;
  }
  const auto query = [&](const char* sql, auto&& read) {
    sqlite3_stmt* statement = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    while (sqlite3_step(statement) == SQLITE_ROW) read(statement);
    sqlite3_finalize(statement);
  };
  query("PRAGMA integrity_check", [&](sqlite3_stmt* s) {
    facts.integrity += reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  });
  sqlite3_close(db);
  {
    // Lines the server logged and had not folded yet are data too: fold
    // them into order_lines as the store does before any SQL read.
    absl::StatusOr<std::unique_ptr<OrderStore>> store = OrderStore::Open(path);
    EXPECT_TRUE(store.ok()) << store.status();
    if (store.ok()) {
      EXPECT_TRUE((*store)->FoldLog().ok());
    }
  }
  db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot reopen " << path;
    sqlite3_close(db);
    return facts;
  }
  query("SELECT COUNT(*), COALESCE(SUM(sales), 0) FROM order_lines", [&](sqlite3_stmt* s) {
    facts.lines = sqlite3_column_int64(s, 0);
    facts.sales_micros = sqlite3_column_int64(s, 1);
  });
  query("PRAGMA page_count",
        [&](sqlite3_stmt* s) { facts.page_count = sqlite3_column_int64(s, 0); });
  sqlite3_close(db);
  return facts;
}

std::vector<v1::OrderLine> BaseLines() {
  std::vector<v1::OrderLine> lines;
  for (int i = 0; i < 200; ++i) {
    lines.push_back(SimpleLine(absl::StrCat("base", i), i % 2 ? "East" : "West", 10 + i));
  }
  return lines;
}

constexpr std::int64_t kBaseSalesMicros = (200 * 10 + 199 * 200 / 2) * 1'000'000LL;

class CrashTest : public ::testing::Test {
 protected:
  std::vector<std::string> DbArgs() const { return {"--db", dir_.File("analytics.db")}; }
  TempDir dir_;
};

TEST_F(CrashTest, SigkillMidImportLeavesNoPartialImport) {
  const CsvFixture big = CsvFixture::Make(150'000, "K");
  {
    ServerProcess server(LogFile{dir_.File("log")}, DbArgs());
    auto stub = Stub(server.address());
    ASSERT_TRUE(Ingest(*stub, BaseLines()).ok());

    // 1. Killed while the import streams: the server has parsed and spooled
    //    at least 2 MiB of it when the signal arrives.
    std::unique_ptr<grpc::ClientContext> context = Context("", 300);
    v1::ImportCsvResponse response;
    auto writer = stub->ImportCsv(context.get(), &response);
    ASSERT_TRUE(StreamUntilSpooled(*writer, big.csv, server.pid(), 2 << 20).has_value());
    const int status = server.StopWith(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_FALSE(writer->Finish().ok());
  }
  DbFacts facts = Inspect(dir_.File("analytics.db"));
  EXPECT_EQ(facts.integrity, "ok");
  EXPECT_EQ(facts.lines, 200) << "part of the killed import was committed";
  EXPECT_EQ(facts.sales_micros, kBaseSalesMicros);

  {
    // 2. Killed once the whole file is sent and the server is committing:
    //    the first WAL pages of the transaction are being written.
    ServerProcess server(LogFile{dir_.File("log")}, DbArgs());
    auto stub = Stub(server.address());
    std::unique_ptr<grpc::ClientContext> context = Context("", 300);
    v1::ImportCsvResponse response;
    auto writer = stub->ImportCsv(context.get(), &response);
    v1::ImportCsvRequest request;
    bool sent = true;
    for (std::size_t pos = 0; pos < big.csv.size() && sent; pos += 64 * 1024) {
      request.set_chunk(big.csv.substr(pos, 64 * 1024));
      sent = writer->Write(request);
    }
    ASSERT_TRUE(sent);
    const std::int64_t before_commit = WrittenBytes(server.pid());
    testing::EndStream(*writer);
    // Spooling the rest and the transaction's first spilled pages both show
    // as written bytes; kill as soon as the server has written more.
    for (std::int64_t written = 0; written >= 0 && written - before_commit < (4 << 20);) {
      written = WrittenBytes(server.pid());  // -1 once the process is gone
    }
    server.StopWith(SIGKILL);
    (void)writer->Finish();
  }
  facts = Inspect(dir_.File("analytics.db"));
  EXPECT_EQ(facts.integrity, "ok");
  const bool absent = facts.lines == 200 && facts.sales_micros == kBaseSalesMicros;
  const bool present =
      facts.lines == 200 + big.lines && facts.sales_micros == kBaseSalesMicros + big.revenue_micros;
  EXPECT_TRUE(absent || present) << "partial import: " << facts.lines << " lines";
  std::cout << "killed during the commit: the import is " << (present ? "present" : "absent")
            << "\n";

  // 3. After a restart the same import gives exactly the expected totals.
  ServerProcess server(LogFile{dir_.File("log")}, DbArgs());
  auto stub = Stub(server.address());
  v1::ImportCsvResponse response;
  const grpc::Status status = ImportCsv(*stub, big.csv, "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.committed());
  EXPECT_EQ(response.accepted(), big.lines);
  v1::GetKpisResponse kpis;
  ASSERT_TRUE(stub->GetKpis(Context().get(), {}, &kpis).ok());
  EXPECT_EQ(kpis.current().revenue_micros(), kBaseSalesMicros + big.revenue_micros);
  EXPECT_EQ(kpis.current().units(), 200 + big.units);
  server.StopWith(SIGTERM);
  facts = Inspect(dir_.File("analytics.db"));
  EXPECT_EQ(facts.integrity, "ok");
  EXPECT_EQ(facts.lines, 200 + big.lines);
}

TEST_F(CrashTest, FullDiskFailsTheWriteAndKeepsServingReads) {
  {
    ServerProcess server(LogFile{dir_.File("log")}, DbArgs());
    ASSERT_TRUE(Ingest(*Stub(server.address()), BaseLines()).ok());
  }
  const DbFacts before = Inspect(dir_.File("analytics.db"));
  ASSERT_GT(before.page_count, 0);
  // Room for a few more pages, far from enough for the import.
  ServerProcess server(
      LogFile{dir_.File("log")},
      {"--db", dir_.File("analytics.db"), "--max-db-pages", std::to_string(before.page_count + 8)});
  auto stub = Stub(server.address());
  v1::GetKpisResponse kpis;
  ASSERT_TRUE(stub->GetKpis(Context().get(), {}, &kpis).ok());
  ASSERT_EQ(kpis.current().revenue_micros(), kBaseSalesMicros);

  const CsvFixture big = CsvFixture::Make(20'000, "F");
  v1::ImportCsvResponse response;
  const grpc::Status status = ImportCsv(*stub, big.csv, "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_FALSE(response.committed());

  // Reads go on, on the earlier data, unchanged.
  v1::GetKpisResponse after;
  ASSERT_TRUE(stub->GetKpis(Context().get(), {}, &after).ok());
  EXPECT_EQ(after.current().revenue_micros(), kBaseSalesMicros);
  EXPECT_EQ(after.current().orders(), kpis.current().orders());
  v1::GetBreakdownRequest breakdown;
  breakdown.set_dimension(v1::DIMENSION_REGION);
  v1::GetBreakdownResponse regions;
  ASSERT_TRUE(stub->GetBreakdown(Context().get(), breakdown, &regions).ok());
  EXPECT_EQ(regions.rows_size(), 2);
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckResponse serving;
  ASSERT_TRUE(health->Check(Context().get(), {}, &serving).ok());
  EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  // A write that fits still succeeds.
  EXPECT_TRUE(Ingest(*stub, {SimpleLine("small", "East", 1)}).ok());

  server.StopWith(SIGTERM);
  const DbFacts facts = Inspect(dir_.File("analytics.db"));
  EXPECT_EQ(facts.integrity, "ok");
  EXPECT_EQ(facts.lines, 201);
  EXPECT_EQ(facts.sales_micros, kBaseSalesMicros + 1'000'000);
}

}  // namespace
}  // namespace analytics
