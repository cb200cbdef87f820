// The client library itself against a real analytics-server: status
// conversion, deadlines and their per-call override, batching of ingest
// streams, chunked CSV import with progress, and abandoned streams.
#include "customer_analytics/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "grpcpp/create_channel.h"
#include "support/process.h"

namespace {

namespace v1 = ::customer_analytics::v1;
using ::analytics::testing::ServerBinary;
using ::analytics::testing::ServerProcess;
using ::customer_analytics::AnalyticsClient;
using ::customer_analytics::CallOptions;
using ::customer_analytics::ClientOptions;
using ::testing::HasSubstr;

TEST(FromGrpcStatusTest, KeepsCodeAndMessage) {
  const absl::Status status = customer_analytics::FromGrpcStatus(
      grpc::Status(grpc::StatusCode::NOT_FOUND, "no such thing"));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such thing");
  EXPECT_TRUE(customer_analytics::FromGrpcStatus(grpc::Status::OK).ok());
  EXPECT_EQ(customer_analytics::FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, ""))
                .code(),
            absl::StatusCode::kUnauthenticated);
}

// Nothing listens on port 1, so only the deadline can end a wait-for-ready call.
TEST(DeadlineTest, PerCallTimeoutOverridesTheDefault) {
  ClientOptions options;
  options.default_timeout = std::chrono::hours(1);
  const AnalyticsClient client("127.0.0.1:1", options);
  CallOptions call;
  call.timeout = std::chrono::milliseconds(100);
  call.wait_for_ready = true;
  const auto kpis = client.GetKpis({}, call);
  EXPECT_EQ(kpis.status().code(), absl::StatusCode::kDeadlineExceeded);
  // Without wait-for-ready the same call fails fast instead.
  EXPECT_EQ(client.GetKpis({}).status().code(), absl::StatusCode::kUnavailable);
}

TEST(DeadlineTest, DefaultTimeoutApplies) {
  ClientOptions options;
  options.default_timeout = std::chrono::milliseconds(100);
  const AnalyticsClient client("127.0.0.1:1", options);
  CallOptions wait;
  wait.wait_for_ready = true;
  EXPECT_EQ(client.ListCustomers({}, wait).status().code(), absl::StatusCode::kDeadlineExceeded);
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ServerBinary().empty()) GTEST_SKIP() << "analytics-server is not built in this tree";
    server_ = std::make_unique<ServerProcess>();
    client_ = std::make_unique<AnalyticsClient>(server_->address());
  }

  static v1::OrderLine Line(const std::string& order, const std::string& customer, double sales) {
    v1::OrderLine line;
    line.set_order_id(order);
    line.set_order_date("2024-03-01");
    line.set_customer_id(customer);
    line.set_sales(sales);
    line.set_quantity(1);
    return line;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<AnalyticsClient> client_;
};

TEST_F(ClientTest, SeedThenQueryEveryReadRpc) {
  v1::SeedDemoDataRequest seed;
  seed.set_seed(3);
  seed.set_end_date("2024-06-30");
  const auto seeded = client_->SeedDemoData(seed);
  ASSERT_TRUE(seeded.ok()) << seeded.status();
  EXPECT_EQ(seeded->total_lines(), 1500);

  const auto kpis = client_->GetKpis({});
  ASSERT_TRUE(kpis.ok()) << kpis.status();
  v1::GetBreakdownRequest breakdown;
  breakdown.set_dimension(v1::DIMENSION_REGION);
  const auto regions = client_->GetBreakdown(breakdown);
  ASSERT_TRUE(regions.ok()) << regions.status();
  EXPECT_EQ(regions->total().revenue_micros(), kpis->current().revenue_micros());
  EXPECT_TRUE(client_->GetSalesTrend({}).ok());
  EXPECT_TRUE(client_->GetRfmSummary({}).ok());
  const auto customers = client_->ListCustomers({});
  ASSERT_TRUE(customers.ok()) << customers.status();
  ASSERT_GT(customers->customers_size(), 0);
  v1::GetCustomerRequest one;
  one.set_customer_id(customers->customers(0).customer_id());
  const auto customer = client_->GetCustomer(one);
  ASSERT_TRUE(customer.ok()) << customer.status();
  EXPECT_EQ(customer->customer().customer_id(), one.customer_id());

  // A copy shares the channel and works the same.
  const AnalyticsClient copy = *client_;
  EXPECT_EQ(copy.channel(), client_->channel());
  EXPECT_TRUE(copy.GetKpis({}).ok());
}

TEST_F(ClientTest, ServerErrorsKeepTheirCodeAndMessage) {
  v1::GetCustomerRequest request;
  request.set_customer_id("NOBODY");
  const auto customer = client_->GetCustomer(request);
  EXPECT_EQ(customer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(customer.status().message(), HasSubstr("NOBODY"));
}

TEST_F(ClientTest, IngestSpanIsSentInBatchesOnOneStream) {
  std::vector<v1::OrderLine> lines;
  for (int i = 0; i < 25; ++i) lines.push_back(Line("O-" + std::to_string(i), "C-SPAN", 1.25));
  const auto response = client_->IngestTransactions(lines, /*batch_size=*/4);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->accepted(), 25);
  EXPECT_EQ(response->inserted(), 25);
  v1::GetCustomerRequest request;
  request.set_customer_id("C-SPAN");
  const auto customer = client_->GetCustomer(request);
  ASSERT_TRUE(customer.ok()) << customer.status();
  EXPECT_EQ(customer->customer().lifetime_revenue_micros(), 25 * 1'250'000);
}

TEST_F(ClientTest, FailingSourceAbandonsTheStreamAndNothingIsWritten) {
  int calls = 0;
  const auto response = client_->IngestTransactions(
      [&](v1::IngestTransactionsRequest& batch) -> absl::StatusOr<bool> {
        if (++calls == 3) return absl::DataLossError("input broke");
        *batch.add_lines() = Line("ABANDON-" + std::to_string(calls), "C-ABANDON", 5);
        return true;
      });
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(response.status().message(), "input broke");
  v1::GetCustomerRequest request;
  request.set_customer_id("C-ABANDON");
  EXPECT_EQ(client_->GetCustomer(request).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, ImportCsvFromAStreamInChunksWithProgress) {
  std::string csv = "Order ID,Order Date,Customer ID,Sales\n";
  for (int i = 0; i < 40; ++i) csv += "IMP-" + std::to_string(i) + ",2024-04-02,C-IMPORT,2.5\n";
  std::istringstream in(csv);
  std::vector<std::int64_t> progress;
  v1::ImportCsvOptions options;
  options.set_date_order(v1::DATE_ORDER_YMD);
  const auto response = client_->ImportCsv(
      in, options, [&](std::int64_t bytes) { progress.push_back(bytes); }, {},
      /*chunk_bytes=*/100);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(response->committed());
  EXPECT_EQ(response->lines_read(), 40);
  EXPECT_EQ(response->accepted(), 40);
  ASSERT_EQ(progress.size(), (csv.size() + 99) / 100);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.back(), static_cast<std::int64_t>(csv.size()));
}

TEST_F(ClientTest, ImportCsvFromAChunkSourceHonoursOptions) {
  const std::vector<std::string> chunks = {"Order ID,Order Date,Customer ID,Sales\n",
                                           "DRY-1,2024-04-02,C-DRY,1\n"};
  std::size_t next = 0;
  v1::ImportCsvOptions options;
  options.set_dry_run(true);
  const auto response = client_->ImportCsv(
      [&](std::string& chunk) -> absl::StatusOr<bool> {
        if (next == chunks.size()) return false;
        chunk = chunks[next++];
        return true;
      },
      options);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->committed());
  EXPECT_EQ(response->accepted(), 1);
  v1::GetCustomerRequest request;
  request.set_customer_id("C-DRY");
  EXPECT_EQ(client_->GetCustomer(request).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, ChannelConstructorAndMetadata) {
  const AnalyticsClient client(
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  CallOptions call;
  call.metadata = {{"x-request-id", "client-test"}};
  EXPECT_TRUE(client.GetRfmSummary({}, call).ok());
}

}  // namespace
