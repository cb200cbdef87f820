// C++ client library of the customer analytics service.
//
// AnalyticsClient is the one way C++ code (the analytics-cli tool, other
// services, tests) talks to customer_analytics.v1.AnalyticsService: one method
// per RPC, taking and returning the generated proto messages, which stay the
// source of truth for every field's meaning. It adds what every caller would
// otherwise repeat: a default deadline with a per-call override, batching of
// order lines for the IngestTransactions stream, chunking of a CSV byte stream
// for ImportCsv with a progress callback, and conversion of grpc::Status to
// absl::Status (same code, same message). Nothing throws across this API: each
// call returns absl::StatusOr<Response>. Methods are const and the class is
// safe to share between threads, like the gRPC channel underneath.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "customer_analytics/v1/analytics_service.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/status.h"

namespace customer_analytics {

// How the client connects and which deadline calls get by default.
struct ClientOptions {
  // Deadline of each call that does not set its own; zero means none.
  std::chrono::milliseconds default_timeout = std::chrono::seconds(30);
  // Credentials for the target-address constructor; null means insecure
  // (plaintext), the service's in-cluster default.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Bearer token sent as "authorization: Bearer TOKEN" on every call; empty
  // sends none. See customer_analytics/credentials.h for TLS and token files.
  std::string bearer_token;
};

// Per-call settings.
struct CallOptions {
  // Overrides ClientOptions::default_timeout for this call; zero means none.
  std::optional<std::chrono::milliseconds> timeout;
  // Queue the call until the channel is ready instead of failing fast with
  // UNAVAILABLE while the server is unreachable (still bounded by the
  // deadline).
  bool wait_for_ready = false;
  // Extra request metadata, for example ("x-request-id", "…").
  std::vector<std::pair<std::string, std::string>> metadata;
};

// Fills `batch` (cleared by the caller) with the next lines to ingest.
// Returns true when it added lines, false at the end of the input, or an error
// to abandon the stream (the server then writes nothing).
using LineBatchSource =
    std::function<absl::StatusOr<bool>(customer_analytics::v1::IngestTransactionsRequest& batch)>;

// Fills `chunk` (cleared by the caller) with the next bytes of a CSV file.
// Returns true when it added bytes, false at the end of the file, or an error
// to abandon the import (the server then writes nothing).
using ChunkSource = std::function<absl::StatusOr<bool>(std::string& chunk)>;

// Called after each chunk was handed to gRPC, with the total bytes sent so far.
using ProgressCallback = std::function<void(std::int64_t bytes_sent)>;

// The largest batch the API accepts in one IngestTransactionsRequest.
inline constexpr int kMaxLinesPerBatch = 10'000;
// Chunk size used when reading an std::istream for ImportCsv.
inline constexpr std::size_t kDefaultChunkBytes = 64 * 1024;

// Converts a gRPC status into an absl::Status with the same code and message,
// keeping the error details (customer_analytics/error_details.h) as a payload.
absl::Status FromGrpcStatus(const grpc::Status& status);

class AnalyticsClient {
 public:
  // Connects to `target` ("host:port", "dns:///host:port", "unix:/path") with
  // `options.credentials` (insecure when null). The channel connects lazily:
  // construction never fails, the first call reports an unreachable server.
  explicit AnalyticsClient(const std::string& target, ClientOptions options = {});
  // Uses an existing channel (shared with other stubs, or custom arguments).
  explicit AnalyticsClient(std::shared_ptr<grpc::Channel> channel, ClientOptions options = {});

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const ClientOptions& options() const { return options_; }

  absl::StatusOr<v1::SeedDemoDataResponse> SeedDemoData(const v1::SeedDemoDataRequest& request,
                                                        const CallOptions& call = {}) const;

  // Streams `lines` in batches of `batch_size` (clamped to 1..kMaxLinesPerBatch)
  // over one IngestTransactions call; they commit together.
  absl::StatusOr<v1::IngestTransactionsResponse> IngestTransactions(
      std::span<const v1::OrderLine> lines, int batch_size = 1000,
      const CallOptions& call = {}) const;
  // Streams the batches `source` produces, for inputs too large to hold.
  absl::StatusOr<v1::IngestTransactionsResponse> IngestTransactions(
      const LineBatchSource& source, const CallOptions& call = {}) const;

  // Sends `options` and then the bytes of `csv` in chunks of `chunk_bytes`.
  // A read error on `csv` abandons the import.
  absl::StatusOr<v1::ImportCsvResponse> ImportCsv(
      std::istream& csv, const v1::ImportCsvOptions& options, const ProgressCallback& progress = {},
      const CallOptions& call = {}, std::size_t chunk_bytes = kDefaultChunkBytes) const;
  // Sends `options` and then the chunks `source` produces.
  absl::StatusOr<v1::ImportCsvResponse> ImportCsv(const ChunkSource& source,
                                                  const v1::ImportCsvOptions& options,
                                                  const ProgressCallback& progress = {},
                                                  const CallOptions& call = {}) const;

  absl::StatusOr<v1::GetKpisResponse> GetKpis(const v1::GetKpisRequest& request,
                                              const CallOptions& call = {}) const;
  absl::StatusOr<v1::GetBreakdownResponse> GetBreakdown(const v1::GetBreakdownRequest& request,
                                                        const CallOptions& call = {}) const;
  absl::StatusOr<v1::GetSalesTrendResponse> GetSalesTrend(const v1::GetSalesTrendRequest& request,
                                                          const CallOptions& call = {}) const;
  absl::StatusOr<v1::GetRfmSummaryResponse> GetRfmSummary(const v1::GetRfmSummaryRequest& request,
                                                          const CallOptions& call = {}) const;
  absl::StatusOr<v1::ListCustomersResponse> ListCustomers(const v1::ListCustomersRequest& request,
                                                          const CallOptions& call = {}) const;
  absl::StatusOr<v1::GetCustomerResponse> GetCustomer(const v1::GetCustomerRequest& request,
                                                      const CallOptions& call = {}) const;
  absl::StatusOr<v1::GetPredictionFitResponse> GetPredictionFit(
      const v1::GetPredictionFitRequest& request, const CallOptions& call = {}) const;
  absl::StatusOr<v1::ListCustomerPredictionsResponse> ListCustomerPredictions(
      const v1::ListCustomerPredictionsRequest& request, const CallOptions& call = {}) const;
  absl::StatusOr<v1::GetCohortsResponse> GetCohorts(const v1::GetCohortsRequest& request,
                                                    const CallOptions& call = {}) const;
  absl::StatusOr<v1::GetSegmentMigrationResponse> GetSegmentMigration(
      const v1::GetSegmentMigrationRequest& request, const CallOptions& call = {}) const;

 private:
  // Applies the deadline, wait-for-ready and metadata of `call` to `context`.
  void Configure(grpc::ClientContext& context, const CallOptions& call) const;

  std::shared_ptr<grpc::Channel> channel_;
  ClientOptions options_;
  // Shared so that copies of a client reuse one stub (stubs are thread-safe).
  std::shared_ptr<v1::AnalyticsService::Stub> stub_;
};

}  // namespace customer_analytics
