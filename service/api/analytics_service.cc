#include "api/analytics_service.h"

#include <chrono>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api/convert.h"
#include "api/import_reactor.h"
#include "api/ingest_reactor.h"
#include "api/page_token.h"
#include "api/predictions_convert.h"
#include "api/status.h"
#include "common/stop_flag.h"
#include "demo/demo_generator.h"
#include "reports/breakdown_report.h"
#include "reports/customer_report.h"
#include "reports/kpi_report.h"
#include "reports/trend_report.h"

namespace analytics::api {
namespace {

// How long a read waits for its consistency token before UNAVAILABLE (the
// client's retry policy then tries again, perhaps on another replica).
constexpr std::chrono::milliseconds kConsistencyWait{5000};

absl::Status HandleSeed(Store& store, const ServiceLimits& limits, const StopFlag& stop,
                        grpc::CallbackServerContext& context,
                        const v1::SeedDemoDataRequest& request,
                        v1::SeedDemoDataResponse& response) {
  DemoOptions options;
  options.seed = static_cast<std::uint64_t>(request.seed());
  if (request.line_count() != 0) options.line_count = request.line_count();
  if (request.customer_count() != 0) options.customer_count = request.customer_count();
  if (request.span_days() != 0) options.span_days = request.span_days();
  absl::StatusOr<std::optional<Day>> end = OptionalDayFromProto(request.end_date(), "end_date");
  if (!end.ok()) return end.status();
  options.end_day = end->value_or(TodayUtc());
  if (absl::Status s = ValidateDemoOptions(options); !s.ok()) return s;
  if (options.line_count > limits.max_seed_lines) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line_count: at most ", limits.max_seed_lines,
        " lines per SeedDemoData call on this server (--max-seed-lines and --memory-budget-mb "
        "set it); load more with several calls using different seeds"));
  }

  // The whole write is one transaction: a deadline, a cancel or the server
  // stopping ends the stream early and the store commits nothing.
  DemoGenerator generator(options);
  StoppableSource stoppable(generator, stop);
  CallAwareSource source(stoppable, context);
  absl::StatusOr<WriteResult> written = store.Upsert(source, request.replace());
  if (!written.ok()) return written.status();
  response.set_lines_generated(options.line_count);
  response.set_inserted(written->inserted);
  response.set_updated(written->updated);
  response.set_consistency_token(written->consistency_token);
  // As counted at the commit (still under the write lease): CountLines
  // would fold the whole write log first, inside this call.
  response.set_total_lines(store.LastCommittedStats().lines);
  response.set_first_date(FormatIsoDay(options.end_day - options.span_days + 1));
  response.set_last_date(FormatIsoDay(options.end_day));
  return absl::OkStatus();
}

absl::Status HandleKpis(QueryEngine& engine, const v1::GetKpisRequest& request,
                        v1::GetKpisResponse& response) {
  absl::StatusOr<Filter> filter = FilterFromProto(request.filter());
  if (!filter.ok()) return filter.status();
  absl::StatusOr<KpiReport> report = BuildKpiReport(engine, *filter);
  if (!report.ok()) return report.status();
  KpiReportToProto(*report, response);
  return absl::OkStatus();
}

absl::Status HandleBreakdown(QueryEngine& engine, const v1::GetBreakdownRequest& request,
                             v1::GetBreakdownResponse& response) {
  absl::StatusOr<Filter> filter = FilterFromProto(request.filter());
  if (!filter.ok()) return filter.status();
  BreakdownOptions options;
  absl::StatusOr<Dimension> dimension = DimensionFromProto(request.dimension());
  if (!dimension.ok()) return dimension.status();
  absl::StatusOr<Measure> order_by = MeasureFromProto(request.order_by());
  if (!order_by.ok()) return order_by.status();
  if (request.limit() < 0) return absl::InvalidArgumentError("limit: must not be negative");
  options.dimension = *dimension;
  options.order_by = *order_by;
  options.ascending = request.ascending();
  options.limit = request.limit();
  absl::StatusOr<BreakdownReport> report = BuildBreakdownReport(engine, *filter, options);
  if (!report.ok()) return report.status();
  BreakdownReportToProto(*report, options.dimension, response);
  return absl::OkStatus();
}

absl::Status HandleTrend(QueryEngine& engine, const v1::GetSalesTrendRequest& request,
                         v1::GetSalesTrendResponse& response) {
  absl::StatusOr<Filter> filter = FilterFromProto(request.filter());
  if (!filter.ok()) return filter.status();
  absl::StatusOr<Granularity> granularity = GranularityFromProto(request.granularity());
  if (!granularity.ok()) return granularity.status();
  absl::StatusOr<std::vector<TrendBucket>> buckets = BuildTrend(engine, *filter, *granularity);
  if (!buckets.ok()) return buckets.status();
  TrendToProto(*granularity, *buckets, response);
  return absl::OkStatus();
}

absl::Status HandleRfmSummary(QueryEngine& engine, ClassificationCache& classified,
                              const v1::GetRfmSummaryRequest& request,
                              v1::GetRfmSummaryResponse& response) {
  absl::StatusOr<RfmQuery> query = RfmQueryFromProto(request.filter(), request.rfm());
  if (!query.ok()) return query.status();
  absl::StatusOr<ScoredCustomers> scored = ScoreAllCustomers(engine, *query, &classified);
  if (!scored.ok()) return scored.status();
  RfmSummaryToProto(Summarize(*scored), response);
  return absl::OkStatus();
}

absl::Status HandleListCustomers(QueryEngine& engine, ClassificationCache& classified,
                                 const ServiceLimits& limits, const PageTokenCodec& page_tokens,
                                 const v1::ListCustomersRequest& request,
                                 v1::ListCustomersResponse& response) {
  if (request.page_size() < 0 || request.page_size() > limits.max_page_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 0 and ", limits.max_page_size));
  }
  absl::StatusOr<RfmQuery> query = RfmQueryFromProto(request.filter(), request.rfm());
  if (!query.ok()) return query.status();
  CustomerSelection selection;
  absl::StatusOr<std::optional<Tier>> tier = TierFromProto(request.tier(), "tier");
  if (!tier.ok()) return tier.status();
  absl::StatusOr<std::optional<RfmSegment>> segment =
      SegmentFromProto(request.rfm_segment(), "rfm_segment");
  if (!segment.ok()) return segment.status();
  absl::StatusOr<CustomerOrder> order = ParseCustomerOrder(request.order_by());
  if (!order.ok()) return order.status();
  selection.tier = *tier;
  selection.segment = *segment;
  selection.order = *order;
  // Of the normalized query, so equal requests from any client share tokens.
  const std::uint64_t fingerprint = ListCustomersFingerprint(*query, selection);
  if (!request.page_token().empty()) {
    absl::StatusOr<std::int64_t> offset = page_tokens.Decode(request.page_token(), fingerprint);
    if (!offset.ok()) return offset.status();
    selection.offset = *offset;
  }
  selection.limit = request.page_size() == 0 ? limits.default_page_size : request.page_size();

  absl::StatusOr<ScoredCustomers> scored = ScoreAllCustomers(engine, *query, &classified);
  if (!scored.ok()) return scored.status();
  if (scored->as_of) response.set_as_of_date(FormatIsoDay(*scored->as_of));
  const CustomerPage page = SelectCustomers(*scored, selection);
  for (const ScoredCustomer& customer : page.customers) {
    CustomerToProto(customer, *response.add_customers());
  }
  response.set_total_size(page.total_size);
  if (page.has_more) {
    response.set_next_page_token(page_tokens.Encode(
        selection.offset + static_cast<std::int64_t>(page.customers.size()), fingerprint));
  }
  return absl::OkStatus();
}

// A prediction call: its request, converted, and the inputs it read under
// the engine's consistent view. The fit and the answer are computed from
// them after the view's lock is released (UnaryReadThenCompute).
struct PredictionCall {
  PredictionRequest request;
  predict::PredictionInputs inputs;
  TierThresholds thresholds;  // GetCustomer's
};

absl::Status HandleGetCustomer(QueryEngine& engine, const v1::GetCustomerRequest& request,
                               v1::GetCustomerResponse& response,
                               std::optional<PredictionCall>& prediction) {
  if (request.customer_id().empty()) {
    return absl::InvalidArgumentError("customer_id: is required");
  }
  absl::StatusOr<RfmQuery> query = RfmQueryFromProto(request.filter(), request.rfm());
  if (!query.ok()) return query.status();
  std::optional<PredictionRequest> predict;
  if (request.has_prediction_options()) {
    absl::StatusOr<PredictionRequest> converted = PredictionRequestFromProto(
        request.filter(), request.prediction_options(), "prediction_options");
    if (!converted.ok()) return converted.status();
    predict = std::move(*converted);
  }
  absl::StatusOr<CustomerDetail> detail = FindCustomer(engine, *query, request.customer_id());
  if (!detail.ok()) return detail.status();
  CustomerDetailToProto(*detail, response);
  if (predict) {
    absl::StatusOr<predict::PredictionInputs> inputs =
        predict::ReadPredictionInputs(engine, predict->query, /*with_rfm=*/true);
    if (inputs.ok()) {
      prediction = PredictionCall{*std::move(predict), *std::move(inputs), query->thresholds};
    } else if (!absl::IsFailedPrecondition(inputs.status())) {
      return inputs.status();
    }
  }
  return absl::OkStatus();
}

absl::Status FinishGetCustomer(predict::PredictionCache& predictions,
                               const std::optional<PredictionCall>& call,
                               const v1::GetCustomerRequest& request,
                               v1::GetCustomerResponse& response) {
  if (!call) return absl::OkStatus();
  // No prediction (too little data to fit, or no order by the calibration
  // end) leaves the field unset; the profile still answers.
  absl::StatusOr<predict::PredictedCustomer> prediction =
      predict::FindPrediction(predictions, call->inputs, call->request.query, call->request.clv,
                              request.customer_id(), call->thresholds);
  if (prediction.ok()) {
    PredictedCustomerToProto(*prediction, *response.mutable_prediction());
  } else if (!absl::IsFailedPrecondition(prediction.status()) &&
             !absl::IsNotFound(prediction.status())) {
    return prediction.status();
  }
  return absl::OkStatus();
}

absl::Status ReadPredictionFit(QueryEngine& engine, const v1::GetPredictionFitRequest& request,
                               std::optional<PredictionCall>& call) {
  absl::StatusOr<PredictionRequest> converted =
      PredictionRequestFromProto(request.filter(), request.options(), "options");
  if (!converted.ok()) return converted.status();
  absl::StatusOr<predict::PredictionInputs> inputs =
      predict::ReadPredictionInputs(engine, converted->query, /*with_rfm=*/false);
  if (!inputs.ok()) return inputs.status();
  call = PredictionCall{*std::move(converted), *std::move(inputs), {}};
  return absl::OkStatus();
}

absl::Status FinishPredictionFit(predict::PredictionCache& predictions, const PredictionCall& call,
                                 v1::GetPredictionFitResponse& response) {
  absl::StatusOr<predict::PredictionModelPtr> model =
      predictions.Model(call.inputs, call.request.query);
  if (!model.ok()) return model.status();
  PredictionModelToProto(**model, response);
  return absl::OkStatus();
}

struct PredictionListCall {
  PredictionCall call;
  predict::PredictionSelection selection;
  std::uint64_t fingerprint = 0;
};

absl::Status ReadCustomerPredictions(QueryEngine& engine, const ServiceLimits& limits,
                                     const PageTokenCodec& page_tokens,
                                     const v1::ListCustomerPredictionsRequest& request,
                                     std::optional<PredictionListCall>& list) {
  if (request.page_size() < 0 || request.page_size() > limits.max_page_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 0 and ", limits.max_page_size));
  }
  absl::StatusOr<PredictionRequest> converted =
      PredictionRequestFromProto(request.filter(), request.options(), "options");
  if (!converted.ok()) return converted.status();
  absl::StatusOr<predict::PredictionSelection> selection = PredictionSelectionFromProto(request);
  if (!selection.ok()) return selection.status();
  const std::uint64_t fingerprint = ListPredictionsFingerprint(*converted, *selection);
  if (!request.page_token().empty()) {
    absl::StatusOr<std::int64_t> offset = page_tokens.Decode(request.page_token(), fingerprint);
    if (!offset.ok()) return offset.status();
    selection->offset = *offset;
  }
  selection->limit = request.page_size() == 0 ? limits.default_page_size : request.page_size();
  absl::StatusOr<predict::PredictionInputs> inputs =
      predict::ReadPredictionInputs(engine, converted->query, /*with_rfm=*/true);
  if (!inputs.ok()) return inputs.status();
  list = PredictionListCall{
      {*std::move(converted), *std::move(inputs), {}}, *std::move(selection), fingerprint};
  return absl::OkStatus();
}

absl::Status FinishCustomerPredictions(predict::PredictionCache& predictions,
                                       const PageTokenCodec& page_tokens,
                                       const PredictionListCall& list,
                                       v1::ListCustomerPredictionsResponse& response) {
  const PredictionCall& call = list.call;
  absl::StatusOr<predict::PredictionPage> page = predict::ListPredictions(
      predictions, call.inputs, call.request.query, call.request.clv, list.selection);
  if (!page.ok()) return page.status();
  response.set_calibration_end_date(FormatIsoDay(page->model->calibration_end));
  for (const predict::PredictedCustomer& customer : page->customers) {
    PredictedCustomerToProto(customer, *response.add_predictions());
  }
  response.set_total_size(page->total_size);
  if (page->has_more) {
    response.set_next_page_token(page_tokens.Encode(
        list.selection.offset + static_cast<std::int64_t>(page->customers.size()),
        list.fingerprint));
  }
  return absl::OkStatus();
}

absl::Status HandleGetCohorts(QueryEngine& engine, const v1::GetCohortsRequest& request,
                              v1::GetCohortsResponse& response) {
  absl::StatusOr<Filter> filter = FilterFromProto(request.filter());
  if (!filter.ok()) return filter.status();
  Granularity granularity = Granularity::kMonth;
  if (request.granularity() != v1::GRANULARITY_UNSPECIFIED) {
    absl::StatusOr<Granularity> converted = GranularityFromProto(request.granularity());
    if (!converted.ok()) return converted.status();
    granularity = *converted;
  }
  absl::StatusOr<CohortReport> report = BuildCohortReport(engine, *filter, granularity);
  if (!report.ok()) return report.status();
  CohortReportToProto(*report, response);
  return absl::OkStatus();
}

absl::Status HandleGetSegmentMigration(QueryEngine& engine,
                                       const v1::GetSegmentMigrationRequest& request,
                                       v1::GetSegmentMigrationResponse& response) {
  absl::StatusOr<Filter> filter = FilterFromProto(request.filter());
  if (!filter.ok()) return filter.status();
  if (request.from_date().empty()) return absl::InvalidArgumentError("from_date: is required");
  if (request.to_date().empty()) return absl::InvalidArgumentError("to_date: is required");
  absl::StatusOr<std::optional<Day>> from = OptionalDayFromProto(request.from_date(), "from_date");
  if (!from.ok()) return from.status();
  absl::StatusOr<std::optional<Day>> to = OptionalDayFromProto(request.to_date(), "to_date");
  if (!to.ok()) return to.status();
  absl::StatusOr<TierThresholds> thresholds =
      ThresholdsFromProto(request.thresholds(), "thresholds");
  if (!thresholds.ok()) return thresholds.status();
  absl::StatusOr<MigrationReport> report =
      BuildMigrationReport(engine, *filter, **from, **to, *thresholds);
  if (!report.ok()) return report.status();
  MigrationReportToProto(*report, response);
  return absl::OkStatus();
}

}  // namespace

template <typename Handler>
grpc::Status AnalyticsService::RunUnary(grpc::CallbackServerContext* context,
                                        std::string_view method, Handler& handler) {
  const auto started = std::chrono::steady_clock::now();
  observer_.OnStart(method);
  grpc::Status status;
  {
    // The lease (writes only) is held until the handler has finished.
    absl::StatusOr<WriteGate::Lease> admitted = AdmitCall(guards_, *context, method);
    status = ToGrpcStatus(admitted.ok() ? handler() : admitted.status(), method);
  }
  observer_.OnFinish({.method = method,
                      .peer = CallPeer(*context),
                      .code = status.error_code(),
                      .message = status.error_message(),
                      .elapsed = std::chrono::steady_clock::now() - started});
  return status;
}

template <typename Handler>
grpc::ServerUnaryReactor* AnalyticsService::UnaryRead(grpc::CallbackServerContext* context,
                                                      std::string_view method, Handler handler) {
  return UnaryReadThenCompute(context, method, handler, [] { return absl::OkStatus(); });
}

template <typename Read, typename Compute>
grpc::ServerUnaryReactor* AnalyticsService::UnaryReadThenCompute(
    grpc::CallbackServerContext* context, std::string_view method, Read read, Compute compute) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto consistent = [&]() -> absl::Status {
    // Read-your-writes across replicas: a write's token (its reply's
    // consistency_token) makes the read wait until this replica applied it.
    const auto token = context->client_metadata().find("x-consistency-token");
    if (token != context->client_metadata().end()) {
      absl::Status visible = store_.AwaitVisible(
          std::string_view(token->second.data(), token->second.size()), kConsistencyWait);
      if (absl::IsDeadlineExceeded(visible)) {
        return absl::UnavailableError(
            "this replica has not yet applied the write of x-consistency-token; retry");
      }
      if (!visible.ok()) return visible;
    }
    if (absl::Status status = engine_.ReadConsistently(read); !status.ok()) return status;
    return compute();
  };
  reactor->Finish(RunUnary(context, method, consistent));
  return reactor;
}

template <typename Handler>
grpc::ServerUnaryReactor* AnalyticsService::UnaryWrite(grpc::CallbackServerContext* context,
                                                       std::string_view method, Handler handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto run = [this, context, method, reactor, handler = std::move(handler)]() mutable {
    // Finish is the last act: the call (and the service) may be gone after it.
    reactor->Finish(RunUnary(context, method, handler));
  };
  try {
    std::thread(std::move(run)).detach();
  } catch (const std::system_error&) {
    run();  // no thread to be had: wait here, as before
  }
  return reactor;
}

grpc::ServerUnaryReactor* AnalyticsService::SeedDemoData(grpc::CallbackServerContext* context,
                                                         const v1::SeedDemoDataRequest* request,
                                                         v1::SeedDemoDataResponse* response) {
  return UnaryWrite(context, "SeedDemoData", [this, context, request, response] {
    absl::Status status = HandleSeed(store_, limits_, writes_stop_, *context, *request, *response);
    if (status.ok()) observer_.OnLinesWritten(response->lines_generated(), 0);
    return status;
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetKpis(grpc::CallbackServerContext* context,
                                                    const v1::GetKpisRequest* request,
                                                    v1::GetKpisResponse* response) {
  return UnaryRead(context, "GetKpis",
                   [&](QueryEngine& view) { return HandleKpis(view, *request, *response); });
}

grpc::ServerUnaryReactor* AnalyticsService::GetBreakdown(grpc::CallbackServerContext* context,
                                                         const v1::GetBreakdownRequest* request,
                                                         v1::GetBreakdownResponse* response) {
  return UnaryRead(context, "GetBreakdown",
                   [&](QueryEngine& view) { return HandleBreakdown(view, *request, *response); });
}

grpc::ServerUnaryReactor* AnalyticsService::GetSalesTrend(grpc::CallbackServerContext* context,
                                                          const v1::GetSalesTrendRequest* request,
                                                          v1::GetSalesTrendResponse* response) {
  return UnaryRead(context, "GetSalesTrend",
                   [&](QueryEngine& view) { return HandleTrend(view, *request, *response); });
}

grpc::ServerUnaryReactor* AnalyticsService::GetRfmSummary(grpc::CallbackServerContext* context,
                                                          const v1::GetRfmSummaryRequest* request,
                                                          v1::GetRfmSummaryResponse* response) {
  return UnaryRead(context, "GetRfmSummary", [&](QueryEngine& view) {
    return HandleRfmSummary(view, classified_, *request, *response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::ListCustomers(grpc::CallbackServerContext* context,
                                                          const v1::ListCustomersRequest* request,
                                                          v1::ListCustomersResponse* response) {
  return UnaryRead(context, "ListCustomers", [&](QueryEngine& view) {
    return HandleListCustomers(view, classified_, limits_, page_tokens_, *request, *response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetCustomer(grpc::CallbackServerContext* context,
                                                        const v1::GetCustomerRequest* request,
                                                        v1::GetCustomerResponse* response) {
  std::optional<PredictionCall> prediction;
  return UnaryReadThenCompute(
      context, "GetCustomer",
      [&](QueryEngine& view) { return HandleGetCustomer(view, *request, *response, prediction); },
      [&] { return FinishGetCustomer(predictions_, prediction, *request, *response); });
}

grpc::ServerUnaryReactor* AnalyticsService::GetPredictionFit(
    grpc::CallbackServerContext* context, const v1::GetPredictionFitRequest* request,
    v1::GetPredictionFitResponse* response) {
  std::optional<PredictionCall> call;
  return UnaryReadThenCompute(
      context, "GetPredictionFit",
      [&](QueryEngine& view) { return ReadPredictionFit(view, *request, call); },
      [&] { return FinishPredictionFit(predictions_, *call, *response); });
}

grpc::ServerUnaryReactor* AnalyticsService::ListCustomerPredictions(
    grpc::CallbackServerContext* context, const v1::ListCustomerPredictionsRequest* request,
    v1::ListCustomerPredictionsResponse* response) {
  std::optional<PredictionListCall> list;
  return UnaryReadThenCompute(
      context, "ListCustomerPredictions",
      [&](QueryEngine& view) {
        return ReadCustomerPredictions(view, limits_, page_tokens_, *request, list);
      },
      [&] { return FinishCustomerPredictions(predictions_, page_tokens_, *list, *response); });
}

grpc::ServerUnaryReactor* AnalyticsService::GetCohorts(grpc::CallbackServerContext* context,
                                                       const v1::GetCohortsRequest* request,
                                                       v1::GetCohortsResponse* response) {
  return UnaryRead(context, "GetCohorts",
                   [&](QueryEngine& view) { return HandleGetCohorts(view, *request, *response); });
}

grpc::ServerUnaryReactor* AnalyticsService::GetSegmentMigration(
    grpc::CallbackServerContext* context, const v1::GetSegmentMigrationRequest* request,
    v1::GetSegmentMigrationResponse* response) {
  return UnaryRead(context, "GetSegmentMigration", [&](QueryEngine& view) {
    return HandleGetSegmentMigration(view, *request, *response);
  });
}

grpc::ServerReadReactor<grpc::ByteBuffer>* AnalyticsService::IngestTransactions(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  // The reactor's writer thread waits for the write gate, not this one.
  if (absl::Status checked = CheckCall(guards_, *context, "IngestTransactions"); !checked.ok()) {
    return new RefusedStream<grpc::ByteBuffer>(context, observer_, "IngestTransactions", checked);
  }
  return new IngestReactor(context, response, store_, observer_,
                           limits_.max_lines_per_ingest_message, limits_.write_stream,
                           guards_.write_gate, &idle_watchdog_);
}

grpc::ServerReadReactor<grpc::ByteBuffer>* AnalyticsService::ImportCsv(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  // The reactor waits for the write gate on a thread of its own.
  if (absl::Status checked = CheckCall(guards_, *context, "ImportCsv"); !checked.ok()) {
    return new RefusedStream<grpc::ByteBuffer>(context, observer_, "ImportCsv", checked);
  }
  return new ImportReactor(context, response, store_, observer_, limits_.write_stream,
                           guards_.write_gate, &idle_watchdog_);
}

}  // namespace analytics::api
