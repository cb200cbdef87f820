// The error details of AIP-193 as real clients see them: the server's
// grpc-status-details-bin trailer read through a gRPC channel (raw stubs and
// the C++ client library) and printed by analytics-cli; and the field-path
// parsing they come from, directly.
#include "customer_analytics/error_details.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "api/status.h"
#include "customer_analytics/client.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "support/process.h"

namespace analytics {
namespace {

namespace v1 = ::customer_analytics::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ServerProcess;

// --- The field path of a message ---------------------------------------------

TEST(SplitFieldPath, TakesTheLeadingPath) {
  for (const auto& [message, field, description] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"customer_id: is required", "customer_id", "is required"},
           {"filter.start_date: no such date", "filter.start_date", "no such date"},
           {"lines[3].quantity: must not be negative", "lines[3].quantity", "must not be negative"},
           {"a.b[12].c_2: x: y", "a.b[12].c_2", "x: y"},
           {"page_size: ", "page_size", ""}}) {
    const std::optional<api::FieldMessage> split = api::SplitFieldPath(message);
    ASSERT_TRUE(split.has_value()) << message;
    EXPECT_EQ(split->field, field) << message;
    EXPECT_EQ(split->description, description) << message;
  }
}

TEST(SplitFieldPath, ProseIsNoPath) {
  for (const std::string& message : std::vector<std::string>{
           "customer \"X\" not found", "line 5: record longer than 1048576 bytes",
           "empty file: no header line", "message 3 of the stream is not a valid ImportCsvRequest",
           "--tls-cert: needs a value", "Filter: capitalised", "lines[]: empty index",
           "lines[3: unclosed", "a.: trailing dot", "page_size:no space", "no colon at all", "",
           std::string(200, 'a') + ": too long to be a path"}) {
    EXPECT_FALSE(api::SplitFieldPath(message).has_value()) << message;
  }
}

TEST(ErrorReason, IsUpperSnakeCaseAndNamesFieldErrors) {
  EXPECT_EQ(api::ErrorReason(absl::StatusCode::kInvalidArgument, true), "INVALID_FIELD");
  EXPECT_EQ(api::ErrorReason(absl::StatusCode::kInvalidArgument, false), "INVALID_REQUEST");
  EXPECT_EQ(api::ErrorReason(absl::StatusCode::kOutOfRange, true), "FIELD_OUT_OF_RANGE");
  EXPECT_EQ(api::ErrorReason(absl::StatusCode::kNotFound, false), "NOT_FOUND");
  EXPECT_EQ(api::ErrorReason(absl::StatusCode::kDataLoss, false), "INTERNAL");
}

// --- Through a real channel ---------------------------------------------------

class ErrorDetailsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    channel_ = grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
    stub_ = v1::AnalyticsService::NewStub(channel_);
  }

  // The google.rpc.Status of the trailer; fails the test when absent.
  static google::rpc::Status Details(const grpc::Status& status) {
    google::rpc::Status details;
    EXPECT_FALSE(status.error_details().empty()) << "no grpc-status-details-bin";
    EXPECT_TRUE(details.ParseFromString(status.error_details()));
    EXPECT_EQ(details.code(), static_cast<int>(status.error_code()));
    EXPECT_EQ(details.message(), status.error_message());
    return details;
  }

  template <typename Detail>
  static std::vector<Detail> Unpacked(const google::rpc::Status& details) {
    std::vector<Detail> found;
    for (const google::protobuf::Any& any : details.details()) {
      Detail detail;
      if (any.UnpackTo(&detail)) found.push_back(detail);
    }
    return found;
  }

  // Checks the call failed with INVALID_ARGUMENT naming exactly `field`, with
  // an ErrorInfo agreeing, and that the message is "<field>: <description>".
  static void ExpectFieldError(const grpc::Status& status, const std::string& method,
                               const std::string& field) {
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    const google::rpc::Status details = Details(status);
    const std::vector<google::rpc::BadRequest> bad = Unpacked<google::rpc::BadRequest>(details);
    ASSERT_EQ(bad.size(), 1u) << details.DebugString();
    ASSERT_EQ(bad[0].field_violations_size(), 1);
    const google::rpc::BadRequest::FieldViolation& violation = bad[0].field_violations(0);
    EXPECT_EQ(violation.field(), field);
    EXPECT_FALSE(violation.description().empty());
    EXPECT_EQ(status.error_message(), field + ": " + violation.description());
    EXPECT_EQ(violation.reason(), "INVALID_FIELD");

    const std::vector<google::rpc::ErrorInfo> info = Unpacked<google::rpc::ErrorInfo>(details);
    ASSERT_EQ(info.size(), 1u) << details.DebugString();
    EXPECT_EQ(info[0].reason(), "INVALID_FIELD");
    EXPECT_EQ(info[0].domain(), "customer-analytics");
    EXPECT_EQ(info[0].metadata().at("method"), method);
    EXPECT_EQ(info[0].metadata().at("field"), field);
  }

  ServerProcess server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AnalyticsService::Stub> stub_;
};

TEST_F(ErrorDetailsTest, AMissingRequiredFieldIsABadRequestViolation) {
  grpc::ClientContext context;
  v1::GetCustomerResponse response;
  const grpc::Status status = stub_->GetCustomer(&context, v1::GetCustomerRequest(), &response);
  ExpectFieldError(status, "GetCustomer", "customer_id");
}

TEST_F(ErrorDetailsTest, ANestedFieldIsNamedByItsPath) {
  grpc::ClientContext context;
  v1::GetKpisRequest request;
  request.mutable_filter()->set_start_date("2024-02-30");
  v1::GetKpisResponse response;
  const grpc::Status status = stub_->GetKpis(&context, request, &response);
  ExpectFieldError(status, "GetKpis", "filter.start_date");
}

TEST_F(ErrorDetailsTest, SeedCountsNameTheirField) {
  const auto seed = [&](v1::SeedDemoDataRequest request) {
    grpc::ClientContext context;
    v1::SeedDemoDataResponse response;
    return stub_->SeedDemoData(&context, request, &response);
  };
  v1::SeedDemoDataRequest lines;
  lines.set_line_count(-1);
  ExpectFieldError(seed(lines), "SeedDemoData", "line_count");
  v1::SeedDemoDataRequest customers;
  customers.set_line_count(10);
  customers.set_customer_count(11);
  ExpectFieldError(seed(customers), "SeedDemoData", "customer_count");
  v1::SeedDemoDataRequest span;
  span.set_span_days(-3);
  ExpectFieldError(seed(span), "SeedDemoData", "span_days");
  v1::SeedDemoDataRequest early;
  early.set_end_date("1900-01-05");
  early.set_span_days(10);
  ExpectFieldError(seed(early), "SeedDemoData", "span_days");
}

TEST_F(ErrorDetailsTest, TheTrendBucketLimitNamesTheGranularity) {
  grpc::ClientContext context;
  v1::GetSalesTrendRequest request;
  request.mutable_filter()->set_start_date("1900-01-01");
  request.mutable_filter()->set_end_date("2999-12-31");
  request.set_granularity(v1::GRANULARITY_DAY);
  v1::GetSalesTrendResponse response;
  const grpc::Status status = stub_->GetSalesTrend(&context, request, &response);
  ExpectFieldError(status, "GetSalesTrend", "granularity");
}

TEST_F(ErrorDetailsTest, AStreamErrorNamesItsField) {
  grpc::ClientContext context;
  v1::ImportCsvResponse response;
  auto writer = stub_->ImportCsv(&context, &response);
  v1::ImportCsvRequest request;
  request.mutable_options()->set_date_order(static_cast<v1::DateOrder>(99));
  request.set_last(true);
  writer->Write(request);
  writer->WritesDone();
  ExpectFieldError(writer->Finish(), "ImportCsv", "options.date_order");
}

TEST_F(ErrorDetailsTest, OtherErrorsCarryAnErrorInfoOnly) {
  grpc::ClientContext context;
  v1::GetCustomerRequest request;
  request.set_customer_id("nobody");
  v1::GetCustomerResponse response;
  const grpc::Status status = stub_->GetCustomer(&context, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  const google::rpc::Status details = Details(status);
  EXPECT_TRUE(Unpacked<google::rpc::BadRequest>(details).empty());
  const std::vector<google::rpc::ErrorInfo> info = Unpacked<google::rpc::ErrorInfo>(details);
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].reason(), "NOT_FOUND");
  EXPECT_EQ(info[0].domain(), "customer-analytics");
  EXPECT_EQ(info[0].metadata().at("method"), "GetCustomer");
  EXPECT_FALSE(info[0].metadata().contains("field"));
}

TEST_F(ErrorDetailsTest, ALongEchoedMessageStillArrivesWithItsDetails) {
  // The message echoes the id, cut at kMaxStatusMessageBytes; every byte of
  // the id is outside ASCII, the costliest case for the trailers.
  std::string id;
  while (id.size() < 16 * 1024) id += "é";
  grpc::ClientContext context;
  v1::GetCustomerRequest request;
  request.set_customer_id(id);
  v1::GetCustomerResponse response;
  const grpc::Status status = stub_->GetCustomer(&context, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("bytes cut)"));
  EXPECT_EQ(Unpacked<google::rpc::ErrorInfo>(Details(status)).size(), 1u);
}

TEST_F(ErrorDetailsTest, TheClientLibraryExposesTheViolations) {
  const customer_analytics::AnalyticsClient client(channel_);
  v1::ListCustomersRequest request;
  request.set_page_size(1'000'000);
  const absl::StatusOr<v1::ListCustomersResponse> response = client.ListCustomers(request);
  ASSERT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<customer_analytics::FieldViolation> violations =
      customer_analytics::FieldViolations(response.status());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "page_size");
  EXPECT_EQ(std::string(response.status().message()), "page_size: " + violations[0].description);
  const std::optional<google::rpc::ErrorInfo> info =
      customer_analytics::FindErrorInfo(response.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "INVALID_FIELD");
  EXPECT_EQ(info->domain(), "customer-analytics");
  EXPECT_EQ(info->metadata().at("method"), "ListCustomers");
}

TEST_F(ErrorDetailsTest, TheCliPrintsFieldAndDescription) {
  const testing::CommandResult run = testing::RunCommand(
      {testing::CliBinary(), "--server", server_.address(), "kpis", "--from", "2024-02-30"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, ::testing::StartsWith("error: INVALID_ARGUMENT: 1 invalid field:\n"));
  EXPECT_THAT(run.err, HasSubstr("\n  filter.start_date: no such date"));
}

// Without details (a server that sends none) the helpers find nothing.
TEST(ClientErrorDetails, NoDetailsGiveNothing) {
  const grpc::Status plain(grpc::StatusCode::INVALID_ARGUMENT, "x: y");
  EXPECT_TRUE(customer_analytics::FieldViolations(plain).empty());
  EXPECT_FALSE(customer_analytics::FindErrorInfo(plain).has_value());
  const absl::Status converted = customer_analytics::FromGrpcStatus(plain);
  EXPECT_TRUE(customer_analytics::FieldViolations(converted).empty());
  const grpc::Status garbage(grpc::StatusCode::INVALID_ARGUMENT, "x: y", "\xff\xff not a proto");
  EXPECT_TRUE(customer_analytics::FieldViolations(garbage).empty());
}

TEST(ClientErrorDetails, FromGrpcStatusKeepsTheDetails) {
  google::rpc::Status details;
  google::rpc::BadRequest bad;
  google::rpc::BadRequest::FieldViolation* v = bad.add_field_violations();
  v->set_field("lines[3].quantity");
  v->set_description("must not be negative");
  v = bad.add_field_violations();
  v->set_field("lines[4].sales");
  v->set_description("is required");
  details.add_details()->PackFrom(bad);
  const absl::Status converted = customer_analytics::FromGrpcStatus(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "two lines", details.SerializeAsString()));
  std::vector<std::string> seen;
  for (const customer_analytics::FieldViolation& violation :
       customer_analytics::FieldViolations(converted)) {
    seen.push_back(violation.field + ": " + violation.description);
  }
  EXPECT_THAT(
      seen, ElementsAre("lines[3].quantity: must not be negative", "lines[4].sales: is required"));
}

}  // namespace
}  // namespace analytics
