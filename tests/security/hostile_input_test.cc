// The hostile-input catalogue: a table of bad requests a buggy or malicious
// client can send, each with the status code it must get, and after each the
// server must still answer health checks and reads with the data unchanged.
// Covers page sizes and forged page tokens, dates out of range and reversed,
// NaN/Inf/1e308 amounts, 10 MB strings, invalid UTF-8 sent as raw bytes,
// unknown enum numbers, empty and never-ending streams, filters with
// thousands of values, lines past the per-line limits on every write path,
// valid lines whose totals would overflow the store's bound, and values
// that would be quoted back megabytes at a time.
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <future>
#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "security/security_support.h"

namespace analytics {
namespace {

using namespace security_testing;  // NOLINT: test helpers
using Code = grpc::StatusCode;
using Stub = v1::AnalyticsService::Stub;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
const std::string kTenMb(10 * 1024 * 1024, 'x');

struct Case {
  std::string name;
  Code expected;
  std::function<grpc::Status(Stub&, grpc::Channel&)> call;
};

template <typename Request, typename Response>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

template <typename Request, typename Response>
std::function<grpc::Status(Stub&, grpc::Channel&)> Unary(Method<Request, Response> method,
                                                         Request request) {
  return [method, request](Stub& stub, grpc::Channel&) {
    Response response;
    return (stub.*method)(Context().get(), request, &response);
  };
}

auto Kpis(std::function<void(v1::Filter&)> edit) {
  v1::GetKpisRequest request;
  edit(*request.mutable_filter());
  return Unary(&Stub::GetKpis, request);
}

auto List(std::function<void(v1::ListCustomersRequest&)> edit) {
  v1::ListCustomersRequest request;
  edit(request);
  return Unary(&Stub::ListCustomers, request);
}

auto Breakdown(std::function<void(v1::GetBreakdownRequest&)> edit) {
  v1::GetBreakdownRequest request;
  request.set_dimension(v1::DIMENSION_REGION);
  edit(request);
  return Unary(&Stub::GetBreakdown, request);
}

auto Seed(std::function<void(v1::SeedDemoDataRequest&)> edit) {
  v1::SeedDemoDataRequest request;
  request.set_line_count(10);
  request.set_customer_count(5);
  request.set_end_date("2024-06-30");
  edit(request);
  return Unary(&Stub::SeedDemoData, request);
}

auto Rfm(std::function<void(v1::RfmOptions&)> edit) {
  v1::GetRfmSummaryRequest request;
  edit(*request.mutable_rfm());
  return Unary(&Stub::GetRfmSummary, request);
}

// One ingested line, edited: a bad line is rejected (reported, not written)
// while the stream itself succeeds; reported as OK only when it was rejected.
auto IngestLine(std::function<void(v1::OrderLine&)> edit) {
  return [edit](Stub& stub, grpc::Channel&) {
    v1::OrderLine line = SimpleLine("hostile", "East", 1);
    edit(line);
    v1::IngestTransactionsResponse response;
    grpc::Status status = Ingest(stub, {line}, "", &response);
    if (status.ok() && (response.rejected() != 1 || response.accepted() != 0)) {
      return grpc::Status(grpc::StatusCode::UNKNOWN, "the bad line was accepted");
    }
    return status;
  };
}

// Streams `chunks` to ImportCsv (the first message may carry options).
auto Import(std::vector<v1::ImportCsvRequest> messages, int deadline_ms = 30'000,
            bool endless = false) {
  // The final message is marked `last` (a stream that ends any other way
  // writes nothing), except on a never-ending stream.
  if (!endless && !messages.empty()) messages.back().set_last(true);
  return [messages, deadline_ms, endless](Stub& stub, grpc::Channel&) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    v1::ImportCsvResponse response;
    auto writer = stub.ImportCsv(&context, &response);
    bool ok = true;
    for (const v1::ImportCsvRequest& m : messages) ok = ok && writer->Write(m);
    // Never half-closes: keeps sending empty chunks until the deadline.
    while (endless && ok) ok = writer->Write(v1::ImportCsvRequest());
    if (ok) writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (status.ok() && response.committed() && response.accepted() > 0) {
      return grpc::Status(grpc::StatusCode::UNKNOWN, "hostile CSV lines were committed");
    }
    return status;
  };
}

// Ten data lines at the documented per-line maximum (10^12) for the header
// "Order ID,Order Date,Customer ID,Sales".
std::string TenMaxLines() {
  std::string lines;
  for (int i = 0; i < 10; ++i)
    absl::StrAppend(&lines, "M", i, ",2024-01-01,C", i, ",1000000000000\n");
  return lines;
}

v1::ImportCsvRequest Chunk(std::string bytes) {
  v1::ImportCsvRequest request;
  request.set_chunk(std::move(bytes));
  return request;
}

v1::ImportCsvRequest Options(std::function<void(v1::ImportCsvOptions&)> edit) {
  v1::ImportCsvRequest request;
  edit(*request.mutable_options());
  return request;
}

// Sends `request` serialized, with the bytes of `marker` replaced by
// `replacement` (same length), through a generic call: the only way to put
// invalid UTF-8 into a string field, which the generated setters refuse.
std::function<grpc::Status(Stub&, grpc::Channel&)> RawBytes(
    std::string method, const google::protobuf::Message& request, std::string marker,
    std::string replacement) {
  std::string bytes = request.SerializeAsString();
  const std::size_t at = bytes.find(marker);
  EXPECT_NE(at, std::string::npos);
  EXPECT_EQ(marker.size(), replacement.size());
  if (at != std::string::npos) bytes.replace(at, marker.size(), replacement);
  return [method, bytes](Stub&, grpc::Channel& channel) {
    grpc::GenericStub generic(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1), out;
    std::unique_ptr<grpc::ClientContext> context = Context();
    std::promise<grpc::Status> done;
    generic.UnaryCall(context.get(), "/customer_analytics.v1.AnalyticsService/" + method,
                      grpc::StubOptions(), &in, &out,
                      [&done](grpc::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get();
  };
}

// Like RawBytes for IngestTransactions, reading the reply: OK only when the
// line was rejected.
std::function<grpc::Status(Stub&, grpc::Channel&)> RawIngestRejected(
    const v1::IngestTransactionsRequest& request, std::string marker, std::string replacement) {
  auto call = RawBytes("IngestTransactions", request, std::move(marker), std::move(replacement));
  return [call](Stub& stub, grpc::Channel& channel) {
    grpc::Status status = call(stub, channel);
    if (!status.ok()) return status;
    // The generic call's reply bytes are not kept; ask the server instead.
    v1::GetCustomerRequest written;
    written.set_customer_id("C-MARKER");
    v1::GetCustomerResponse response;
    const grpc::Status lookup = stub.GetCustomer(Context().get(), written, &response);
    return lookup.error_code() == grpc::StatusCode::NOT_FOUND
               ? grpc::Status::OK
               : grpc::Status(grpc::StatusCode::UNKNOWN, "the invalid line was stored");
  };
}

std::vector<std::string> Many(int count, const std::string& prefix) {
  std::vector<std::string> values;
  for (int i = 0; i < count; ++i) values.push_back(absl::StrCat(prefix, i));
  return values;
}

// A token as the server sealed none: version, offset and fingerprint in the
// clear (the unauthenticated format of old), any offset a client likes.
std::string ForgedToken(std::int64_t offset, std::uint64_t fingerprint) {
  std::string raw(1, '\x02');
  for (int i = 0; i < 8; ++i) raw.push_back(static_cast<char>((offset >> (8 * i)) & 0xff));
  for (int i = 0; i < 8; ++i) raw.push_back(static_cast<char>((fingerprint >> (8 * i)) & 0xff));
  raw.append(16, '\0');  // no valid seal
  return absl::WebSafeBase64Escape(raw);
}

std::vector<Case> Catalogue() {
  const std::string csv_header = "Order ID,Order Date,Customer ID,Sales\n";
  const std::uint64_t fingerprint = 0x1122334455667788;
  const std::string good_token = ForgedToken(5, fingerprint);
  std::string raw_negative;
  raw_negative.push_back(1);
  for (int i = 0; i < 8; ++i) raw_negative.push_back(static_cast<char>(0xff));  // offset -1
  for (int i = 0; i < 8; ++i)
    raw_negative.push_back(static_cast<char>((fingerprint >> (8 * i)) & 0xff));

  v1::GetKpisRequest utf8_kpis;
  utf8_kpis.mutable_filter()->add_regions("MARKER");
  v1::GetCustomerRequest utf8_customer;
  utf8_customer.set_customer_id("MARKER");
  v1::IngestTransactionsRequest utf8_ingest;
  *utf8_ingest.add_lines() = SimpleLine("MARKER", "East", 1);
  utf8_ingest.set_last(true);  // the stream's only message

  return {
      // --- Page sizes and page tokens -------------------------------------
      {"page_size -1", Code::INVALID_ARGUMENT, List([](auto& r) { r.set_page_size(-1); })},
      {"page_size INT32_MIN", Code::INVALID_ARGUMENT,
       List([](auto& r) { r.set_page_size(std::numeric_limits<std::int32_t>::min()); })},
      {"page_size 1001", Code::INVALID_ARGUMENT, List([](auto& r) { r.set_page_size(1001); })},
      {"page_size INT32_MAX", Code::INVALID_ARGUMENT,
       List([](auto& r) { r.set_page_size(std::numeric_limits<std::int32_t>::max()); })},
      {"page_token garbage", Code::INVALID_ARGUMENT,
       List([](auto& r) { r.set_page_token("!!not base64!!"); })},
      {"page_token truncated", Code::INVALID_ARGUMENT,
       List([=](auto& r) { r.set_page_token(good_token.substr(0, good_token.size() - 3)); })},
      {"page_token of another request", Code::INVALID_ARGUMENT, List([=](auto& r) {
         r.set_tier(v1::TIER_GOLD);
         r.set_page_token(good_token);
       })},
      {"page_token with negative offset", Code::INVALID_ARGUMENT,
       List([=](auto& r) { r.set_page_token(absl::WebSafeBase64Escape(raw_negative)); })},
      {"forged page_token with offset INT64_MAX", Code::INVALID_ARGUMENT, List([=](auto& r) {
         r.set_page_token(ForgedToken(std::numeric_limits<std::int64_t>::max(), fingerprint));
       })},
      {"page_token of 10 MB", Code::INVALID_ARGUMENT,
       List([](auto& r) { r.set_page_token(kTenMb); })},
      {"unknown tier enum", Code::INVALID_ARGUMENT,
       List([](auto& r) { r.set_tier(static_cast<v1::Tier>(99)); })},
      {"unknown rfm_segment enum", Code::INVALID_ARGUMENT,
       List([](auto& r) { r.set_rfm_segment(static_cast<v1::RfmSegment>(-5)); })},
      {"order_by injection", Code::INVALID_ARGUMENT,
       List([](auto& r) { r.set_order_by("monetary; DROP TABLE order_lines"); })},
      // --- Dates and filters ----------------------------------------------
      {"month 13", Code::INVALID_ARGUMENT, Kpis([](auto& f) { f.set_start_date("2024-13-01"); })},
      {"February 30", Code::INVALID_ARGUMENT, Kpis([](auto& f) { f.set_end_date("2024-02-30"); })},
      {"year 0", Code::INVALID_ARGUMENT, Kpis([](auto& f) { f.set_start_date("0000-01-01"); })},
      {"year 99999", Code::INVALID_ARGUMENT, Kpis([](auto& f) { f.set_end_date("99999-01-01"); })},
      {"negative year", Code::INVALID_ARGUMENT,
       Kpis([](auto& f) { f.set_end_date("-2024-01-01"); })},
      {"reversed range", Code::INVALID_ARGUMENT, Kpis([](auto& f) {
         f.set_start_date("2024-06-01");
         f.set_end_date("2024-01-01");
       })},
      {"date with trailing junk", Code::INVALID_ARGUMENT,
       Kpis([](auto& f) { f.set_start_date("2024-01-01' OR 1=1"); })},
      {"date of 10 MB", Code::INVALID_ARGUMENT, Kpis([](auto& f) { f.set_start_date(kTenMb); })},
      {"1001 regions", Code::INVALID_ARGUMENT, Kpis([](auto& f) {
         for (const std::string& v : Many(1001, "R")) f.add_regions(v);
       })},
      {"5000 categories", Code::INVALID_ARGUMENT, Kpis([](auto& f) {
         for (const std::string& v : Many(5000, "C")) f.add_categories(v);
       })},
      {"1000 states (the limit)", Code::OK, Kpis([](auto& f) {
         for (const std::string& v : Many(1000, "S")) f.add_states(v);
       })},
      {"a 10 MB region", Code::INVALID_ARGUMENT, Kpis([](auto& f) { f.add_regions(kTenMb); })},
      {"SQL in a region value", Code::OK,
       Kpis([](auto& f) { f.add_regions("East') OR ('1'='1"); })},
      // Control: the same raw path with valid bytes is an ordinary call.
      {"raw bytes, valid UTF-8 (control)", Code::OK,
       RawBytes("GetKpis", utf8_kpis, "MARKER", "Ost-\xc3\xa9")},
      // Protobuf refuses invalid UTF-8 in a string field while parsing, before
      // any handler runs; gRPC 1.51's callback API reports a request it could
      // not parse as UNIMPLEMENTED (with no message).
      {"invalid UTF-8 in a region", Code::UNIMPLEMENTED,
       RawBytes("GetKpis", utf8_kpis, "MARKER", "\xff\xfe\xc0\xaf\xed\xa0")},
      {"rfm.as_of_date garbage", Code::INVALID_ARGUMENT,
       Rfm([](auto& r) { r.set_as_of_date("yesterday"); })},
      {"gold_min_frequency negative", Code::INVALID_ARGUMENT,
       Rfm([](auto& r) { r.mutable_thresholds()->set_gold_min_frequency(-1); })},
      {"gold_min_monetary NaN", Code::INVALID_ARGUMENT,
       Rfm([](auto& r) { r.mutable_thresholds()->set_gold_min_monetary(kNaN); })},
      {"gold_min_monetary Inf", Code::INVALID_ARGUMENT,
       Rfm([](auto& r) { r.mutable_thresholds()->set_gold_min_monetary(kInf); })},
      {"gold_min_monetary 1e308", Code::INVALID_ARGUMENT,
       Rfm([](auto& r) { r.mutable_thresholds()->set_gold_min_monetary(1e308); })},
      // --- Enums and limits of the other reads ----------------------------
      {"dimension unspecified", Code::INVALID_ARGUMENT,
       Breakdown([](auto& r) { r.set_dimension(v1::DIMENSION_UNSPECIFIED); })},
      {"unknown dimension enum", Code::INVALID_ARGUMENT,
       Breakdown([](auto& r) { r.set_dimension(static_cast<v1::Dimension>(12345)); })},
      {"unknown order_by enum", Code::INVALID_ARGUMENT,
       Breakdown([](auto& r) { r.set_order_by(static_cast<v1::Measure>(-1)); })},
      {"negative breakdown limit", Code::INVALID_ARGUMENT,
       Breakdown([](auto& r) { r.set_limit(-1); })},
      {"unknown granularity enum", Code::INVALID_ARGUMENT,
       [](Stub& stub, grpc::Channel&) {
         v1::GetSalesTrendRequest request;
         request.set_granularity(static_cast<v1::Granularity>(77));
         v1::GetSalesTrendResponse response;
         return stub.GetSalesTrend(Context().get(), request, &response);
       }},
      {"empty customer_id", Code::INVALID_ARGUMENT,
       Unary(&Stub::GetCustomer, v1::GetCustomerRequest())},
      {"10 MB customer_id", Code::NOT_FOUND,
       [](Stub& stub, grpc::Channel&) {
         v1::GetCustomerRequest request;
         request.set_customer_id(kTenMb);
         v1::GetCustomerResponse response;
         return stub.GetCustomer(Context().get(), request, &response);
       }},
      {"invalid UTF-8 customer_id", Code::UNIMPLEMENTED,
       RawBytes("GetCustomer", utf8_customer, "MARKER", "\xc3\x28\xa0\xa1\xf0\x28")},
      // --- Seed ----------------------------------------------------------
      {"gold_min_monetary -5", Code::INVALID_ARGUMENT,
       Rfm([](auto& o) { o.mutable_thresholds()->set_gold_min_monetary(-5); })},
      {"seed negative line_count", Code::INVALID_ARGUMENT,
       Seed([](auto& r) { r.set_line_count(-5); })},
      {"seed line_count INT64_MAX", Code::INVALID_ARGUMENT,
       Seed([](auto& r) { r.set_line_count(std::numeric_limits<std::int64_t>::max()); })},
      {"seed negative span_days", Code::INVALID_ARGUMENT,
       Seed([](auto& r) { r.set_span_days(-1); })},
      {"seed end_date garbage", Code::INVALID_ARGUMENT,
       Seed([](auto& r) { r.set_end_date("2024-06-31"); })},
      // --- Ingest --------------------------------------------------------
      {"sales NaN", Code::OK, IngestLine([](auto& l) { l.set_sales(kNaN); })},
      {"sales +Inf", Code::OK, IngestLine([](auto& l) { l.set_sales(kInf); })},
      {"sales 1e308", Code::OK, IngestLine([](auto& l) { l.set_sales(1e308); })},
      {"profit -Inf", Code::OK, IngestLine([](auto& l) { l.set_profit(-kInf); })},
      {"discount 2", Code::OK, IngestLine([](auto& l) { l.set_discount(2); })},
      {"discount NaN", Code::OK, IngestLine([](auto& l) { l.set_discount(kNaN); })},
      {"negative quantity", Code::OK, IngestLine([](auto& l) { l.set_quantity(-3); })},
      {"order_date 1999-99-99", Code::OK,
       IngestLine([](auto& l) { l.set_order_date("1999-99-99"); })},
      {"missing customer_id", Code::OK, IngestLine([](auto& l) { l.clear_customer_id(); })},
      {"10 MB customer_name", Code::OK, IngestLine([](auto& l) { l.set_customer_name(kTenMb); })},
      // One set of line rules for every write path (common/line_validation.h).
      {"quantity 2^62", Code::OK,
       IngestLine([](auto& l) { l.set_quantity(std::int64_t{1} << 62); })},
      {"quantity 10^9 + 1", Code::OK, IngestLine([](auto& l) { l.set_quantity(1'000'000'001); })},
      {"order_id of three spaces", Code::OK, IngestLine([](auto& l) { l.set_order_id("   "); })},
      {"customer_id of spaces and a tab", Code::OK,
       IngestLine([](auto& l) { l.set_customer_id(" \t "); })},
      {"order_date year 3000", Code::OK,
       IngestLine([](auto& l) { l.set_order_date("3000-01-01"); })},
      {"1 MB order_date", Code::OK,
       IngestLine([](auto& l) { l.set_order_date(std::string(1 << 20, '2')); })},
      // The store's magnitude bound (common/magnitude_totals.h): valid lines
      // whose sales add up past INT64_MAX micro-units are refused whole.
      {"ten lines at the maximum sales", Code::OUT_OF_RANGE,
       [](Stub& stub, grpc::Channel&) {
         std::vector<v1::OrderLine> lines;
         for (int i = 0; i < 10; ++i)
           lines.push_back(SimpleLine(absl::StrCat("max", i), "East", 1e12));
         return Ingest(stub, lines);
       }},
      {"ten lines at the maximum profit", Code::OUT_OF_RANGE,
       [](Stub& stub, grpc::Channel&) {
         std::vector<v1::OrderLine> lines;
         for (int i = 0; i < 10; ++i) {
           lines.push_back(SimpleLine(absl::StrCat("loss", i), "East", 1));
           lines.back().set_profit(-1e12);
         }
         return Ingest(stub, lines);
       }},
      {"10,001 lines in one message", Code::INVALID_ARGUMENT,
       [](Stub& stub, grpc::Channel&) {
         std::vector<v1::OrderLine> lines(10'001, SimpleLine("many", "East", 1));
         return Ingest(stub, lines);
       }},
      {"message over 16 MiB", Code::RESOURCE_EXHAUSTED,
       IngestLine([](auto& l) { l.set_product_name(std::string(17 << 20, 'p')); })},
      // Ingest reads its messages' bytes itself (api/ingest_decoder.h), so
      // validation rejects the line, not the parser the whole message.
      {"invalid UTF-8 in an ingested line", Code::OK,
       RawIngestRejected(utf8_ingest, "MARKER", "\xfe\xff\xfe\xff\x80\x80")},
      {"empty ingest stream (no message marked last)", Code::INVALID_ARGUMENT,
       [](Stub& stub, grpc::Channel&) {
         grpc::ClientContext context;
         v1::IngestTransactionsResponse response;
         auto writer = stub.IngestTransactions(&context, &response);
         writer->WritesDone();
         return writer->Finish();
       }},
      {"never-ending ingest stream", Code::DEADLINE_EXCEEDED,
       [](Stub& stub, grpc::Channel&) {
         grpc::ClientContext context;
         context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
         v1::IngestTransactionsResponse response;
         auto writer = stub.IngestTransactions(&context, &response);
         v1::IngestTransactionsRequest request;
         *request.add_lines() = SimpleLine("endless", "East", 1);
         while (writer->Write(request)) {
         }
         return writer->Finish();
       }},
      // --- ImportCsv -----------------------------------------------------
      {"empty import stream", Code::INVALID_ARGUMENT, Import({})},
      {"CSV of ten lines at the maximum sales, streamed", Code::OUT_OF_RANGE,
       Import({Options([](auto& o) {
                 o.set_encoding(v1::ENCODING_UTF8);
                 o.set_date_order(v1::DATE_ORDER_YMD);
               }),
               Chunk(csv_header + TenMaxLines())})},
      {"CSV of ten lines at the maximum sales, spooled", Code::OUT_OF_RANGE,
       Import({Chunk(csv_header + TenMaxLines())})},
      {"CSV quantity 2^62 and blank ids", Code::OK,
       Import({Chunk("Order ID,Order Date,Customer ID,Sales,Quantity\n"
                     "O1,2024-01-01,C1,5,4611686018427387904\n   ,2024-01-01,C1,5,1\n"
                     "O2,2024-01-01,   ,5,1\n")})},
      {"CSV header 'Order Date' spelt with 1 MB of dashes", Code::OK,
       Import({Chunk(absl::StrCat("Order ID,Order", std::string((1 << 20) - 100, '-'),
                                  "Date,Customer ID,Sales\nO1,not a date,C1,5\n"))})},
      {"never-ending import stream", Code::DEADLINE_EXCEEDED,
       Import({Chunk(csv_header)}, 300, true)},
      {"options in a later message", Code::INVALID_ARGUMENT,
       Import({Chunk(csv_header), Options([](auto& o) { o.set_dry_run(true); })})},
      {"unknown date_order enum", Code::INVALID_ARGUMENT,
       Import({Options([](auto& o) { o.set_date_order(static_cast<v1::DateOrder>(9)); }),
               Chunk(csv_header)})},
      {"unknown encoding enum", Code::INVALID_ARGUMENT,
       Import({Options([](auto& o) { o.set_encoding(static_cast<v1::Encoding>(42)); }),
               Chunk(csv_header)})},
      {"binary garbage", Code::INVALID_ARGUMENT,
       Import({Chunk(std::string("\x00\x01\x02\xff\xfe\x89PNG\r\n\x1a\n", 12))})},
      {"a 10 MB field", Code::INVALID_ARGUMENT,
       Import({Chunk(csv_header + "O1,2024-01-01," + kTenMb + ",5\n")})},
      {"an unterminated quote", Code::INVALID_ARGUMENT,
       Import({Chunk(csv_header + "O1,2024-01-01,\"C1,5\nO2,2024-01-02,C2,6\n")})},
      {"NaN, Inf and 1e308 amounts", Code::OK,
       Import({Chunk(csv_header + "O1,2024-01-01,C1,NaN\nO2,2024-01-01,C2,Infinity\n"
                                  "O3,2024-01-01,C3,1e308\nO4,2024-01-01,C4,-inf\n")})},
      {"dates out of range", Code::OK,
       Import({Chunk(csv_header + "O1,2024-13-45,C1,5\nO2,10000-01-01,C2,5\n")})},
      {"2000 columns", Code::INVALID_ARGUMENT,
       Import({Chunk(absl::StrCat(csv_header.substr(0, csv_header.size() - 1),
                                  std::string(2000, ','), "\n"))})},
  };
}

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    channel_ = grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
    stub_ = v1::AnalyticsService::NewStub(channel_);
    v1::IngestTransactionsResponse response;
    ASSERT_TRUE(Ingest(*stub_,
                       {SimpleLine("a", "East", 100), SimpleLine("b", "West", 50.5),
                        SimpleLine("c", "East", 0.25, "2024-05-05")},
                       "", &response)
                    .ok());
    ASSERT_TRUE(stub_->GetKpis(Context().get(), {}, &baseline_).ok());
  }

  // Still serving, with the data as it was.
  void ExpectHealthy(const std::string& after) {
    auto health = grpc::health::v1::Health::NewStub(channel_);
    grpc::health::v1::HealthCheckResponse serving;
    ASSERT_TRUE(health->Check(Context().get(), {}, &serving).ok()) << "after " << after;
    EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::SERVING);
    v1::GetKpisResponse now;
    ASSERT_TRUE(stub_->GetKpis(Context().get(), {}, &now).ok()) << "after " << after;
    EXPECT_EQ(now.current().revenue_micros(), baseline_.current().revenue_micros())
        << "data changed after " << after;
    EXPECT_EQ(now.current().orders(), baseline_.current().orders()) << "after " << after;
  }

  ServerProcess server_{LogFile{"/dev/null"}, {}};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
  v1::GetKpisResponse baseline_;
};

TEST_F(HostileInputTest, EveryBadRequestGetsItsStatusAndTheServerGoesOn) {
  const std::vector<Case> cases = Catalogue();
  EXPECT_GE(cases.size(), 40u);
  int seeds = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const grpc::Status status = c.call(*stub_, *channel_);
    EXPECT_EQ(status.error_code(), c.expected)
        << c.name << ": got " << status.error_code() << " " << status.error_message();
    // Messages never echo megabytes back.
    EXPECT_LT(status.error_message().size(), 4096u) << c.name;
    if (c.name.rfind("seed", 0) == 0 && status.ok()) ++seeds;
    ExpectHealthy(c.name);
  }
  EXPECT_EQ(seeds, 0);
}

}  // namespace
}  // namespace analytics
