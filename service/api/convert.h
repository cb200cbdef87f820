// Conversions between the protobuf API types and the core's own types.
//
// This is where requests are validated: every failure is an InvalidArgument
// status whose message starts with the offending field's path
// ("filter.start_date: …"), and nothing invalid reaches the core. Doubles
// exist only here; amounts become exact micro-units on the way in.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/filter.h"
#include "common/line_batch.h"
#include "common/line_fields.h"
#include "common/line_key.h"
#include "common/order_line.h"
#include "customer_analytics/v1/analytics_service.pb.h"
#include "import/csv_import.h"
#include "query/query_engine.h"
#include "reports/breakdown_report.h"
#include "reports/customer_report.h"
#include "reports/kpi_report.h"
#include "reports/trend_report.h"
#include "segmentation/rfm.h"

namespace analytics::api {

namespace v1 = ::customer_analytics::v1;

// Values per filter list; more is refused rather than turned into a huge query.
inline constexpr int kMaxFilterValues = 1000;
// Bytes per filter value; real names are short, and a megabyte-long "region"
// can only be a mistake or an attack on the query.
inline constexpr std::size_t kMaxFilterValueBytes = 1024;
// Bytes per text field of an ingested order line: the CSV import's field
// limit (import/csv_reader.h), so both ways in accept the same data.
inline constexpr std::size_t kMaxLineFieldBytes = std::size_t{1} << 20;

// Empty text is nullopt; anything else must be a valid "YYYY-MM-DD".
absl::StatusOr<std::optional<Day>> OptionalDayFromProto(const std::string& text,
                                                        std::string_view field);
absl::StatusOr<Filter> FilterFromProto(const v1::Filter& proto, std::string_view field = "filter");
absl::StatusOr<RfmQuery> RfmQueryFromProto(const v1::Filter& filter, const v1::RfmOptions& rfm);

// A validation failure of one order line: which field, and why.
struct LineError {
  std::string field;
  std::string reason;
};
// An OrderLine message's fields as received, texts pointing into the
// message: what line validation works on, whether protobuf parsed the
// message or ingest_decoder.h read it straight from the wire.
// OrderLine's fields 1 (line_id) to 17 (product_name) are strings on the
// wire, dates included: texts[number - 1], which is their LineField order.
inline constexpr std::size_t kWireTextCount = FieldIndex(LineField::kProductName) + 1;
struct WireLine {
  std::array<std::string_view, kWireTextCount> texts;
  double sales = 0;
  std::int64_t quantity = 0;
  double discount = 0;
  double profit = 0;
};
WireLine WireLineOf(const v1::OrderLine& proto);

// Validates a line and converts it; the key is line_id, or the default key
// from `keys` (kept in `key`). `out` points into `line`'s texts and `key`.
std::optional<LineError> LineFromWire(const WireLine& line, LineKeyAssigner& keys, std::string& key,
                                      OrderLineView& out);
// The same for a parsed message, into an OrderLine of its own.
std::optional<LineError> OrderLineFromProto(const v1::OrderLine& proto, LineKeyAssigner& keys,
                                            OrderLine& out);

absl::StatusOr<Dimension> DimensionFromProto(v1::Dimension dimension);
absl::StatusOr<Measure> MeasureFromProto(v1::Measure measure);
absl::StatusOr<Granularity> GranularityFromProto(v1::Granularity granularity);
absl::StatusOr<std::optional<Tier>> TierFromProto(v1::Tier tier, std::string_view field);
absl::StatusOr<std::optional<RfmSegment>> SegmentFromProto(v1::RfmSegment segment,
                                                           std::string_view field);

v1::Dimension DimensionToProto(Dimension dimension);
v1::Granularity GranularityToProto(Granularity granularity);
v1::Tier TierToProto(Tier tier);
v1::RfmSegment SegmentToProto(RfmSegment segment);
void MeasuresToProto(const Measures& measures, v1::Measures& out);
void CustomerToProto(const ScoredCustomer& customer, v1::Customer& out);

// Replies of the read calls from the reports that answer them.
void KpiReportToProto(const KpiReport& report, v1::GetKpisResponse& out);
void BreakdownReportToProto(const BreakdownReport& report, Dimension dimension,
                            v1::GetBreakdownResponse& out);
void TrendToProto(Granularity granularity, const std::vector<TrendBucket>& buckets,
                  v1::GetSalesTrendResponse& out);
void RfmSummaryToProto(const RfmSummary& summary, v1::GetRfmSummaryResponse& out);
void CustomerDetailToProto(const CustomerDetail& detail, v1::GetCustomerResponse& out);

// ImportCsv: the options of its first message ("options.<field>: ..."
// errors), and the summary part of its reply.
absl::StatusOr<CsvImportOptions> ImportOptionsFromProto(const v1::ImportCsvOptions& proto);
v1::DateOrder DateOrderToProto(DateOrder order);
v1::Encoding EncodingToProto(TextEncoding encoding);
void ImportSummaryToProto(const CsvImportSummary& summary, v1::ImportCsvResponse& out);

}  // namespace analytics::api
