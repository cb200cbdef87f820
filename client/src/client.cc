#include "customer_analytics/client.h"

#include <algorithm>
#include <utility>

#include "customer_analytics/error_details.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"

namespace customer_analytics {
namespace {

// Finishes a client-streaming write: sends a message marked `last` with the
// half-close (the server commits only a stream that ends right after it:
// gRPC cannot tell a clean end from a final message cut off in transit) —
// unless a write already failed, in which case the stream is broken and
// Finish reports why — and returns the response or the server's status.
template <typename Request, typename Response>
absl::StatusOr<Response> FinishStream(grpc::ClientWriter<Request>& writer, bool writes_ok,
                                      Response& response) {
  if (writes_ok) {
    Request last;
    last.set_last(true);
    writer.WriteLast(last, grpc::WriteOptions());
  }
  grpc::Status status = writer.Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  return std::move(response);
}

using Stub = v1::AnalyticsService::Stub;

// A generated blocking unary method of the stub.
template <typename Request, typename Response>
using UnaryMethod = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

template <typename Request, typename Response>
absl::StatusOr<Response> CallUnary(Stub& stub, UnaryMethod<Request, Response> method,
                                   grpc::ClientContext& context, const Request& request) {
  Response response;
  const grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  // The gRPC and absl code enums share their numeric values by design.
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  // The error details (error_details.h) travel along as a payload.
  if (!converted.ok() && !status.error_details().empty()) {
    converted.SetPayload(kStatusDetailsTypeUrl, absl::Cord(status.error_details()));
  }
  return converted;
}

AnalyticsClient::AnalyticsClient(const std::string& target, ClientOptions options)
    : AnalyticsClient(
          grpc::CreateChannel(target, options.credentials ? options.credentials
                                                          : grpc::InsecureChannelCredentials()),
          options) {}

AnalyticsClient::AnalyticsClient(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : channel_(std::move(channel)),
      options_(std::move(options)),
      stub_(v1::AnalyticsService::NewStub(channel_)) {}

void AnalyticsClient::Configure(grpc::ClientContext& context, const CallOptions& call) const {
  const std::chrono::milliseconds timeout = call.timeout.value_or(options_.default_timeout);
  if (timeout.count() > 0) context.set_deadline(std::chrono::system_clock::now() + timeout);
  context.set_wait_for_ready(call.wait_for_ready);
  if (!options_.bearer_token.empty()) {
    context.AddMetadata("authorization", "Bearer " + options_.bearer_token);
  }
  for (const auto& [key, value] : call.metadata) context.AddMetadata(key, value);
}

absl::StatusOr<v1::SeedDemoDataResponse> AnalyticsClient::SeedDemoData(
    const v1::SeedDemoDataRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  return CallUnary(*stub_, &Stub::SeedDemoData, context, request);
}

absl::StatusOr<v1::IngestTransactionsResponse> AnalyticsClient::IngestTransactions(
    std::span<const v1::OrderLine> lines, int batch_size, const CallOptions& call) const {
  const std::size_t size = static_cast<std::size_t>(std::clamp(batch_size, 1, kMaxLinesPerBatch));
  std::size_t next = 0;
  return IngestTransactions(
      [&](v1::IngestTransactionsRequest& batch) -> absl::StatusOr<bool> {
        if (next >= lines.size()) return false;
        const std::size_t end = std::min(lines.size(), next + size);
        for (; next < end; ++next) *batch.add_lines() = lines[next];
        return true;
      },
      call);
}

absl::StatusOr<v1::IngestTransactionsResponse> AnalyticsClient::IngestTransactions(
    const LineBatchSource& source, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  v1::IngestTransactionsResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::IngestTransactionsRequest>> writer =
      stub_->IngestTransactions(&context, &response);
  v1::IngestTransactionsRequest batch;
  bool writes_ok = true;
  for (;;) {
    batch.Clear();
    absl::StatusOr<bool> more = source(batch);
    if (!more.ok()) {
      // Cancelling drops the stream, and a dropped stream writes nothing.
      context.TryCancel();
      writer->Finish();
      return more.status();
    }
    if (!*more) break;
    if (batch.lines_size() == 0) continue;
    if (!writer->Write(batch)) {
      writes_ok = false;
      break;
    }
  }
  return FinishStream(*writer, writes_ok, response);
}

absl::StatusOr<v1::ImportCsvResponse> AnalyticsClient::ImportCsv(
    std::istream& csv, const v1::ImportCsvOptions& options, const ProgressCallback& progress,
    const CallOptions& call, std::size_t chunk_bytes) const {
  const std::size_t size = std::max<std::size_t>(chunk_bytes, 1);
  return ImportCsv(
      [&](std::string& chunk) -> absl::StatusOr<bool> {
        chunk.resize(size);
        csv.read(chunk.data(), static_cast<std::streamsize>(size));
        chunk.resize(static_cast<std::size_t>(csv.gcount()));
        if (csv.bad()) return absl::DataLossError("cannot read the CSV input");
        return !chunk.empty();
      },
      options, progress, call);
}

absl::StatusOr<v1::ImportCsvResponse> AnalyticsClient::ImportCsv(
    const ChunkSource& source, const v1::ImportCsvOptions& options,
    const ProgressCallback& progress, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  v1::ImportCsvResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::ImportCsvRequest>> writer =
      stub_->ImportCsv(&context, &response);
  v1::ImportCsvRequest request;
  *request.mutable_options() = options;
  bool writes_ok = writer->Write(request);
  std::int64_t bytes_sent = 0;
  std::string chunk;
  while (writes_ok) {
    chunk.clear();
    absl::StatusOr<bool> more = source(chunk);
    if (!more.ok()) {
      context.TryCancel();
      writer->Finish();
      return more.status();
    }
    if (!*more) break;
    if (chunk.empty()) continue;
    bytes_sent += static_cast<std::int64_t>(chunk.size());
    request.set_chunk(std::move(chunk));
    writes_ok = writer->Write(request);
    // The moved-from string is valid but unspecified; reclaim the buffer.
    chunk = std::move(*request.mutable_chunk());
    if (writes_ok && progress) progress(bytes_sent);
  }
  return FinishStream(*writer, writes_ok, response);
}

absl::StatusOr<v1::GetKpisResponse> AnalyticsClient::GetKpis(const v1::GetKpisRequest& request,
                                                             const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  return CallUnary(*stub_, &Stub::GetKpis, context, request);
}

absl::StatusOr<v1::GetBreakdownResponse> AnalyticsClient::GetBreakdown(
    const v1::GetBreakdownRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  return CallUnary(*stub_, &Stub::GetBreakdown, context, request);
}

absl::StatusOr<v1::GetSalesTrendResponse> AnalyticsClient::GetSalesTrend(
    const v1::GetSalesTrendRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  return CallUnary(*stub_, &Stub::GetSalesTrend, context, request);
}

absl::StatusOr<v1::GetRfmSummaryResponse> AnalyticsClient::GetRfmSummary(
    const v1::GetRfmSummaryRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  return CallUnary(*stub_, &Stub::GetRfmSummary, context, request);
}

absl::StatusOr<v1::ListCustomersResponse> AnalyticsClient::ListCustomers(
    const v1::ListCustomersRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  return CallUnary(*stub_, &Stub::ListCustomers, context, request);
}

absl::StatusOr<v1::GetCustomerResponse> AnalyticsClient::GetCustomer(
    const v1::GetCustomerRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  return CallUnary(*stub_, &Stub::GetCustomer, context, request);
}

absl::StatusOr<v1::GetPredictionFitResponse> AnalyticsClient::GetPredictionFit(
    const v1::GetPredictionFitRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  return CallUnary(*stub_, &Stub::GetPredictionFit, context, request);
}

absl::StatusOr<v1::ListCustomerPredictionsResponse> AnalyticsClient::ListCustomerPredictions(
    const v1::ListCustomerPredictionsRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  return CallUnary(*stub_, &Stub::ListCustomerPredictions, context, request);
}

absl::StatusOr<v1::GetCohortsResponse> AnalyticsClient::GetCohorts(
    const v1::GetCohortsRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  return CallUnary(*stub_, &Stub::GetCohorts, context, request);
}

absl::StatusOr<v1::GetSegmentMigrationResponse> AnalyticsClient::GetSegmentMigration(
    const v1::GetSegmentMigrationRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Configure(context, call);
  return CallUnary(*stub_, &Stub::GetSegmentMigration, context, request);
}

}  // namespace customer_analytics
