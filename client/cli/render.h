// From API responses to what analytics-cli prints.
//
// Each response has one rendering for humans (aligned tables, thousands
// separators, money exact from `*_micros`) and one for scripts (CSV with raw
// numbers, or the proto's canonical JSON mapping). The renderers are pure
// functions of the response so that tests can check them without a server.
#pragma once

#include <string>

#include "customer_analytics/v1/analytics_service.pb.h"
#include "google/protobuf/message.h"

namespace analytics::cli {

namespace v1 = ::customer_analytics::v1;

enum class OutputFormat { kTable, kCsv, kJson };

// The proto3 JSON mapping (lowerCamelCase names, enums by name, int64 as
// strings), zero values included, one line.
std::string RenderJson(const google::protobuf::Message& message);

// "Gold"; "Can't Lose Them"; "Region", "Sub-Category", ... (the server's
// names too: common/display_names.h). Empty for an unknown tier or
// segment; "Key" for an unknown dimension.
std::string TierName(v1::Tier tier);
std::string RfmSegmentName(v1::RfmSegment segment);
std::string DimensionName(v1::Dimension dimension);

// Table or CSV renderings (OutputFormat::kJson is RenderJson's job).
std::string RenderSeed(const v1::SeedDemoDataResponse& response, OutputFormat format);
std::string RenderIngest(const v1::IngestTransactionsResponse& response, OutputFormat format);
std::string RenderImport(const v1::ImportCsvResponse& response, bool dry_run, OutputFormat format);
// For stderr, in every output format: the lines a write replaced with a line
// of another order or customer (`count` of them, `examples` the first);
// empty when none.
std::string ReassignedWarning(
    std::int64_t count, const google::protobuf::RepeatedPtrField<v1::ReassignedLine>& examples,
    bool dry_run);
std::string RenderKpis(const v1::GetKpisResponse& response, OutputFormat format);
std::string RenderBreakdown(const v1::GetBreakdownResponse& response, OutputFormat format);
std::string RenderTrend(const v1::GetSalesTrendResponse& response, OutputFormat format);
std::string RenderRfm(const v1::GetRfmSummaryResponse& response, OutputFormat format);
// `with_header` false continues a CSV over several pages.
std::string RenderCustomers(const v1::ListCustomersResponse& response, OutputFormat format,
                            bool with_header = true);
std::string RenderCustomer(const v1::GetCustomerResponse& response, OutputFormat format);
std::string RenderPredictionFit(const v1::GetPredictionFitResponse& response, OutputFormat format);
std::string RenderPredictions(const v1::ListCustomerPredictionsResponse& response,
                              OutputFormat format);
// Table: one row per cohort, retention per period; CSV: one row per cohort
// and period.
std::string RenderCohorts(const v1::GetCohortsResponse& response, OutputFormat format);
// The tier matrix, or with `by_segment` the segment matrix: one row per
// non-empty (from, to) cell.
std::string RenderMigration(const v1::GetSegmentMigrationResponse& response, bool by_segment,
                            OutputFormat format);

}  // namespace analytics::cli
