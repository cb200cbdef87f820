// The query subcommands: kpis, breakdown, trend, rfm, customers, customer.
#include <ostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "cli/handlers.h"
#include "cli/requests.h"

namespace analytics::cli {
namespace {

// --tier and --rfm-segment into a request with tier and rfm_segment fields.
template <typename Request>
absl::Status SetTierAndSegment(const ParsedArgs& args, Request& request) {
  if (const auto tier = args.Value("tier")) {
    const absl::StatusOr<int> value =
        ParseEnumChoice("--tier", *tier, *v1::Tier_descriptor(), "TIER_");
    if (!value.ok()) return value.status();
    request.set_tier(static_cast<v1::Tier>(*value));
  }
  if (const auto segment = args.Value("rfm-segment")) {
    const absl::StatusOr<int> value =
        ParseEnumChoice("--rfm-segment", *segment, *v1::RfmSegment_descriptor(), "RFM_SEGMENT_");
    if (!value.ok()) return value.status();
    request.set_rfm_segment(static_cast<v1::RfmSegment>(*value));
  }
  return absl::OkStatus();
}

// An optional int32 flag within [0, max]; absent means 0 (the API default).
absl::StatusOr<int> Int32Flag(const ParsedArgs& args, std::string_view name, int max) {
  const absl::StatusOr<std::optional<std::int64_t>> value = args.IntInRange(name, 0, max);
  if (!value.ok()) return value.status();
  return static_cast<int>(value->value_or(0));
}

}  // namespace

absl::Status RunKpis(const CommandContext& context) {
  v1::GetKpisRequest request;
  absl::StatusOr<v1::Filter> filter = BuildFilter(context.args);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *std::move(filter);
  const absl::StatusOr<v1::GetKpisResponse> response =
      context.client.GetKpis(request, context.call);
  if (!response.ok()) return response.status();
  Print(context, *response, RenderKpis);
  return absl::OkStatus();
}

absl::Status RunBreakdown(const CommandContext& context) {
  v1::GetBreakdownRequest request;
  absl::StatusOr<v1::Filter> filter = BuildFilter(context.args);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *std::move(filter);
  const absl::StatusOr<int> dimension = ParseEnumChoice(
      "DIMENSION", context.args.positional().at(0), *v1::Dimension_descriptor(), "DIMENSION_");
  if (!dimension.ok()) return dimension.status();
  request.set_dimension(static_cast<v1::Dimension>(*dimension));
  if (const auto sort = context.args.Value("sort")) {
    const absl::StatusOr<v1::Measure> measure = ParseMeasure(*sort);
    if (!measure.ok()) return measure.status();
    request.set_order_by(*measure);
  }
  request.set_ascending(context.args.Has("asc"));
  const absl::StatusOr<int> limit = Int32Flag(context.args, "limit", 1'000'000'000);
  if (!limit.ok()) return limit.status();
  request.set_limit(*limit);
  const absl::StatusOr<v1::GetBreakdownResponse> response =
      context.client.GetBreakdown(request, context.call);
  if (!response.ok()) return response.status();
  Print(context, *response, RenderBreakdown);
  return absl::OkStatus();
}

// --granularity as the API's enum; UNSPECIFIED (the server's default) when not given.
absl::StatusOr<v1::Granularity> GranularityFlag(const ParsedArgs& args) {
  const auto granularity = args.Value("granularity");
  if (!granularity) return v1::GRANULARITY_UNSPECIFIED;
  const absl::StatusOr<int> value =
      ParseEnumChoice("--granularity", *granularity, *v1::Granularity_descriptor(), "GRANULARITY_");
  if (!value.ok()) return value.status();
  return static_cast<v1::Granularity>(*value);
}

absl::Status RunTrend(const CommandContext& context) {
  v1::GetSalesTrendRequest request;
  absl::StatusOr<v1::Filter> filter = BuildFilter(context.args);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *std::move(filter);
  const absl::StatusOr<v1::Granularity> granularity = GranularityFlag(context.args);
  if (!granularity.ok()) return granularity.status();
  request.set_granularity(*granularity);
  const absl::StatusOr<v1::GetSalesTrendResponse> response =
      context.client.GetSalesTrend(request, context.call);
  if (!response.ok()) return response.status();
  Print(context, *response, RenderTrend);
  return absl::OkStatus();
}

absl::Status RunRfm(const CommandContext& context) {
  v1::GetRfmSummaryRequest request;
  absl::StatusOr<v1::Filter> filter = BuildFilter(context.args);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *std::move(filter);
  absl::StatusOr<v1::RfmOptions> rfm = BuildRfmOptions(context.args);
  if (!rfm.ok()) return rfm.status();
  *request.mutable_rfm() = *std::move(rfm);
  const absl::StatusOr<v1::GetRfmSummaryResponse> response =
      context.client.GetRfmSummary(request, context.call);
  if (!response.ok()) return response.status();
  Print(context, *response, RenderRfm);
  return absl::OkStatus();
}

absl::Status RunCustomers(const CommandContext& context) {
  const ParsedArgs& args = context.args;
  v1::ListCustomersRequest request;
  absl::StatusOr<v1::Filter> filter = BuildFilter(args);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *std::move(filter);
  absl::StatusOr<v1::RfmOptions> rfm = BuildRfmOptions(args);
  if (!rfm.ok()) return rfm.status();
  *request.mutable_rfm() = *std::move(rfm);
  if (absl::Status s = SetTierAndSegment(args, request); !s.ok()) return s;
  if (const auto order_by = args.Value("order-by")) request.set_order_by(*order_by);
  const bool all = args.Has("all");
  // The API reads page_size 0 as its default (50): a --limit of 0 would
  // silently mean 50, so the flag takes only real page sizes.
  const absl::StatusOr<std::optional<std::int64_t>> limit = args.IntInRange("limit", 1, 1000);
  if (!limit.ok()) return limit.status();
  // --all walks every page; big pages keep the number of round trips low.
  request.set_page_size(limit->has_value() ? static_cast<int>(**limit) : all ? 1000 : 0);
  if (const auto token = args.Value("page-token")) request.set_page_token(*token);

  absl::StatusOr<v1::ListCustomersResponse> response =
      context.client.ListCustomers(request, context.call);
  if (!response.ok()) return response.status();
  if (all) {
    // Merge the pages into one response so every output format stays a
    // single document. A repeated token would loop forever: refuse it.
    std::set<std::string> seen;
    v1::ListCustomersResponse merged = *response;
    while (!merged.next_page_token().empty()) {
      if (!seen.insert(merged.next_page_token()).second) {
        return absl::InternalError("the server returned the same page token twice");
      }
      request.set_page_token(merged.next_page_token());
      absl::StatusOr<v1::ListCustomersResponse> page =
          context.client.ListCustomers(request, context.call);
      if (!page.ok()) return page.status();
      for (v1::Customer& customer : *page->mutable_customers()) {
        *merged.add_customers() = std::move(customer);
      }
      merged.set_next_page_token(page->next_page_token());
    }
    response = std::move(merged);
  }
  Print(context, *response, [](const v1::ListCustomersResponse& r, OutputFormat format) {
    return RenderCustomers(r, format);
  });
  return absl::OkStatus();
}

absl::Status RunCustomer(const CommandContext& context) {
  v1::GetCustomerRequest request;
  request.set_customer_id(context.args.positional().at(0));
  absl::StatusOr<v1::Filter> filter = BuildFilter(context.args);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *std::move(filter);
  absl::StatusOr<v1::RfmOptions> rfm = BuildRfmOptions(context.args);
  if (!rfm.ok()) return rfm.status();
  *request.mutable_rfm() = *std::move(rfm);
  const absl::StatusOr<v1::GetCustomerResponse> response =
      context.client.GetCustomer(request, context.call);
  if (!response.ok()) return response.status();
  Print(context, *response, RenderCustomer);
  return absl::OkStatus();
}

}  // namespace analytics::cli

namespace analytics::cli {
namespace {

// --calibration-end, --unit, --horizon, --discount: PredictionOptions.
absl::StatusOr<v1::PredictionOptions> BuildPredictionOptions(const ParsedArgs& args) {
  v1::PredictionOptions options;
  if (const auto end = args.Value("calibration-end")) options.set_calibration_end_date(*end);
  if (const auto unit = args.Value("unit")) {
    const absl::StatusOr<int> value = ParseEnumChoice(
        "--unit", *unit, *v1::PredictionTimeUnit_descriptor(), "PREDICTION_TIME_UNIT_");
    if (!value.ok()) return value.status();
    options.set_time_unit(static_cast<v1::PredictionTimeUnit>(*value));
  }
  const absl::StatusOr<std::optional<double>> horizon = args.Number("horizon");
  if (!horizon.ok()) return horizon.status();
  if (*horizon) options.set_horizon(**horizon);
  const absl::StatusOr<std::optional<double>> discount = args.Number("discount");
  if (!discount.ok()) return discount.status();
  if (*discount) options.set_annual_discount_rate(**discount);
  return options;
}

}  // namespace

absl::Status RunClv(const CommandContext& context) {
  const ParsedArgs& args = context.args;
  absl::StatusOr<v1::Filter> filter = BuildFilter(args);
  if (!filter.ok()) return filter.status();
  absl::StatusOr<v1::PredictionOptions> options = BuildPredictionOptions(args);
  if (!options.ok()) return options.status();
  if (args.Has("fit")) {
    v1::GetPredictionFitRequest request;
    *request.mutable_filter() = *std::move(filter);
    *request.mutable_options() = *std::move(options);
    const absl::StatusOr<v1::GetPredictionFitResponse> response =
        context.client.GetPredictionFit(request, context.call);
    if (!response.ok()) return response.status();
    Print(context, *response, RenderPredictionFit);
    return absl::OkStatus();
  }
  v1::ListCustomerPredictionsRequest request;
  *request.mutable_filter() = *std::move(filter);
  *request.mutable_options() = *std::move(options);
  if (absl::Status s = SetTierAndSegment(args, request); !s.ok()) return s;
  const absl::StatusOr<std::optional<double>> at_risk = args.Number("at-risk");
  if (!at_risk.ok()) return at_risk.status();
  if (*at_risk) {
    if (**at_risk <= 0 || **at_risk > 1) {
      return UsageError("--at-risk: a P(alive) threshold above 0 and at most 1");
    }
    request.set_alive_below(**at_risk);
  }
  if (const auto order_by = args.Value("order-by")) request.set_order_by(*order_by);
  const absl::StatusOr<std::optional<std::int64_t>> limit = args.IntInRange("limit", 1, 1000);
  if (!limit.ok()) return limit.status();
  if (*limit) request.set_page_size(static_cast<int>(**limit));
  if (const auto token = args.Value("page-token")) request.set_page_token(*token);
  const absl::StatusOr<v1::ListCustomerPredictionsResponse> response =
      context.client.ListCustomerPredictions(request, context.call);
  if (!response.ok()) return response.status();
  Print(context, *response, RenderPredictions);
  return absl::OkStatus();
}

absl::Status RunCohorts(const CommandContext& context) {
  v1::GetCohortsRequest request;
  absl::StatusOr<v1::Filter> filter = BuildFilter(context.args);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *std::move(filter);
  const absl::StatusOr<v1::Granularity> granularity = GranularityFlag(context.args);
  if (!granularity.ok()) return granularity.status();
  request.set_granularity(*granularity);
  const absl::StatusOr<v1::GetCohortsResponse> response =
      context.client.GetCohorts(request, context.call);
  if (!response.ok()) return response.status();
  Print(context, *response, RenderCohorts);
  return absl::OkStatus();
}

absl::Status RunMigration(const CommandContext& context) {
  v1::GetSegmentMigrationRequest request;
  absl::StatusOr<v1::Filter> filter = BuildFilter(context.args);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *std::move(filter);
  request.set_from_date(context.args.positional().at(0));
  request.set_to_date(context.args.positional().at(1));
  bool by_segment = false;
  if (const auto by = context.args.Value("by")) {
    if (*by != "tier" && *by != "segment") return UsageError("--by: tier or segment");
    by_segment = *by == "segment";
  }
  const absl::StatusOr<v1::GetSegmentMigrationResponse> response =
      context.client.GetSegmentMigration(request, context.call);
  if (!response.ok()) return response.status();
  Print(context, *response, [by_segment](const auto& r, OutputFormat format) {
    return RenderMigration(r, by_segment, format);
  });
  return absl::OkStatus();
}

}  // namespace analytics::cli
