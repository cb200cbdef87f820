// The gRPC face of the service: customer_analytics.v1.AnalyticsService.
//
// Handlers are thin: validate and convert the request (convert.h), call the
// core (store, reports over the query engine, demo generator, CSV import),
// convert the result back. Every call is reported once to the RpcObserver
// (logging, metrics). It uses gRPC's callback API; the client-streaming
// writes have their own reactors (ingest_reactor.h, import_reactor.h).
#pragma once

#include "api/call_guard.h"
#include "api/page_token.h"
#include "api/rpc_observer.h"
#include "api/write_stream.h"
#include "common/stop_flag.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "predict/prediction_report.h"
#include "query/query_engine.h"
#include "reports/customer_report.h"
#include "store/store.h"

namespace analytics::api {

namespace v1 = ::customer_analytics::v1;

struct ServiceLimits {
  int max_page_size = 1000;
  int default_page_size = 50;
  int max_lines_per_ingest_message = 10'000;
  // IngestTransactions and ImportCsv: message size, idle timeout, end mark.
  WriteStreamOptions write_stream;
  // Most lines one SeedDemoData call may generate.
  std::int64_t max_seed_lines = 2'000'000;
};

// The two client streams, IngestTransactions and ImportCsv, are registered
// raw (their messages arrive as bytes: raw_message.h says why); every
// other method is typed.
class AnalyticsService final
    : public v1::AnalyticsService::WithRawCallbackMethod_IngestTransactions<
          v1::AnalyticsService::WithRawCallbackMethod_ImportCsv<
              v1::AnalyticsService::CallbackService>> {
 public:
  // `guards` (auth, one writer at a time) are checked before every call;
  // `page_tokens` seals ListCustomers page tokens (page_token.h).
  AnalyticsService(Store& store, QueryEngine& engine, RpcObserver& observer,
                   ServiceLimits limits = {}, CallGuards guards = {},
                   PageTokenCodec page_tokens = PageTokenCodec::WithRandomKey())
      : store_(store),
        engine_(engine),
        observer_(observer),
        limits_(limits),
        guards_(guards),
        page_tokens_(std::move(page_tokens)) {}

  // Server shutdown: every write in flight (and any that starts) stops and
  // rolls back, instead of holding the drain past its grace period.
  void StopWrites() { writes_stop_.Stop(); }

  grpc::ServerUnaryReactor* SeedDemoData(grpc::CallbackServerContext* context,
                                         const v1::SeedDemoDataRequest* request,
                                         v1::SeedDemoDataResponse* response) override;
  grpc::ServerReadReactor<grpc::ByteBuffer>* IngestTransactions(
      grpc::CallbackServerContext* context, grpc::ByteBuffer* response) override;
  grpc::ServerReadReactor<grpc::ByteBuffer>* ImportCsv(grpc::CallbackServerContext* context,
                                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetKpis(grpc::CallbackServerContext* context,
                                    const v1::GetKpisRequest* request,
                                    v1::GetKpisResponse* response) override;
  grpc::ServerUnaryReactor* GetBreakdown(grpc::CallbackServerContext* context,
                                         const v1::GetBreakdownRequest* request,
                                         v1::GetBreakdownResponse* response) override;
  grpc::ServerUnaryReactor* GetSalesTrend(grpc::CallbackServerContext* context,
                                          const v1::GetSalesTrendRequest* request,
                                          v1::GetSalesTrendResponse* response) override;
  grpc::ServerUnaryReactor* GetRfmSummary(grpc::CallbackServerContext* context,
                                          const v1::GetRfmSummaryRequest* request,
                                          v1::GetRfmSummaryResponse* response) override;
  grpc::ServerUnaryReactor* ListCustomers(grpc::CallbackServerContext* context,
                                          const v1::ListCustomersRequest* request,
                                          v1::ListCustomersResponse* response) override;
  grpc::ServerUnaryReactor* GetCustomer(grpc::CallbackServerContext* context,
                                        const v1::GetCustomerRequest* request,
                                        v1::GetCustomerResponse* response) override;
  grpc::ServerUnaryReactor* GetPredictionFit(grpc::CallbackServerContext* context,
                                             const v1::GetPredictionFitRequest* request,
                                             v1::GetPredictionFitResponse* response) override;
  grpc::ServerUnaryReactor* ListCustomerPredictions(
      grpc::CallbackServerContext* context, const v1::ListCustomerPredictionsRequest* request,
      v1::ListCustomerPredictionsResponse* response) override;
  grpc::ServerUnaryReactor* GetCohorts(grpc::CallbackServerContext* context,
                                       const v1::GetCohortsRequest* request,
                                       v1::GetCohortsResponse* response) override;
  grpc::ServerUnaryReactor* GetSegmentMigration(grpc::CallbackServerContext* context,
                                                const v1::GetSegmentMigrationRequest* request,
                                                v1::GetSegmentMigrationResponse* response) override;

 private:
  // Admits, runs and logs a read, then finishes it. `handler` gets a view
  // of one committed state (QueryEngine::ReadConsistently): every figure of
  // one response comes from the same data, even while writes land.
  template <typename Handler>
  grpc::ServerUnaryReactor* UnaryRead(grpc::CallbackServerContext* context, std::string_view method,
                                      Handler handler);
  // The same in two steps, for the prediction RPCs: `read` gets the view to
  // read its inputs (shared, immutable answers), then `compute` fits and
  // answers from them after the view's lock is released, so a write never
  // waits behind a fit of seconds.
  template <typename Read, typename Compute>
  grpc::ServerUnaryReactor* UnaryReadThenCompute(grpc::CallbackServerContext* context,
                                                 std::string_view method, Read read,
                                                 Compute compute);
  // The same on a thread of its own, for a write: it may wait for the write
  // gate and run for seconds, and gRPC runs every reaction on a few callback
  // threads — blocked in the gate's wait, they could starve the very call
  // holding the gate. `handler` must own what it refers to.
  template <typename Handler>
  grpc::ServerUnaryReactor* UnaryWrite(grpc::CallbackServerContext* context,
                                       std::string_view method, Handler handler);
  template <typename Handler>
  grpc::Status RunUnary(grpc::CallbackServerContext* context, std::string_view method,
                        Handler& handler);

  Store& store_;
  QueryEngine& engine_;
  RpcObserver& observer_;
  const ServiceLimits limits_;
  const CallGuards guards_;
  const PageTokenCodec page_tokens_;
  StopFlag writes_stop_;
  // Fitted prediction models, kept until the data changes.
  predict::PredictionCache predictions_;
  // Tiers and segments of the scored lists the engine hands out again.
  ClassificationCache classified_;
  // Times out the write streams' idle reads (one thread for all streams).
  IdleWatchdog idle_watchdog_;
};

}  // namespace analytics::api
