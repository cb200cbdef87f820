// Real server processes on one real PostgreSQL (README "Scaling out"): two
// replicas with the columnar engine (A, B) and one answering by SQL (C, the
// reference). A client that writes on A and reads on B with the write's
// consistency token always sees its write; all three answer GetKpis,
// GetRfmSummary and ListCustomers identically; a replica SIGKILLed and
// started again catches up exactly; PostgreSQL restarted, or the servers'
// sessions terminated (pg_terminate_backend), under a write in flight fails
// that write cleanly and the same servers serve again; sessions terminated
// while idle cost no read at all.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "customer_analytics/replicas.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "store/pg.h"
#include "support/postgres.h"
#include "support/process.h"
#include "support/raw_stream.h"

namespace analytics {
namespace {

namespace v1 = ::customer_analytics::v1;
using google::protobuf::util::MessageDifferencer;
using testing::Postgres;
using testing::ServerProcess;

std::unique_ptr<v1::AnalyticsService::Stub> Connect(const ServerProcess& server) {
  return v1::AnalyticsService::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
}

void Prepare(grpc::ClientContext& context, const std::string& token = "") {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  if (!token.empty()) context.AddMetadata("x-consistency-token", token);
}

// Seeds demo lines through `stub`; the reply's consistency token.
std::string Seed(v1::AnalyticsService::Stub& stub, int seed, int lines) {
  grpc::ClientContext context;
  Prepare(context);
  v1::SeedDemoDataRequest request;
  request.set_seed(seed);
  request.set_line_count(lines);
  request.set_customer_count(150);
  request.set_end_date("2026-11-30");
  v1::SeedDemoDataResponse response;
  const grpc::Status status = stub.SeedDemoData(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.consistency_token().empty());
  return response.consistency_token();
}

v1::GetKpisResponse Kpis(v1::AnalyticsService::Stub& stub, const std::string& token = "") {
  grpc::ClientContext context;
  Prepare(context, token);
  v1::GetKpisRequest request;
  request.mutable_filter()->set_start_date("2020-01-01");
  request.mutable_filter()->set_end_date("2026-11-30");
  v1::GetKpisResponse response;
  const grpc::Status status = stub.GetKpis(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

v1::GetRfmSummaryResponse Rfm(v1::AnalyticsService::Stub& stub) {
  grpc::ClientContext context;
  Prepare(context);
  v1::GetRfmSummaryRequest request;
  request.mutable_rfm()->set_as_of_date("2026-11-30");
  v1::GetRfmSummaryResponse response;
  const grpc::Status status = stub.GetRfmSummary(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

v1::ListCustomersResponse Customers(v1::AnalyticsService::Stub& stub) {
  grpc::ClientContext context;
  Prepare(context);
  v1::ListCustomersRequest request;
  request.mutable_rfm()->set_as_of_date("2026-11-30");
  request.set_page_size(1000);
  request.set_order_by("customer_id");
  v1::ListCustomersResponse response;
  const grpc::Status status = stub.ListCustomers(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  response.clear_next_page_token();  // sealed with each server's own key
  return response;
}

void ExpectSameAnswers(v1::AnalyticsService::Stub& replica, v1::AnalyticsService::Stub& sql) {
  EXPECT_TRUE(MessageDifferencer::Equals(Kpis(replica), Kpis(sql)));
  EXPECT_TRUE(MessageDifferencer::Equals(Rfm(replica), Rfm(sql)));
  EXPECT_TRUE(MessageDifferencer::Equals(Customers(replica), Customers(sql)));
}

std::vector<std::string> ServerArgs(const std::string& dsn, const std::string& engine) {
  return {"--db", dsn, "--engine", engine};
}

TEST(PgServers, AWriteOnAIsReadOnBWithItsTokenAndAllAnswerAlike) {
  const std::string dsn = Postgres::Shared().NewDatabase();
  ServerProcess a(ServerArgs(dsn, "columnar"));
  ServerProcess b(ServerArgs(dsn, "columnar"));
  ServerProcess c(ServerArgs(dsn, "sql"));
  auto stub_a = Connect(a);
  auto stub_b = Connect(b);
  auto stub_c = Connect(c);
  for (int round = 0; round < 12; ++round) {
    // Alternate the writer: each replica reads the other's writes.
    auto& writer = round % 2 == 0 ? *stub_a : *stub_b;
    auto& reader = round % 2 == 0 ? *stub_b : *stub_a;
    const std::string token = Seed(writer, 100 + round, 400);
    // Read-your-writes on the other replica: exactly the SQL truth.
    EXPECT_TRUE(MessageDifferencer::Equals(Kpis(reader, token), Kpis(*stub_c)))
        << "round " << round;
  }
  ExpectSameAnswers(*stub_a, *stub_c);
  ExpectSameAnswers(*stub_b, *stub_c);
}

// `--store postgres --pg-dsn URI` (README "Scaling out") opens the same
// store as `--db URI`: a write through one is read through the other.
TEST(PgServers, StoreAndPgDsnFlagsOpenTheDatabaseAsDbDoes) {
  const std::string dsn = Postgres::Shared().NewDatabase();
  ServerProcess a({"--store", "postgres", "--pg-dsn", dsn});
  ServerProcess b(ServerArgs(dsn, "sql"));
  auto stub_a = Connect(a);
  auto stub_b = Connect(b);
  const std::string token = Seed(*stub_a, 7, 300);
  const v1::GetKpisResponse on_b = Kpis(*stub_b, token);
  EXPECT_GT(on_b.current().orders(), 0);
  EXPECT_TRUE(MessageDifferencer::Equals(Kpis(*stub_a), on_b));
}

// Readiness tied to lag (--max-replica-lag): while B cannot apply A's write
// its health Watch turns NOT_SERVING (Kubernetes takes it out of the
// Service), and SERVING again once it has caught up, with the write.
TEST(PgServers, AReplicaTooFarBehindIsNotServingUntilItCatchesUp) {
  const std::string dsn = Postgres::Shared().NewDatabase();
  ServerProcess a(ServerArgs(dsn, "columnar"));
  ServerProcess b({"--db", dsn, "--max-replica-lag", "1s"});
  auto stub_a = Connect(a);
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(b.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  auto watch = health->Watch(&watch_context, grpc::health::v1::HealthCheckRequest());
  grpc::health::v1::HealthCheckResponse update;
  using Status = grpc::health::v1::HealthCheckResponse;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), Status::SERVING);

  // A transaction holding a transaction id keeps every snapshot's xmin
  // below A's write, so no replica may apply that write until it ends.
  absl::StatusOr<pg::Connection> holder = pg::Connection::Connect(dsn);
  ASSERT_TRUE(holder.ok()) << holder.status();
  ASSERT_TRUE(holder->Execute("BEGIN").ok());
  ASSERT_TRUE(holder->Query("SELECT pg_current_xact_id()").ok());
  // A's reply waits for its own copy, which the held horizon holds back too.
  std::string token;
  std::thread writer([&] { token = Seed(*stub_a, 3, 300); });
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), Status::NOT_SERVING);

  ASSERT_TRUE(holder->Execute("ROLLBACK").ok());
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), Status::SERVING);
  writer.join();
  auto stub_b = Connect(b);
  EXPECT_GT(Kpis(*stub_b).current().orders(), 0);
  EXPECT_TRUE(MessageDifferencer::Equals(Kpis(*stub_b, token), Kpis(*stub_a)));
  watch_context.TryCancel();
}

TEST(PgServers, AReplicaKilledAndStartedAgainCatchesUpExactly) {
  const std::string dsn = Postgres::Shared().NewDatabase();
  ServerProcess a(ServerArgs(dsn, "columnar"));
  ServerProcess c(ServerArgs(dsn, "sql"));
  auto stub_a = Connect(a);
  auto stub_c = Connect(c);
  Seed(*stub_a, 1, 2000);
  std::string token;
  {
    ServerProcess b(ServerArgs(dsn, "columnar"));
    auto stub_b = Connect(b);
    token = Seed(*stub_a, 2, 1000);
    EXPECT_TRUE(MessageDifferencer::Equals(Kpis(*stub_b, token), Kpis(*stub_c)));
    b.StopWith(SIGKILL);
  }
  // Writes while B is down, then B again: it loads a fresh snapshot and
  // follows from there.
  token = Seed(*stub_a, 3, 1500);
  ServerProcess b(ServerArgs(dsn, "columnar"));
  auto stub_b = Connect(b);
  token = Seed(*stub_a, 4, 500);
  EXPECT_TRUE(MessageDifferencer::Equals(Kpis(*stub_b, token), Kpis(*stub_c)));
  ExpectSameAnswers(*stub_b, *stub_c);
  ExpectSameAnswers(*stub_a, *stub_c);
}

// One long write stream of 60,000 new lines (keys r0.., each of revenue 1)
// on a real channel: the first 40,000 go out, then the rest with the
// stream's end, so the write cannot commit before the second part.
class LongWrite {
 public:
  virtual ~LongWrite() = default;
  // False when the server already ended the call.
  virtual bool SendFirstPart() = 0;
  // Sends the rest and the end (unless the call already ended); the status.
  virtual grpc::Status SendRestAndFinish() = 0;
  virtual bool Committed() const = 0;

 protected:
  static constexpr int kFirst = 40'000;
  static constexpr int kAll = 60'000;
  // Line i's fields: order Oi on one of nine November days, customer Xi%700.
  static std::string Day(int i) { return "2026-11-0" + std::to_string(1 + i % 9); }
  static std::string Customer(int i) { return "X" + std::to_string(i % 700); }
};

// ImportCsv, told the encoding and date order so lines are written while
// the file arrives, in 64 KiB chunks.
class ImportCsvWrite final : public LongWrite {
 public:
  explicit ImportCsvWrite(v1::AnalyticsService::Stub& stub) {
    Prepare(context_);
    writer_ = stub.ImportCsv(&context_, &response_);
  }
  bool SendFirstPart() override {
    v1::ImportCsvRequest options;
    options.mutable_options()->set_encoding(v1::ENCODING_UTF8);
    options.mutable_options()->set_date_order(v1::DATE_ORDER_YMD);
    return writer_->Write(options) &&
           Send("Row ID,Order ID,Order Date,Customer ID,Sales,Profit\n" + Csv(0, kFirst));
  }
  grpc::Status SendRestAndFinish() override {
    if (Send(Csv(kFirst, kAll))) testing::EndStream(*writer_);
    return writer_->Finish();
  }
  bool Committed() const override { return response_.committed(); }

 private:
  static std::string Csv(int from, int to) {
    std::string csv;
    for (int i = from; i < to; ++i) {
      csv += "r" + std::to_string(i) + ",O" + std::to_string(i) + "," + Day(i) + "," + Customer(i) +
             ",1,0\n";
    }
    return csv;
  }
  bool Send(const std::string& csv) {
    for (std::size_t pos = 0; pos < csv.size(); pos += 65536) {
      v1::ImportCsvRequest chunk;
      chunk.set_chunk(csv.substr(pos, 65536));
      if (!writer_->Write(chunk)) return false;
    }
    return true;
  }
  grpc::ClientContext context_;
  v1::ImportCsvResponse response_;
  std::unique_ptr<grpc::ClientWriter<v1::ImportCsvRequest>> writer_;
};

// IngestTransactions, in messages of 5,000 lines.
class IngestWrite final : public LongWrite {
 public:
  explicit IngestWrite(v1::AnalyticsService::Stub& stub) {
    Prepare(context_);
    writer_ = stub.IngestTransactions(&context_, &response_);
  }
  bool SendFirstPart() override { return Send(0, kFirst); }
  grpc::Status SendRestAndFinish() override {
    if (Send(kFirst, kAll)) testing::EndStream(*writer_);
    return writer_->Finish();
  }
  bool Committed() const override { return response_.inserted() > 0; }

 private:
  bool Send(int from, int to) {
    for (int message = from; message < to; message += 5000) {
      v1::IngestTransactionsRequest request;
      for (int i = message; i < std::min(message + 5000, to); ++i) {
        v1::OrderLine* line = request.add_lines();
        line->set_line_id("r" + std::to_string(i));
        line->set_order_id("O" + std::to_string(i));
        line->set_order_date(Day(i));
        line->set_customer_id(Customer(i));
        line->set_sales(1);
        line->set_quantity(1);
      }
      if (!writer_->Write(request)) return false;
    }
    return true;
  }
  grpc::ClientContext context_;
  v1::IngestTransactionsResponse response_;
  std::unique_ptr<grpc::ClientWriter<v1::IngestTransactionsRequest>> writer_;
};

// One new line (revenue 12.5, its own order) written through `stub`; the
// reply's consistency token.
std::string IngestOne(v1::AnalyticsService::Stub& stub, const std::string& key) {
  grpc::ClientContext context;
  Prepare(context);
  v1::IngestTransactionsResponse ingested;
  auto ingest = stub.IngestTransactions(&context, &ingested);
  v1::IngestTransactionsRequest request;
  v1::OrderLine* line = request.add_lines();
  line->set_line_id(key);
  line->set_order_id("O-" + key);
  line->set_order_date("2026-11-20");
  line->set_customer_id("X-" + key);
  line->set_sales(12.5);
  line->set_quantity(1);
  EXPECT_TRUE(ingest->Write(request));
  testing::EndStream(*ingest);
  const grpc::Status status = ingest->Finish();
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(ingested.inserted(), 1);
  return ingested.consistency_token();
}

// `after` is `before` plus exactly one IngestOne line.
void ExpectOneMoreLine(const v1::GetKpisResponse& before, const v1::GetKpisResponse& after) {
  EXPECT_EQ(after.current().revenue_micros(), before.current().revenue_micros() + 12'500'000);
  EXPECT_EQ(after.current().orders(), before.current().orders() + 1);
}

// Each server's health Watch reaches SERVING within the deadline (a
// replica's readiness follows its staleness, which an outage raises).
void ExpectServing(std::initializer_list<const ServerProcess*> servers) {
  for (const ServerProcess* server : servers) {
    auto health = grpc::health::v1::Health::NewStub(
        grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext watch_context;
    Prepare(watch_context);
    auto watch = health->Watch(&watch_context, grpc::health::v1::HealthCheckRequest());
    grpc::health::v1::HealthCheckResponse update;
    bool serving = false;
    while (!serving && watch->Read(&update)) {
      serving = update.status() == grpc::health::v1::HealthCheckResponse::SERVING;
    }
    EXPECT_TRUE(serving) << server->address();
    watch_context.TryCancel();
    watch->Finish().IgnoreError();
  }
}

// pg_terminate_backend on every session the servers hold on `database`,
// told by the name the service gives its sessions (pg::Connection). The
// timeout makes each call wait until that backend has exited, so its FATAL
// message and end of file are on the server's socket when this returns.
// Asserts it ended each server's follower (LISTEN) session, `followers` in
// all, and at least `pool_sessions` pooled ones.
void TerminateServiceSessions(pg::Connection& connection, const std::string& database,
                              int followers, int pool_sessions) {
  const std::array<pg::Param, 1> name = {database};
  absl::StatusOr<pg::Result> ended = connection.Query(
      "SELECT application_name, pg_terminate_backend(pid, 20000) FROM pg_stat_activity"
      " WHERE datname = $1 AND application_name LIKE 'analytics-server%'"
      " AND pid <> pg_backend_pid()",
      name);
  ASSERT_TRUE(ended.ok()) << ended.status();
  int follower_count = 0;
  int pool_count = 0;
  for (int row = 0; row < ended->rows(); ++row) {
    EXPECT_EQ(ended->Text(row, 1), "t") << "backend still running";
    (ended->Text(row, 0) == "analytics-server follower" ? follower_count : pool_count) += 1;
  }
  EXPECT_EQ(follower_count, followers);
  EXPECT_GE(pool_count, pool_sessions);
  std::cout << "terminated " << follower_count << " follower and " << pool_count
            << " pooled sessions" << std::endl;
}

// A fault against PostgreSQL while a long write is half sent: `watcher` is
// the test's own session on `database` (it may be lost by the fault).
// A columnar server A and an SQL-engine server C on one fresh database,
// seeded through A (SeedThroughA: C answers the same KPIs once it has the
// seed's token), for the fault tests below.
struct SeededPair {
  SeededPair()
      : dsn(Postgres::Shared().NewDatabase()),
        database(dsn.substr(dsn.rfind('/') + 1)),
        a(ServerArgs(dsn, "columnar")),
        c(ServerArgs(dsn, "sql")),
        stub_a(Connect(a)),
        stub_c(Connect(c)) {}
  void SeedThroughA(int seed, int lines) {
    const std::string seeded = Seed(*stub_a, seed, lines);
    before = Kpis(*stub_a);
    ASSERT_GT(before.current().revenue_micros(), 0);
    ASSERT_TRUE(MessageDifferencer::Equals(Kpis(*stub_c, seeded), before));
  }
  const std::string dsn;
  const std::string database;  // the name in dsn
  ServerProcess a;
  ServerProcess c;
  std::unique_ptr<v1::AnalyticsService::Stub> stub_a;
  std::unique_ptr<v1::AnalyticsService::Stub> stub_c;
  v1::GetKpisResponse before;  // KPIs after the seed
};

using MidWriteFault = std::function<void(pg::Connection& watcher, const std::string& database)>;

// A fault under a write in flight, against running server processes: a
// long write is half sent, and its lines are already inside the server's
// open transaction (pg_stat_progress_copy counts them), when `fault`
// strikes (PostgreSQL restarted, or the service's sessions terminated).
// The call ends UNAVAILABLE with a message that names no SQL and quotes no
// libpq text; nothing of it is visible, neither in the replica's columnar
// copy (A) nor in PostgreSQL (C answers by SQL); both servers, never
// restarted, then answer reads, take a new write that both see, and are
// SERVING.
void ExpectFaultMidWriteFailsItCleanly(
    const std::function<std::unique_ptr<LongWrite>(v1::AnalyticsService::Stub&)>& start,
    const MidWriteFault& fault) {
  SeededPair pair;
  ASSERT_NO_FATAL_FAILURE(pair.SeedThroughA(5, 500));

  std::unique_ptr<LongWrite> write = start(*pair.stub_a);
  ASSERT_TRUE(write->SendFirstPart());
  {
    // Wait (for observable state, with a deadline) until the server's COPY
    // has taken lines of this stream inside its transaction.
    absl::StatusOr<pg::Connection> watcher = pg::Connection::Connect(pair.dsn);
    ASSERT_TRUE(watcher.ok()) << watcher.status();
    const std::array<pg::Param, 1> name = {pair.database};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::int64_t copied = 0;
    while (copied == 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no COPY in progress";
      absl::StatusOr<pg::Result> progress = watcher->Query(
          "SELECT COALESCE(MAX(tuples_processed), 0) FROM pg_stat_progress_copy"
          " WHERE datname = $1",
          name);
      ASSERT_TRUE(progress.ok()) << progress.status();
      copied = progress->Int(0, 0);
    }
    std::cout << "fault with " << copied << " lines in the open COPY" << std::endl;
    fault(*watcher, pair.database);
    if (::testing::Test::HasFatalFailure()) return;
  }

  // The rest and the end: the server fails the call instead of committing.
  const grpc::Status failed = write->SendRestAndFinish();
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE) << failed.error_message();
  EXPECT_FALSE(write->Committed());
  EXPECT_NE(failed.error_message().find("nothing of this write was stored"), std::string::npos)
      << failed.error_message();
  for (const char* internal :
       {"COPY", "copy", "staged_lines", "INSERT", "SELECT", "SQLSTATE", "57P01", "terminating",
        "terminate", "administrator", "server closed", "connection to server", "PQ",
        "postgresql://", "127.0.0.1"}) {
    EXPECT_EQ(failed.error_message().find(internal), std::string::npos)
        << internal << " in: " << failed.error_message();
  }
  std::cout << "the write ended " << failed.error_code() << ": " << failed.error_message()
            << std::endl;

  // Nothing of it anywhere, exactly: the same answers as before, from the
  // replica's copy and from SQL on PostgreSQL.
  EXPECT_TRUE(MessageDifferencer::Equals(Kpis(*pair.stub_a), pair.before));
  EXPECT_TRUE(MessageDifferencer::Equals(Kpis(*pair.stub_c), pair.before));

  // The same processes take a new write, and both see it.
  const std::string token = IngestOne(*pair.stub_a, "after-fault");
  const v1::GetKpisResponse after = Kpis(*pair.stub_a);
  ExpectOneMoreLine(pair.before, after);
  EXPECT_TRUE(MessageDifferencer::Equals(Kpis(*pair.stub_c, token), after));
  ExpectServing({&pair.a, &pair.c});
}

void RestartPostgres(pg::Connection&, const std::string&) { Postgres::Shared().Restart(); }

// Every session of the servers, the writer's in its COPY among them: A's
// follower, A's writing session, C's pooled one (from its read) at least.
void TerminateMidWrite(pg::Connection& watcher, const std::string& database) {
  TerminateServiceSessions(watcher, database, /*followers=*/1, /*pool_sessions=*/2);
}

TEST(PgServers, PostgresRestartedMidImportFailsItCleanlyAndTheServersReconnect) {
  ExpectFaultMidWriteFailsItCleanly(
      [](v1::AnalyticsService::Stub& stub) { return std::make_unique<ImportCsvWrite>(stub); },
      RestartPostgres);
}

TEST(PgServers, PostgresRestartedMidIngestFailsItCleanlyAndTheServersReconnect) {
  ExpectFaultMidWriteFailsItCleanly(
      [](v1::AnalyticsService::Stub& stub) { return std::make_unique<IngestWrite>(stub); },
      RestartPostgres);
}

// pg_terminate_backend on the service's sessions (issue 13's fault test)
// under an ImportCsv in flight: the same outcome as a restart.
TEST(PgServers, SessionsTerminatedMidImportFailItCleanlyAndTheServersReconnect) {
  ExpectFaultMidWriteFailsItCleanly(
      [](v1::AnalyticsService::Stub& stub) { return std::make_unique<ImportCsvWrite>(stub); },
      TerminateMidWrite);
}

// pg_terminate_backend on every session of both servers with no write in
// flight (A's follower, which LISTENs, among them). No read fails, not even
// the first: idle pooled sessions whose server ended them are dropped on
// Acquire (pg::Pool), and the terminate calls wait until each backend has
// gone. A write on C (SQL) is then read on A with its token, which needs
// A's follower to have reconnected and caught up; a write on A is read on
// C; both SERVING.
TEST(PgServers, SessionsTerminatedWhileIdleAndTheServersServeAtOnce) {
  SeededPair pair;
  ASSERT_NO_FATAL_FAILURE(pair.SeedThroughA(6, 500));
  {
    absl::StatusOr<pg::Connection> killer = pg::Connection::Connect(pair.dsn);
    ASSERT_TRUE(killer.ok()) << killer.status();
    // A's follower; A's pooled session (its seed) and C's (its read).
    TerminateServiceSessions(*killer, pair.database, /*followers=*/1, /*pool_sessions=*/2);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // The first reads, on each server, succeed (Kpis fails the test if not).
  EXPECT_TRUE(MessageDifferencer::Equals(Kpis(*pair.stub_c), pair.before));
  EXPECT_TRUE(MessageDifferencer::Equals(Kpis(*pair.stub_a), pair.before));
  ExpectSameAnswers(*pair.stub_a, *pair.stub_c);

  const std::string on_c = IngestOne(*pair.stub_c, "written-on-c");
  const v1::GetKpisResponse after_c = Kpis(*pair.stub_a, on_c);
  ExpectOneMoreLine(pair.before, after_c);
  EXPECT_TRUE(MessageDifferencer::Equals(Kpis(*pair.stub_c), after_c));
  const std::string on_a = IngestOne(*pair.stub_a, "written-on-a");
  const v1::GetKpisResponse after_a = Kpis(*pair.stub_a);
  ExpectOneMoreLine(after_c, after_a);
  EXPECT_TRUE(MessageDifferencer::Equals(Kpis(*pair.stub_c, on_a), after_a));
  ExpectServing({&pair.a, &pair.c});
}

// A rolling restart of one replica under read load: a client balancing over
// both (round_robin, retries on UNAVAILABLE: client/replicas.h) fails no
// call while B drains, is down and comes back on its address.
TEST(PgServers, ARollingRestartFailsNoCallOfABalancingClient) {
  const std::string dsn = Postgres::Shared().NewDatabase();
  ServerProcess a(ServerArgs(dsn, "columnar"));
  auto b = std::make_unique<ServerProcess>(ServerArgs(dsn, "columnar"));
  const std::string b_address = b->address();
  Seed(*Connect(a), 1, 3000);
  auto channel = customer_analytics::CreateReplicaChannel({a.address(), b_address});
  auto stub = v1::AnalyticsService::NewStub(channel);
  std::atomic<bool> done{false};
  std::atomic<int> calls{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        grpc::ClientContext context;
        Prepare(context);
        v1::GetKpisRequest request;
        v1::GetKpisResponse response;
        const grpc::Status status = stub->GetKpis(&context, request, &response);
        ++calls;
        if (!status.ok()) {
          ++failed;
          ADD_FAILURE() << status.error_code() << " " << status.error_message();
        }
      }
    });
  }
  // Wait (by calls made, not by time) until the load runs, then roll B.
  while (calls.load() < 200) std::this_thread::yield();
  EXPECT_EQ(WEXITSTATUS(b->StopWith(SIGTERM)), 0);
  const int while_down = calls.load();
  while (calls.load() < while_down + 200) std::this_thread::yield();
  std::vector<std::string> args = ServerArgs(dsn, "columnar");
  args.insert(args.end(), {"--listen", b_address});
  b = std::make_unique<ServerProcess>(args);
  const int restarted = calls.load();
  while (calls.load() < restarted + 400) std::this_thread::yield();
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(failed.load(), 0) << "of " << calls.load() << " calls";
  std::cout << "rolling restart: " << calls.load() << " calls, " << failed.load() << " failed"
            << std::endl;
}

}  // namespace
}  // namespace analytics
