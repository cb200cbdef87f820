// The limits, each against the real server with the flag set low: one writer
// at a time (a second write waits its bound, then ABORTED), deadlines and
// cancellation stop a write and free the gate, the largest message, the page
// size cap, lines per ingest message, and concurrent streams per connection.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "security/security_support.h"

namespace analytics {
namespace {

using namespace security_testing;  // NOLINT: test helpers

grpc::StatusCode Seed(v1::AnalyticsService::Stub& stub, int seconds = 30) {
  v1::SeedDemoDataRequest request;
  request.set_line_count(20);
  request.set_customer_count(5);
  request.set_end_date("2024-06-30");
  v1::SeedDemoDataResponse response;
  return stub.SeedDemoData(Context("", seconds).get(), request, &response).error_code();
}

TEST(WriteLimitsTest, ASecondWriterWaitsItsBoundThenGetsAborted) {
  TempDir dir;
  ServerProcess server(LogFile{dir.File("log")}, {"--write-wait-ms", "200"});
  auto stub = Stub(server.address());
  const CsvFixture big = CsvFixture::Make(120'000, "B");

  // The first import holds the gate while it streams.
  std::unique_ptr<grpc::ClientContext> context = Context("", 300);
  v1::ImportCsvResponse first;
  auto writer = stub->ImportCsv(context.get(), &first);
  const std::optional<std::size_t> sent =
      StreamUntilSpooled(*writer, big.csv, server.pid(), 1 << 20);
  ASSERT_TRUE(sent.has_value());

  grpc::Status second = Ingest(*stub, {SimpleLine("x1", "East", 5)});
  EXPECT_EQ(second.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_NE(second.error_message().find("another write is in progress"), std::string::npos)
      << second.error_message();
  EXPECT_EQ(Seed(*stub), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ImportCsv(*stub, CsvFixture::Make(5, "S").csv).error_code(), grpc::StatusCode::ABORTED);
  // Reads are not held up by the write in progress.
  v1::GetKpisResponse kpis;
  ASSERT_TRUE(stub->GetKpis(Context().get(), {}, &kpis).ok());
  EXPECT_EQ(kpis.current().revenue_micros(), 0);

  // The first writer is unaffected: it sends the rest and commits it all.
  v1::ImportCsvRequest rest;
  rest.set_chunk(big.csv.substr(std::min(*sent, big.csv.size())));
  ASSERT_TRUE(writer->Write(rest));
  testing::EndStream(*writer);
  const grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(first.committed());
  EXPECT_EQ(first.accepted(), big.lines);
  ASSERT_TRUE(stub->GetKpis(Context().get(), {}, &kpis).ok());
  EXPECT_EQ(kpis.current().revenue_micros(), big.revenue_micros);
  // Once it is done, the next writer goes ahead.
  EXPECT_EQ(Ingest(*stub, {SimpleLine("x1", "East", 5)}).error_code(), grpc::StatusCode::OK);
}

TEST(WriteLimitsTest, AnExpiredOrCancelledWriteStopsAndFreesTheGate) {
  TempDir dir;
  ServerProcess server(LogFile{dir.File("log")}, {"--write-wait-ms", "60000"});
  auto stub = Stub(server.address());
  // A never-ending import with a short deadline: the server stops it.
  {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
    v1::ImportCsvResponse response;
    auto writer = stub->ImportCsv(context.get(), &response);
    v1::ImportCsvRequest request;
    request.set_chunk(CsvFixture::Make(10, "D").csv);
    while (writer->Write(request)) request.set_chunk("");  // until the deadline breaks it
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  // Never-ending ingests cut by their deadline, many times: a cancel can
  // reach the server as a plain end of stream, and must still write nothing.
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
    v1::IngestTransactionsResponse response;
    auto writer = stub->IngestTransactions(context.get(), &response);
    v1::IngestTransactionsRequest request;
    *request.add_lines() = SimpleLine(absl::StrCat("e", attempt), "East", 1);
    while (writer->Write(request)) {
    }
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  // A cancelled ingest.
  {
    grpc::ClientContext context;
    v1::IngestTransactionsResponse response;
    auto writer = stub->IngestTransactions(&context, &response);
    v1::IngestTransactionsRequest request;
    *request.add_lines() = SimpleLine("c1", "East", 1);
    ASSERT_TRUE(writer->Write(request));
    context.TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // Neither wrote anything, and the gate is free again: with a 60 s bound a
  // held gate would show as a deadline failure here.
  v1::SeedDemoDataRequest seed;
  seed.set_line_count(20);
  seed.set_customer_count(5);
  seed.set_end_date("2024-06-30");
  v1::SeedDemoDataResponse seeded;
  const grpc::Status status = stub->SeedDemoData(Context("", 20).get(), seed, &seeded);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(seeded.total_lines(), 20) << "the expired or cancelled writes wrote something";
}

// Writers waiting for the gate wait on threads of their own: gRPC runs every
// reaction on a few callback threads, and waiters blocking those starved
// every other call — reads, and the very import holding the gate.
TEST(WriteLimitsTest, WritersWaitingForTheGateDoNotHoldUpOtherCalls) {
  TempDir dir;
  // The waiters are counted by the analytics_write_waiters gauge, not by
  // what the writers are told.
  const std::string log = dir.File("log");
  ServerProcess server(LogFile{log},
                       {"--write-wait-ms", "60000", "--max-write-waiters", "4",
                        "--stream-idle-timeout", "600s", "--metrics-listen", "127.0.0.1:0"});
  const int metrics_port = LoggedMetricsPort(log);
  ASSERT_GT(metrics_port, 0) << ReadFile(log);
  auto stub = Stub(server.address());
  // An import holds the gate while its stream stays open: once the server
  // spools it, it holds the gate (a write waiting for the gate reads
  // nothing). A seed sent to find out would not do: the seed may take the
  // gate first and leave the import waiting.
  std::unique_ptr<grpc::ClientContext> context = Context("", 300);
  v1::ImportCsvResponse imported;
  auto holder = stub->ImportCsv(context.get(), &imported);
  const CsvFixture csv = CsvFixture::Make(20'000, "H");
  const std::optional<std::size_t> sent =
      StreamUntilSpooled(*holder, csv.csv, server.pid(), 256 << 10);
  ASSERT_TRUE(sent.has_value());
  // Four writers wait: two seeds and two imports (more than gRPC has
  // callback threads on a small machine). A writer refused because too many
  // wait already retries, as told.
  std::vector<std::thread> waiters;
  std::vector<grpc::StatusCode> codes(4, grpc::StatusCode::UNKNOWN);
  const auto until_admitted = [](const std::function<grpc::StatusCode()>& write) {
    grpc::StatusCode code;
    do {
      code = write();
    } while (code == grpc::StatusCode::ABORTED);
    return code;
  };
  for (int i = 0; i < 2; ++i) {
    waiters.emplace_back([&, i] { codes[i] = until_admitted([&] { return Seed(*stub, 120); }); });
    waiters.emplace_back([&, i] {
      codes[2 + i] = until_admitted([&] {
        return ImportCsv(*stub, CsvFixture::Make(5, absl::StrCat("W", i)).csv).error_code();
      });
    });
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  // Each scrape is a round trip; no sleeping.
  bool all_waiting = false;
  while (!all_waiting && std::chrono::steady_clock::now() < give_up) {
    all_waiting = ScrapeGauge(metrics_port, "analytics_write_waiters") == 4.0;
  }
  EXPECT_TRUE(all_waiting) << "the writers never all waited";  // the rest still cleans up
  // Reads are answered meanwhile...
  v1::GetKpisResponse kpis;
  const grpc::Status read = stub->GetKpis(Context("", 10).get(), {}, &kpis);
  EXPECT_TRUE(read.ok()) << read.error_code() << " " << read.error_message();
  // ...and the holder finishes its import, after which each waiter runs.
  v1::ImportCsvRequest rest;
  rest.set_chunk(csv.csv.substr(std::min(*sent, csv.csv.size())));
  EXPECT_TRUE(holder->Write(rest));
  testing::EndStream(*holder);
  const grpc::Status held = holder->Finish();
  EXPECT_TRUE(held.ok()) << held.error_message();
  EXPECT_TRUE(imported.committed());
  for (std::thread& waiter : waiters) waiter.join();
  for (const grpc::StatusCode code : codes) EXPECT_EQ(code, grpc::StatusCode::OK);
}

TEST(MessageLimitsTest, LargestMessagePageSizeAndLinesPerMessage) {
  TempDir dir;
  ServerProcess server(LogFile{dir.File("log")},
                       {"--max-receive-message-bytes", "65536", "--max-page-size", "10",
                        "--max-lines-per-ingest-message", "3"});
  auto stub = Stub(server.address());
  // A request past the message limit never reaches a handler.
  v1::GetCustomerRequest huge;
  huge.set_customer_id(std::string(70'000, 'x'));
  v1::GetCustomerResponse customer;
  EXPECT_EQ(stub->GetCustomer(Context().get(), huge, &customer).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  v1::ListCustomersRequest list;
  v1::ListCustomersResponse page;
  list.set_page_size(11);
  EXPECT_EQ(stub->ListCustomers(Context().get(), list, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  list.set_page_size(10);
  EXPECT_TRUE(stub->ListCustomers(Context().get(), list, &page).ok());

  std::vector<v1::OrderLine> four;
  for (int i = 0; i < 4; ++i) four.push_back(SimpleLine(absl::StrCat("l", i), "East", 1));
  EXPECT_EQ(Ingest(*stub, four).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  four.pop_back();
  EXPECT_EQ(Ingest(*stub, four).error_code(), grpc::StatusCode::OK);
}

TEST(StreamLimitsTest, ConcurrentStreamsPerConnectionAreCapped) {
  TempDir dir;
  ServerProcess server(LogFile{dir.File("log")}, {"--max-concurrent-streams", "1"});
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  auto stub = v1::AnalyticsService::NewStub(channel);
  v1::GetKpisResponse kpis;
  // Connect first, so the client has the server's SETTINGS (the cap).
  ASSERT_TRUE(stub->GetKpis(Context().get(), {}, &kpis).ok());

  grpc::ClientContext stream_context;
  v1::IngestTransactionsResponse response;
  auto writer = stub->IngestTransactions(&stream_context, &response);
  v1::IngestTransactionsRequest request;
  *request.add_lines() = SimpleLine("s1", "East", 1);
  ASSERT_TRUE(writer->Write(request));

  // The one stream slot of this connection is taken: a second call waits.
  auto waiting = std::make_unique<grpc::ClientContext>();
  waiting->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  EXPECT_EQ(stub->GetKpis(waiting.get(), {}, &kpis).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  // Another connection has its own slot.
  grpc::ChannelArguments own_connection;
  own_connection.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto other = v1::AnalyticsService::NewStub(grpc::CreateCustomChannel(
      server.address(), grpc::InsecureChannelCredentials(), own_connection));
  EXPECT_TRUE(other->GetKpis(Context().get(), {}, &kpis).ok());

  testing::EndStream(*writer);
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_TRUE(stub->GetKpis(Context().get(), {}, &kpis).ok());
  EXPECT_EQ(kpis.current().orders(), 1);
}

}  // namespace
}  // namespace analytics
