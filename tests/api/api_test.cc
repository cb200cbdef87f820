// Every RPC through a real channel to the real server, on hand-computed data
// (the sample of support/sample_lines.h, sent through IngestTransactions),
// and the error codes of bad requests.
//
// ApiStoresTest runs on SQLite and on a real PostgreSQL 15
// (support/postgres.h): every case that writes or checks what was stored
// (reads on the hand-computed sample, ingest rules and idempotence, seeding,
// and the write streams that must leave nothing written: oversized,
// unreadable or cancelled; invalid UTF-8 rejecting only its line).
// SQLite-only, on purpose (ApiTest, ServerLifecycle): the bad read requests
// (validated by the API layer before any store call: the same code whatever
// the store), health, and the process's flags, signals and port; they would
// add a PostgreSQL and a server process each and test nothing of the store.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "support/postgres.h"
#include "support/process.h"
#include "support/raw_stream.h"

namespace analytics {
namespace {

namespace v1 = ::customer_analytics::v1;
using testing::ServerProcess;

v1::OrderLine Line(const char* key, const char* order, const char* date, const char* customer,
                   const char* name, const char* region, const char* category, double sales,
                   double profit, int quantity) {
  v1::OrderLine line;
  line.set_line_id(key);
  line.set_order_id(order);
  line.set_order_date(date);
  line.set_customer_id(customer);
  line.set_customer_name(name);
  line.set_segment("Consumer");
  line.set_region(region);
  line.set_category(category);
  line.set_sales(sales);
  line.set_profit(profit);
  line.set_quantity(quantity);
  return line;
}

// The hand-computed sample (see tests/support/sample_lines.h for the table).
std::vector<v1::OrderLine> SampleLines() {
  return {Line("L1", "O1", "2024-01-10", "C1", "Ann", "East", "Technology", 100.10, 20.02, 2),
          Line("L2", "O1", "2024-01-10", "C1", "Ann", "East", "Furniture", 50.005, -5.0005, 1),
          Line("L3", "O2", "2024-02-01", "C2", "Bob", "West", "Technology", 200, 40, 3),
          Line("L4", "O3", "2024-03-15", "C1", "Annie", "East", "Office Supplies", 0.0001, 0, 1),
          Line("L5", "O4", "2024-03-15", "C3", "Cy", "West", "Furniture", 300, -30, 4)};
}

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() = default;
  explicit ApiTest(std::vector<std::string> server_args) : server_(std::move(server_args)) {}

  void SetUp() override {
    channel_ = grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
    stub_ = v1::AnalyticsService::NewStub(channel_);
  }

  v1::IngestTransactionsResponse Ingest(const std::vector<std::vector<v1::OrderLine>>& batches,
                                        grpc::Status* status_out = nullptr) {
    grpc::ClientContext context;
    v1::IngestTransactionsResponse response;
    auto writer = stub_->IngestTransactions(&context, &response);
    for (const auto& batch : batches) {
      v1::IngestTransactionsRequest request;
      for (const v1::OrderLine& line : batch) *request.add_lines() = line;
      if (!writer->Write(request)) break;
    }
    testing::EndStream(*writer);
    grpc::Status status = writer->Finish();
    if (status_out != nullptr) {
      *status_out = status;
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return response;
  }

  void IngestSample() {
    const std::vector<v1::OrderLine> lines = SampleLines();
    // Two messages, so batching across a stream is exercised.
    const v1::IngestTransactionsResponse response =
        Ingest({{lines[0], lines[1]}, {lines[2], lines[3], lines[4]}});
    ASSERT_EQ(response.accepted(), 5);
    ASSERT_EQ(response.inserted(), 5);
  }

  template <typename Request, typename Response, typename Method>
  grpc::Status Call(Method call, const Request& request, Response* response) {
    grpc::ClientContext context;
    return ((*stub_).*call)(&context, request, response);
  }

  grpc::StatusCode Kpis(const v1::GetKpisRequest& request, v1::GetKpisResponse* response) {
    return Call(&v1::AnalyticsService::Stub::GetKpis, request, response).error_code();
  }

  ServerProcess server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AnalyticsService::Stub> stub_;
};

class ApiStoresTest : public ApiTest, public ::testing::WithParamInterface<std::string> {
 protected:
  ApiStoresTest() : ApiTest(testing::ServerStoreArgs(GetParam())) {}
};

INSTANTIATE_TEST_SUITE_P(Stores, ApiStoresTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST_P(ApiStoresTest, KpisAreExactOnHandComputedData) {
  IngestSample();
  v1::GetKpisResponse kpis;
  ASSERT_EQ(Kpis({}, &kpis), grpc::StatusCode::OK);
  EXPECT_EQ(kpis.current().revenue_micros(), 650'105'100);  // 650.1051
  EXPECT_EQ(kpis.current().profit_micros(), 25'019'500);    // 25.0195
  EXPECT_DOUBLE_EQ(kpis.current().revenue(), 650.1051);
  EXPECT_EQ(kpis.current().orders(), 4);
  EXPECT_EQ(kpis.current().customers(), 3);
  EXPECT_EQ(kpis.current().units(), 11);
  EXPECT_DOUBLE_EQ(kpis.current().margin(), 25.0195 / 650.1051);
  EXPECT_DOUBLE_EQ(kpis.current().average_order_value(), 650.1051 / 4);
  EXPECT_EQ(kpis.period_start_date(), "2024-01-10");
  EXPECT_EQ(kpis.period_end_date(), "2024-03-15");

  v1::GetKpisRequest request;
  request.mutable_filter()->set_start_date("2024-02-01");
  request.mutable_filter()->set_end_date("2024-03-15");
  ASSERT_EQ(Kpis(request, &kpis), grpc::StatusCode::OK);
  EXPECT_EQ(kpis.current().revenue_micros(), 500'000'100);
  EXPECT_EQ(kpis.previous_start_date(), "2023-12-19");
  EXPECT_EQ(kpis.previous().revenue_micros(), 150'105'000);
  // (500.0001 - 150.105) / 150.105 * 100
  EXPECT_NEAR(kpis.change().revenue_pct(), (500.0001 - 150.105) / 150.105 * 100, 1e-9);
  EXPECT_FALSE(kpis.change().has_units_pct() && kpis.previous().units() == 0);

  request.mutable_filter()->add_regions("North");
  ASSERT_EQ(Kpis(request, &kpis), grpc::StatusCode::OK);
  EXPECT_EQ(kpis.current().revenue_micros(), 0);
  EXPECT_EQ(kpis.current().margin(), 0);
  EXPECT_FALSE(kpis.change().has_revenue_pct());  // previous is 0 too
}

TEST_P(ApiStoresTest, BreakdownTrendRfmCustomersAndProfile) {
  IngestSample();
  v1::GetBreakdownRequest breakdown_request;
  breakdown_request.set_dimension(v1::DIMENSION_REGION);
  v1::GetBreakdownResponse breakdown;
  ASSERT_TRUE(Call(&v1::AnalyticsService::Stub::GetBreakdown, breakdown_request, &breakdown).ok());
  ASSERT_EQ(breakdown.rows_size(), 2);
  EXPECT_EQ(breakdown.rows(0).key(), "East");  // profit 15.0195 > 10
  EXPECT_EQ(breakdown.rows(0).measures().profit_micros(), 15'019'500);
  EXPECT_DOUBLE_EQ(breakdown.rows(1).revenue_share(), 500.0 / 650.1051);

  v1::GetSalesTrendRequest trend_request;
  trend_request.set_granularity(v1::GRANULARITY_MONTH);
  trend_request.mutable_filter()->set_start_date("2024-01-01");
  trend_request.mutable_filter()->set_end_date("2024-04-30");
  v1::GetSalesTrendResponse trend;
  ASSERT_TRUE(Call(&v1::AnalyticsService::Stub::GetSalesTrend, trend_request, &trend).ok());
  ASSERT_EQ(trend.buckets_size(), 4);
  EXPECT_EQ(trend.buckets(0).label(), "2024-01");
  EXPECT_EQ(trend.buckets(0).revenue_micros(), 150'105'000);
  EXPECT_EQ(trend.buckets(3).revenue_micros(), 0);  // April: empty, present as zero

  v1::GetRfmSummaryResponse summary;
  ASSERT_TRUE(
      Call(&v1::AnalyticsService::Stub::GetRfmSummary, v1::GetRfmSummaryRequest{}, &summary).ok());
  EXPECT_EQ(summary.as_of_date(), "2024-03-15");
  EXPECT_EQ(summary.customers(), 3);
  ASSERT_EQ(summary.tiers_size(), 3);
  EXPECT_EQ(summary.tiers(0).display_name(), "Gold");
  EXPECT_EQ(summary.tiers(1).customers(), 1);  // C1, two orders
  EXPECT_EQ(summary.tiers(2).customers(), 2);
  ASSERT_EQ(summary.segments_size(), 11);
  EXPECT_EQ(summary.segments(9).display_name(), "Lost");
  EXPECT_EQ(summary.segments(9).customers(), 1);  // C2: R1 F1 M2

  // Pages of one, following the tokens to the end: C3, C2, C1 by monetary.
  std::vector<std::string> ids;
  v1::ListCustomersRequest list_request;
  list_request.set_page_size(1);
  for (int page = 0; page < 10; ++page) {
    v1::ListCustomersResponse list;
    ASSERT_TRUE(Call(&v1::AnalyticsService::Stub::ListCustomers, list_request, &list).ok());
    EXPECT_EQ(list.total_size(), 3);
    for (const v1::Customer& customer : list.customers()) ids.push_back(customer.customer_id());
    if (list.next_page_token().empty()) break;
    list_request.set_page_token(list.next_page_token());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"C3", "C2", "C1"}));

  v1::GetCustomerRequest customer_request;
  customer_request.set_customer_id("C1");
  v1::GetCustomerResponse profile;
  ASSERT_TRUE(Call(&v1::AnalyticsService::Stub::GetCustomer, customer_request, &profile).ok());
  EXPECT_EQ(profile.customer().customer_name(), "Annie");
  EXPECT_EQ(profile.customer().frequency(), 2);
  EXPECT_EQ(profile.customer().recency_score(), 2);
  EXPECT_EQ(profile.customer().frequency_score(), 4);
  EXPECT_EQ(profile.customer().monetary_score(), 1);
  EXPECT_EQ(profile.customer().tier(), v1::TIER_SILVER);
  EXPECT_EQ(profile.customer().rfm_segment(), v1::RFM_SEGMENT_OTHERS);
  EXPECT_EQ(profile.customer().lifetime_revenue_micros(), 150'105'100);
  ASSERT_EQ(profile.categories_size(), 3);
  EXPECT_EQ(profile.categories(0).key(), "Technology");

  customer_request.set_customer_id("nobody");
  EXPECT_EQ(Call(&v1::AnalyticsService::Stub::GetCustomer, customer_request, &profile).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(ApiStoresTest, VipListIsGoldByMonetary) {
  IngestSample();
  v1::ListCustomersRequest request;
  request.set_tier(v1::TIER_GOLD);
  request.mutable_rfm()->mutable_thresholds()->set_gold_min_frequency(1);
  request.mutable_rfm()->mutable_thresholds()->set_gold_min_monetary(180);
  v1::ListCustomersResponse list;
  ASSERT_TRUE(Call(&v1::AnalyticsService::Stub::ListCustomers, request, &list).ok());
  ASSERT_EQ(list.customers_size(), 2);  // 300 and 200 are above 180; 150.1051 is not
  EXPECT_EQ(list.customers(0).customer_id(), "C3");
  EXPECT_EQ(list.customers(1).customer_id(), "C2");
}

TEST_P(ApiStoresTest, IngestRejectsBadLinesWithReasonsAndIsIdempotent) {
  std::vector<v1::OrderLine> lines = SampleLines();
  v1::OrderLine nan_sales = lines[0];
  nan_sales.set_line_id("bad1");
  nan_sales.set_sales(std::numeric_limits<double>::quiet_NaN());
  v1::OrderLine no_order = lines[1];
  no_order.set_line_id("bad2");
  no_order.clear_order_id();
  v1::OrderLine bad_date = lines[2];
  bad_date.set_line_id("bad3");
  bad_date.set_order_date("2024-02-30");
  lines.insert(lines.begin() + 1, nan_sales);
  lines.push_back(no_order);
  lines.push_back(bad_date);
  const v1::IngestTransactionsResponse first = Ingest({lines});
  EXPECT_EQ(first.accepted(), 5);
  EXPECT_EQ(first.rejected(), 3);
  ASSERT_EQ(first.rejected_lines_size(), 3);
  EXPECT_EQ(first.rejected_lines(0).line_number(), 2);
  EXPECT_EQ(first.rejected_lines(0).field(), "sales");
  EXPECT_EQ(first.rejected_lines(1).field(), "order_id");
  EXPECT_EQ(first.rejected_lines(2).field(), "order_date");

  const v1::IngestTransactionsResponse retry = Ingest({lines});  // a retried batch
  EXPECT_EQ(retry.inserted(), 0);
  EXPECT_EQ(retry.updated(), 5);
  v1::GetKpisResponse kpis;
  ASSERT_EQ(Kpis({}, &kpis), grpc::StatusCode::OK);
  EXPECT_EQ(kpis.current().revenue_micros(), 650'105'100);
}

TEST_P(ApiStoresTest, IngestWithoutLineIdsUsesOrderProductOccurrenceKeys) {
  std::vector<v1::OrderLine> lines = SampleLines();
  for (v1::OrderLine& line : lines) {
    line.clear_line_id();
    line.set_product_id("P");
  }
  lines.push_back(lines[0]);  // a second identical line in O1 is a second line
  EXPECT_EQ(Ingest({lines}).inserted(), 6);
  EXPECT_EQ(Ingest({lines}).inserted(), 0);  // the same stream again: same keys
}

TEST_P(ApiStoresTest, AnOversizedIngestMessageFailsTheWholeStream) {
  std::vector<v1::OrderLine> many(10'001, SampleLines()[0]);
  for (std::size_t i = 0; i < many.size(); ++i) many[i].set_line_id("k" + std::to_string(i));
  grpc::Status status;
  Ingest({SampleLines(), many}, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("lines"), std::string::npos);
  v1::GetKpisResponse kpis;
  ASSERT_EQ(Kpis({}, &kpis), grpc::StatusCode::OK);
  EXPECT_EQ(kpis.current().orders(), 0);  // the first, valid message was not written either
}

// Sends each of `messages` as one message's bytes on one IngestTransactions
// stream, then the end mark, and parses the response.
grpc::Status IngestRaw(grpc::Channel& channel, std::vector<std::string> messages,
                       v1::IngestTransactionsResponse* response) {
  messages.push_back(testing::LastMark(2));
  std::string bytes;
  const grpc::Status status = testing::RawClientStream(
      channel, "/customer_analytics.v1.AnalyticsService/IngestTransactions", messages, bytes);
  if (!bytes.empty()) {
    EXPECT_TRUE(response->ParseFromString(bytes));
  }
  return status;
}

std::string Serialized(const std::vector<v1::OrderLine>& lines) {
  v1::IngestTransactionsRequest request;
  for (const v1::OrderLine& line : lines) *request.add_lines() = line;
  return request.SerializeAsString();
}

// With a typed method, gRPC hands a message it cannot parse to the server
// as an ordinary end of stream, and the lines before it would commit.
TEST_P(ApiStoresTest, AnUnreadableIngestMessageFailsTheWholeStream) {
  const std::vector<v1::OrderLine> lines = SampleLines();
  std::string cut = Serialized({lines[2], lines[3]});
  cut.pop_back();  // the last field now runs past the message's end
  v1::IngestTransactionsResponse response;
  const grpc::Status status = IngestRaw(
      *channel_, {Serialized({lines[0], lines[1]}), cut, Serialized({lines[4]})}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("message 2 "), std::string::npos) << status.error_message();
  v1::GetKpisResponse kpis;
  ASSERT_EQ(Kpis({}, &kpis), grpc::StatusCode::OK);
  EXPECT_EQ(kpis.current().orders(), 0);  // the first, valid message was not written either
}

// Invalid UTF-8 rejects its line, naming the field; the message's other
// lines are written.
TEST_P(ApiStoresTest, InvalidUtf8RejectsItsLineNamingTheField) {
  std::vector<v1::OrderLine> lines = SampleLines();
  lines[1].set_customer_name("MARKER");
  std::string bytes = Serialized(lines);
  bytes.replace(bytes.find("MARKER"), 6, "Ann\xff\xfe!");
  v1::IngestTransactionsResponse response;
  const grpc::Status status = IngestRaw(*channel_, {bytes}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 4);
  ASSERT_EQ(response.rejected_lines_size(), 1);
  EXPECT_EQ(response.rejected_lines(0).line_number(), 2);
  EXPECT_EQ(response.rejected_lines(0).field(), "customer_name");
  EXPECT_EQ(response.rejected_lines(0).reason(), "is not valid UTF-8");
  v1::GetKpisResponse kpis;
  ASSERT_EQ(Kpis({}, &kpis), grpc::StatusCode::OK);
  EXPECT_EQ(kpis.current().orders(), 4);  // O1 still has its other line
}

TEST_P(ApiStoresTest, ACancelledIngestWritesNothing) {
  {
    grpc::ClientContext context;
    v1::IngestTransactionsResponse response;
    auto writer = stub_->IngestTransactions(&context, &response);
    v1::IngestTransactionsRequest request;
    for (const v1::OrderLine& line : SampleLines()) *request.add_lines() = line;
    ASSERT_TRUE(writer->Write(request));
    context.TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // A later call on the same connection sees no trace of it.
  v1::GetKpisResponse kpis;
  ASSERT_EQ(Kpis({}, &kpis), grpc::StatusCode::OK);
  EXPECT_EQ(kpis.current().orders(), 0);
}

TEST_P(ApiStoresTest, SeedIsDeterministicAndValidated) {
  v1::SeedDemoDataRequest seed;
  seed.set_seed(7);
  seed.set_end_date("2024-06-30");
  seed.set_replace(true);
  v1::SeedDemoDataResponse seeded;
  ASSERT_TRUE(Call(&v1::AnalyticsService::Stub::SeedDemoData, seed, &seeded).ok());
  EXPECT_EQ(seeded.lines_generated(), 1500);
  EXPECT_EQ(seeded.total_lines(), 1500);
  EXPECT_EQ(seeded.last_date(), "2024-06-30");
  v1::GetKpisResponse first;
  ASSERT_EQ(Kpis({}, &first), grpc::StatusCode::OK);
  EXPECT_EQ(first.current().customers(), 100);
  ASSERT_TRUE(Call(&v1::AnalyticsService::Stub::SeedDemoData, seed, &seeded).ok());
  EXPECT_EQ(seeded.inserted(), 1500);  // replace: everything deleted, then inserted again
  v1::GetKpisResponse second;
  ASSERT_EQ(Kpis({}, &second), grpc::StatusCode::OK);
  EXPECT_EQ(first.current().revenue_micros(), second.current().revenue_micros());
  EXPECT_EQ(first.current().profit_micros(), second.current().profit_micros());

  seed.set_line_count(-5);
  EXPECT_EQ(Call(&v1::AnalyticsService::Stub::SeedDemoData, seed, &seeded).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  seed.set_line_count(0);
  seed.set_end_date("yesterday");
  const grpc::Status bad_date = Call(&v1::AnalyticsService::Stub::SeedDemoData, seed, &seeded);
  EXPECT_EQ(bad_date.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad_date.error_message().find("end_date"), std::string::npos);
}

struct BadRequest {
  const char* name;
  std::function<grpc::Status(v1::AnalyticsService::Stub&)> call;
  const char* field;  // must appear in the message
};

TEST_F(ApiTest, BadInputGetsInvalidArgumentNamingTheField) {
  IngestSample();
  const auto kpis_with = [](std::function<void(v1::Filter&)> edit) {
    return [edit](v1::AnalyticsService::Stub& stub) {
      v1::GetKpisRequest request;
      edit(*request.mutable_filter());
      v1::GetKpisResponse response;
      grpc::ClientContext context;
      return stub.GetKpis(&context, request, &response);
    };
  };
  const auto list_with = [](std::function<void(v1::ListCustomersRequest&)> edit) {
    return [edit](v1::AnalyticsService::Stub& stub) {
      v1::ListCustomersRequest request;
      edit(request);
      v1::ListCustomersResponse response;
      grpc::ClientContext context;
      return stub.ListCustomers(&context, request, &response);
    };
  };
  const auto breakdown_with = [](std::function<void(v1::GetBreakdownRequest&)> edit) {
    return [edit](v1::AnalyticsService::Stub& stub) {
      v1::GetBreakdownRequest request;
      request.set_dimension(v1::DIMENSION_REGION);
      edit(request);
      v1::GetBreakdownResponse response;
      grpc::ClientContext context;
      return stub.GetBreakdown(&context, request, &response);
    };
  };
  std::string other_token;
  {
    v1::ListCustomersRequest request;
    request.set_page_size(1);
    request.set_order_by("frequency desc");
    v1::ListCustomersResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ListCustomers(&context, request, &response).ok());
    other_token = response.next_page_token();
    ASSERT_FALSE(other_token.empty());
  }
  const std::vector<BadRequest> cases = {
      {"start after end", kpis_with([](v1::Filter& f) {
         f.set_start_date("2024-03-01");
         f.set_end_date("2024-01-01");
       }),
       "filter.start_date"},
      {"malformed date", kpis_with([](v1::Filter& f) { f.set_end_date("03/01/2024"); }),
       "filter.end_date"},
      {"impossible date", kpis_with([](v1::Filter& f) { f.set_start_date("2024-02-30"); }),
       "filter.start_date"},
      {"too many filter values", kpis_with([](v1::Filter& f) {
         for (int i = 0; i < 1001; ++i) f.add_regions("r" + std::to_string(i));
       }),
       "filter.regions"},
      {"unspecified dimension",
       breakdown_with([](v1::GetBreakdownRequest& r) { r.clear_dimension(); }), "dimension"},
      {"unknown dimension", breakdown_with([](v1::GetBreakdownRequest& r) {
         r.set_dimension(static_cast<v1::Dimension>(99));
       }),
       "dimension"},
      {"unknown measure", breakdown_with([](v1::GetBreakdownRequest& r) {
         r.set_order_by(static_cast<v1::Measure>(42));
       }),
       "order_by"},
      {"negative limit", breakdown_with([](v1::GetBreakdownRequest& r) { r.set_limit(-1); }),
       "limit"},
      {"negative page size", list_with([](v1::ListCustomersRequest& r) { r.set_page_size(-1); }),
       "page_size"},
      {"page size over the max",
       list_with([](v1::ListCustomersRequest& r) { r.set_page_size(1001); }), "page_size"},
      {"malformed page token",
       list_with([](v1::ListCustomersRequest& r) { r.set_page_token("not a token!"); }),
       "page_token"},
      {"page token of another request",
       list_with([&](v1::ListCustomersRequest& r) { r.set_page_token(other_token); }),
       "page_token"},
      {"unknown order_by field",
       list_with([](v1::ListCustomersRequest& r) { r.set_order_by("height desc"); }), "order_by"},
      {"unknown tier",
       list_with([](v1::ListCustomersRequest& r) { r.set_tier(static_cast<v1::Tier>(7)); }),
       "tier"},
      {"NaN threshold", list_with([](v1::ListCustomersRequest& r) {
         r.mutable_rfm()->mutable_thresholds()->set_gold_min_monetary(
             std::numeric_limits<double>::infinity());
       }),
       "rfm.thresholds.gold_min_monetary"},
      {"bad as-of date",
       list_with([](v1::ListCustomersRequest& r) { r.mutable_rfm()->set_as_of_date("soon"); }),
       "rfm.as_of_date"},
      {"unknown granularity",
       [](v1::AnalyticsService::Stub& stub) {
         v1::GetSalesTrendRequest request;
         request.set_granularity(static_cast<v1::Granularity>(12));
         v1::GetSalesTrendResponse response;
         grpc::ClientContext context;
         return stub.GetSalesTrend(&context, request, &response);
       },
       "granularity"},
      {"missing customer id",
       [](v1::AnalyticsService::Stub& stub) {
         v1::GetCustomerRequest request;
         v1::GetCustomerResponse response;
         grpc::ClientContext context;
         return stub.GetCustomer(&context, request, &response);
       },
       "customer_id"},
  };
  for (const BadRequest& c : cases) {
    const grpc::Status status = c.call(*stub_);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_NE(status.error_message().find(c.field), std::string::npos)
        << c.name << ": " << status.error_message();
    EXPECT_EQ(status.error_message().find("SELECT"), std::string::npos) << c.name;
  }
  // Still serving, with the data intact.
  v1::GetKpisResponse kpis;
  ASSERT_EQ(Kpis({}, &kpis), grpc::StatusCode::OK);
  EXPECT_EQ(kpis.current().revenue_micros(), 650'105'100);
}

TEST_F(ApiTest, HealthIsServedAndWatchable) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  {
    request.set_service("customer_analytics.v1.AnalyticsService");
    grpc::ClientContext context;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  {
    request.set_service("no.such.Service");
    grpc::ClientContext context;
    EXPECT_EQ(health->Check(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    request.set_service("");
    grpc::ClientContext context;
    auto reader = health->Watch(&context, request);
    ASSERT_TRUE(reader->Read(&response));
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
    context.TryCancel();
    reader->Finish().IgnoreError();
  }
}

TEST(ServerLifecycle, SigtermDrainsAndExitsCleanlyEvenWithAWatcher) {
  ServerProcess server({"--grace-period", "5"});
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckResponse response;
  auto reader = health->Watch(&context, grpc::health::v1::HealthCheckRequest{});
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  kill(server.pid(), SIGTERM);
  // The watcher hears NOT_SERVING, then the stream ends.
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_FALSE(reader->Read(&response));
  reader->Finish().IgnoreError();
  const int status = server.StopWith(0);  // already signalled: just wait
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ServerLifecycle, HelpListsEveryFlagAndBadFlagsFail) {
  const testing::CommandResult help = testing::RunCommand({testing::ServerBinary(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--listen", "--db", "--log-level", "--log-format",
                           "--seed-demo-if-empty", "--grace-period", "--metrics-listen"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
  const testing::CommandResult bad = testing::RunCommand({testing::ServerBinary(), "--bogus"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--bogus"), std::string::npos);
}

TEST(ServerLifecycle, ASecondServerOnAPortInUseFailsToStart) {
  ServerProcess first;
  // gRPC's default SO_REUSEPORT would let this one bind too and take a share
  // of the first one's connections; it must refuse instead. (Bounded: a
  // server that did bind would serve until killed; timeout then exits 124.)
  const testing::CommandResult second =
      testing::RunCommand({"/usr/bin/timeout", "20", testing::ServerBinary(), "--listen",
                           first.address(), "--db", ":memory:", "--metrics-listen", ""});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("cannot listen on " + first.address()), std::string::npos)
      << second.err;
  EXPECT_EQ(second.out.find("listening on"), std::string::npos) << second.out;
}

}  // namespace
}  // namespace analytics
