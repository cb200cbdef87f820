// Real server processes on one real PostgreSQL (README "Scaling out"): two
// replicas with the columnar engine (A, B) and one answering by SQL (C, the
// reference). A client that writes on A and reads on B with the write's
// consistency token always sees its write; all three answer GetKpis,
// GetRfmSummary and ListCustomers identically; a replica SIGKILLed and
// started again catches up exactly.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
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
