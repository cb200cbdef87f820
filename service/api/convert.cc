#include "api/convert.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/line_key.h"
#include "common/line_validation.h"
#include "import/text_encoding.h"

namespace analytics::api {
namespace {

absl::Status FieldError(std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(reason)));
}

absl::Status CopyList(const google::protobuf::RepeatedPtrField<std::string>& values,
                      std::string_view field, std::vector<std::string>& out) {
  if (values.size() > kMaxFilterValues) {
    return FieldError(field, absl::StrCat("at most ", kMaxFilterValues, " values"));
  }
  for (const std::string& value : values) {
    if (value.size() > kMaxFilterValueBytes) {
      return FieldError(field, absl::StrCat("values are at most ", kMaxFilterValueBytes, " bytes"));
    }
  }
  out.assign(values.begin(), values.end());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<Day>> OptionalDayFromProto(const std::string& text,
                                                        std::string_view field) {
  if (text.empty()) return std::optional<Day>();
  absl::StatusOr<Day> day = ParseIsoDay(text);
  if (!day.ok()) return FieldError(field, std::string(day.status().message()));
  return std::optional<Day>(*day);
}

absl::StatusOr<Filter> FilterFromProto(const v1::Filter& proto, std::string_view field) {
  Filter filter;
  const std::string prefix(field);
  absl::StatusOr<std::optional<Day>> start =
      OptionalDayFromProto(proto.start_date(), prefix + ".start_date");
  if (!start.ok()) return start.status();
  absl::StatusOr<std::optional<Day>> end =
      OptionalDayFromProto(proto.end_date(), prefix + ".end_date");
  if (!end.ok()) return end.status();
  if (*start && *end && **start > **end) {
    return FieldError(prefix + ".start_date", "is after end_date");
  }
  filter.start = *start;
  filter.end = *end;
  for (absl::Status s :
       {CopyList(proto.regions(), prefix + ".regions", filter.regions),
        CopyList(proto.categories(), prefix + ".categories", filter.categories),
        CopyList(proto.sub_categories(), prefix + ".sub_categories", filter.sub_categories),
        CopyList(proto.segments(), prefix + ".segments", filter.segments),
        CopyList(proto.states(), prefix + ".states", filter.states)}) {
    if (!s.ok()) return s;
  }
  return filter;
}

absl::StatusOr<RfmQuery> RfmQueryFromProto(const v1::Filter& filter, const v1::RfmOptions& rfm) {
  RfmQuery query;
  absl::StatusOr<Filter> converted = FilterFromProto(filter);
  if (!converted.ok()) return converted.status();
  query.filter = std::move(*converted);
  absl::StatusOr<std::optional<Day>> as_of =
      OptionalDayFromProto(rfm.as_of_date(), "rfm.as_of_date");
  if (!as_of.ok()) return as_of.status();
  query.as_of = *as_of;
  const v1::TierThresholds& t = rfm.thresholds();
  if (t.has_gold_min_frequency()) {
    if (t.gold_min_frequency() < 0) {
      return FieldError("rfm.thresholds.gold_min_frequency", "must not be negative");
    }
    query.thresholds.gold_min_frequency = t.gold_min_frequency();
  }
  if (t.has_silver_min_frequency()) {
    if (t.silver_min_frequency() < 0) {
      return FieldError("rfm.thresholds.silver_min_frequency", "must not be negative");
    }
    query.thresholds.silver_min_frequency = t.silver_min_frequency();
  }
  if (t.has_gold_min_monetary()) {
    absl::StatusOr<Micros> monetary = MicrosFromDouble(t.gold_min_monetary());
    if (!monetary.ok()) {
      return FieldError("rfm.thresholds.gold_min_monetary",
                        std::string(monetary.status().message()));
    }
    if (*monetary < 0) {
      return FieldError("rfm.thresholds.gold_min_monetary", "must not be negative");
    }
    query.thresholds.gold_min_monetary = *monetary;
  }
  return query;
}

namespace {

// WireLine's texts are indexed by LineField (the table is in field-number
// order).
constexpr std::size_t kOrderDate = FieldIndex(LineField::kOrderDate);
constexpr std::size_t kShipDate = FieldIndex(LineField::kShipDate);
constexpr std::size_t kLineId = FieldIndex(LineField::kLineKey);

}  // namespace

WireLine WireLineOf(const v1::OrderLine& proto) {
  WireLine line;
  line.texts = {proto.line_id(),       proto.order_id(),    proto.order_date(),
                proto.ship_date(),     proto.ship_mode(),   proto.customer_id(),
                proto.customer_name(), proto.segment(),     proto.country(),
                proto.region(),        proto.state(),       proto.city(),
                proto.postal_code(),   proto.product_id(),  proto.category(),
                proto.sub_category(),  proto.product_name()};
  line.sales = proto.sales();
  line.quantity = proto.quantity();
  line.discount = proto.discount();
  line.profit = proto.profit();
  return line;
}

std::optional<LineError> LineFromWire(const WireLine& line, LineKeyAssigner& keys, std::string& key,
                                      OrderLineView& out) {
  // Every reason is cut: a reply lists up to kMaxReportedRejections of
  // them (common/line_validation.h bounds its size).
  const auto error = [](LineField field, std::string_view reason) {
    return LineError{std::string(LineFieldName(field)),
                     CutForReply(reason, kMaxRejectionReasonBytes)};
  };
  const auto& texts = line.texts;
  if (texts[kOrderDate].empty()) return error(LineField::kOrderDate, "is required");
  // Almost every line is ASCII: one pass over its texts' bytes settles
  // their encoding, instead of a UTF-8 check per field.
  std::uint64_t high_bits = 0;
  for (const std::string_view text : texts) {
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      high_bits |= word;
    }
    for (; i < text.size(); ++i) high_bits |= static_cast<unsigned char>(text[i]);
  }
  const bool all_ascii = (high_bits & 0x8080808080808080ULL) == 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].size() > kMaxLineFieldBytes) {
      return error(static_cast<LineField>(i),
                   absl::StrCat("longer than ", kMaxLineFieldBytes, " bytes"));
    }
    // Read from the wire, nobody else checked: a stored invalid string
    // would make every later response carrying it unreadable to clients.
    if (!all_ascii && FindInvalidUtf8(texts[i])) {
      return error(static_cast<LineField>(i), "is not valid UTF-8");
    }
  }
  absl::StatusOr<Day> order_date = ParseIsoDay(texts[kOrderDate]);
  if (!order_date.ok()) {
    return error(LineField::kOrderDate, std::string(order_date.status().message()));
  }
  std::optional<Day> ship_date;
  if (!texts[kShipDate].empty()) {
    absl::StatusOr<Day> parsed = ParseIsoDay(texts[kShipDate]);
    if (!parsed.ok()) return error(LineField::kShipDate, std::string(parsed.status().message()));
    ship_date = *parsed;
  }
  absl::StatusOr<Micros> sales = MicrosFromDouble(line.sales);
  if (!sales.ok()) return error(LineField::kSales, std::string(sales.status().message()));
  absl::StatusOr<Micros> profit = MicrosFromDouble(line.profit);
  if (!profit.ok()) return error(LineField::kProfit, std::string(profit.status().message()));
  absl::StatusOr<Micros> discount = MicrosFromDouble(line.discount);
  if (!discount.ok()) return error(LineField::kDiscount, std::string(discount.status().message()));

  for (const LineField field : kLineTexts) {
    if (field != LineField::kLineKey) out.*SpecOf(field).view_text = texts[FieldIndex(field)];
  }
  out.order_date = *order_date;
  out.ship_date = ship_date;
  out.sales = *sales;
  out.quantity = line.quantity;
  out.discount = *discount;
  out.profit = *profit;
  // The rules every write path shares (ids not blank, quantity, discount,
  // amount and date ranges).
  if (std::optional<LineProblem> problem = ValidateLine(out)) {
    return error(problem->field, problem->reason);
  }
  // Only accepted lines count towards default keys.
  if (texts[kLineId].empty()) {
    key = keys.NextKey(out.order_id, out.product_id);
    out.line_key = key;
  } else {
    out.line_key = texts[kLineId];
  }
  return std::nullopt;
}

std::optional<LineError> OrderLineFromProto(const v1::OrderLine& proto, LineKeyAssigner& keys,
                                            OrderLine& out) {
  std::string key;
  OrderLineView view;
  if (std::optional<LineError> error = LineFromWire(WireLineOf(proto), keys, key, view)) {
    return error;
  }
  AssignLine(view, out);
  return std::nullopt;
}

absl::StatusOr<Dimension> DimensionFromProto(v1::Dimension dimension) {
  switch (dimension) {
    case v1::DIMENSION_REGION:
      return Dimension::kRegion;
    case v1::DIMENSION_CATEGORY:
      return Dimension::kCategory;
    case v1::DIMENSION_SUB_CATEGORY:
      return Dimension::kSubCategory;
    case v1::DIMENSION_SEGMENT:
      return Dimension::kSegment;
    case v1::DIMENSION_STATE:
      return Dimension::kState;
    case v1::DIMENSION_SHIP_MODE:
      return Dimension::kShipMode;
    case v1::DIMENSION_CUSTOMER:
      return Dimension::kCustomer;
    case v1::DIMENSION_UNSPECIFIED:
      return FieldError("dimension", "is required");
    default:
      return FieldError("dimension", absl::StrCat("unknown value ", static_cast<int>(dimension)));
  }
}

absl::StatusOr<Measure> MeasureFromProto(v1::Measure measure) {
  switch (measure) {
    case v1::MEASURE_UNSPECIFIED:
    case v1::MEASURE_PROFIT:
      return Measure::kProfit;
    case v1::MEASURE_REVENUE:
      return Measure::kRevenue;
    case v1::MEASURE_MARGIN:
      return Measure::kMargin;
    case v1::MEASURE_ORDERS:
      return Measure::kOrders;
    case v1::MEASURE_CUSTOMERS:
      return Measure::kCustomers;
    case v1::MEASURE_AVERAGE_ORDER_VALUE:
      return Measure::kAverageOrderValue;
    case v1::MEASURE_UNITS:
      return Measure::kUnits;
    default:
      return FieldError("order_by", absl::StrCat("unknown value ", static_cast<int>(measure)));
  }
}

absl::StatusOr<Granularity> GranularityFromProto(v1::Granularity granularity) {
  switch (granularity) {
    case v1::GRANULARITY_DAY:
      return Granularity::kDay;
    case v1::GRANULARITY_WEEK:
      return Granularity::kWeek;
    case v1::GRANULARITY_UNSPECIFIED:
    case v1::GRANULARITY_MONTH:
      return Granularity::kMonth;
    case v1::GRANULARITY_QUARTER:
      return Granularity::kQuarter;
    case v1::GRANULARITY_YEAR:
      return Granularity::kYear;
    default:
      return FieldError("granularity",
                        absl::StrCat("unknown value ", static_cast<int>(granularity)));
  }
}

absl::StatusOr<std::optional<Tier>> TierFromProto(v1::Tier tier, std::string_view field) {
  switch (tier) {
    case v1::TIER_UNSPECIFIED:
      return std::optional<Tier>();
    case v1::TIER_GOLD:
      return std::optional<Tier>(Tier::kGold);
    case v1::TIER_SILVER:
      return std::optional<Tier>(Tier::kSilver);
    case v1::TIER_BRONZE:
      return std::optional<Tier>(Tier::kBronze);
    default:
      return FieldError(field, absl::StrCat("unknown value ", static_cast<int>(tier)));
  }
}

absl::StatusOr<std::optional<RfmSegment>> SegmentFromProto(v1::RfmSegment segment,
                                                           std::string_view field) {
  if (segment == v1::RFM_SEGMENT_UNSPECIFIED) return std::optional<RfmSegment>();
  for (const RfmSegment candidate : kAllSegments) {
    if (SegmentToProto(candidate) == segment) return std::optional<RfmSegment>(candidate);
  }
  return FieldError(field, absl::StrCat("unknown value ", static_cast<int>(segment)));
}

v1::Dimension DimensionToProto(Dimension dimension) {
  switch (dimension) {
    case Dimension::kRegion:
      return v1::DIMENSION_REGION;
    case Dimension::kCategory:
      return v1::DIMENSION_CATEGORY;
    case Dimension::kSubCategory:
      return v1::DIMENSION_SUB_CATEGORY;
    case Dimension::kSegment:
      return v1::DIMENSION_SEGMENT;
    case Dimension::kState:
      return v1::DIMENSION_STATE;
    case Dimension::kShipMode:
      return v1::DIMENSION_SHIP_MODE;
    case Dimension::kCustomer:
      return v1::DIMENSION_CUSTOMER;
  }
  return v1::DIMENSION_UNSPECIFIED;
}

v1::Granularity GranularityToProto(Granularity granularity) {
  switch (granularity) {
    case Granularity::kDay:
      return v1::GRANULARITY_DAY;
    case Granularity::kWeek:
      return v1::GRANULARITY_WEEK;
    case Granularity::kMonth:
      return v1::GRANULARITY_MONTH;
    case Granularity::kQuarter:
      return v1::GRANULARITY_QUARTER;
    case Granularity::kYear:
      return v1::GRANULARITY_YEAR;
  }
  return v1::GRANULARITY_UNSPECIFIED;
}

v1::Tier TierToProto(Tier tier) {
  switch (tier) {
    case Tier::kGold:
      return v1::TIER_GOLD;
    case Tier::kSilver:
      return v1::TIER_SILVER;
    case Tier::kBronze:
      return v1::TIER_BRONZE;
  }
  return v1::TIER_UNSPECIFIED;
}

v1::RfmSegment SegmentToProto(RfmSegment segment) {
  // The proto numbers follow the rule table's order, starting at 1.
  return static_cast<v1::RfmSegment>(static_cast<int>(segment) + 1);
}

void MeasuresToProto(const Measures& measures, v1::Measures& out) {
  out.set_revenue(MicrosToDouble(measures.revenue));
  out.set_profit(MicrosToDouble(measures.profit));
  out.set_margin(measures.Margin());
  out.set_orders(measures.orders);
  out.set_customers(measures.customers);
  out.set_average_order_value(measures.AverageOrderValue());
  out.set_units(measures.units);
  out.set_revenue_micros(measures.revenue);
  out.set_profit_micros(measures.profit);
}

void CustomerToProto(const ScoredCustomer& customer, v1::Customer& out) {
  const CustomerRfm& rfm = customer.rfm;
  // (data, size): protobuf 3.21's setters take no string_view.
  out.set_customer_id(rfm.customer_id.data(), rfm.customer_id.size());
  out.set_customer_name(rfm.customer_name.data(), rfm.customer_name.size());
  out.set_segment(rfm.segment.data(), rfm.segment.size());
  out.set_region(rfm.region.data(), rfm.region.size());
  out.set_recency_days(rfm.recency_days);
  out.set_frequency(rfm.frequency);
  out.set_monetary(MicrosToDouble(rfm.monetary));
  out.set_monetary_micros(rfm.monetary);
  out.set_recency_score(rfm.recency_score);
  out.set_frequency_score(rfm.frequency_score);
  out.set_monetary_score(rfm.monetary_score);
  out.set_tier(TierToProto(customer.tier));
  out.set_rfm_segment(SegmentToProto(customer.segment));
  out.set_lifetime_revenue(MicrosToDouble(rfm.lifetime_revenue));
  out.set_lifetime_profit(MicrosToDouble(rfm.lifetime_profit));
  out.set_lifetime_revenue_micros(rfm.lifetime_revenue);
  out.set_lifetime_profit_micros(rfm.lifetime_profit);
  out.set_first_order_date(FormatIsoDay(rfm.first_order));
  out.set_last_order_date(FormatIsoDay(rfm.last_order));
  out.set_lifetime_orders(rfm.lifetime_orders);
}

namespace {

void SetChange(double before, double after, void (v1::KpiChange::*setter)(double),
               v1::KpiChange& change) {
  if (std::optional<double> pct = PercentChange(before, after)) (change.*setter)(*pct);
}

void BreakdownRowToProto(const BreakdownRow& row, v1::BreakdownRow& out) {
  out.set_key(row.group.key);
  out.set_label(row.group.label);
  MeasuresToProto(row.group.measures, *out.mutable_measures());
  out.set_revenue_share(row.revenue_share);
}

void GroupToProto(const RfmGroupSummary& group, v1::RfmGroup& out) {
  out.set_customers(group.customers);
  out.set_revenue(MicrosToDouble(group.revenue));
  out.set_revenue_micros(group.revenue);
  out.set_revenue_share(group.revenue_share);
  out.set_average_recency_days(group.average_recency_days);
  out.set_average_frequency(group.average_frequency);
  out.set_average_monetary(group.average_monetary);
}

}  // namespace

void KpiReportToProto(const KpiReport& report, v1::GetKpisResponse& out) {
  if (report.period) {
    out.set_period_start_date(FormatIsoDay(report.period->first));
    out.set_period_end_date(FormatIsoDay(report.period->last));
    out.set_previous_start_date(FormatIsoDay(report.previous_period->first));
    out.set_previous_end_date(FormatIsoDay(report.previous_period->last));
  }
  MeasuresToProto(report.current, *out.mutable_current());
  MeasuresToProto(report.previous, *out.mutable_previous());
  const Measures& now = report.current;
  const Measures& before = report.previous;
  v1::KpiChange& change = *out.mutable_change();
  SetChange(MicrosToDouble(before.revenue), MicrosToDouble(now.revenue),
            &v1::KpiChange::set_revenue_pct, change);
  SetChange(MicrosToDouble(before.profit), MicrosToDouble(now.profit),
            &v1::KpiChange::set_profit_pct, change);
  SetChange(static_cast<double>(before.orders), static_cast<double>(now.orders),
            &v1::KpiChange::set_orders_pct, change);
  SetChange(static_cast<double>(before.customers), static_cast<double>(now.customers),
            &v1::KpiChange::set_customers_pct, change);
  SetChange(before.AverageOrderValue(), now.AverageOrderValue(),
            &v1::KpiChange::set_average_order_value_pct, change);
  SetChange(static_cast<double>(before.units), static_cast<double>(now.units),
            &v1::KpiChange::set_units_pct, change);
  change.set_margin_points((now.Margin() - before.Margin()) * 100.0);
}

void BreakdownReportToProto(const BreakdownReport& report, Dimension dimension,
                            v1::GetBreakdownResponse& out) {
  out.set_dimension(DimensionToProto(dimension));
  for (const BreakdownRow& row : report.rows) BreakdownRowToProto(row, *out.add_rows());
  out.set_total_groups(report.total_groups);
  MeasuresToProto(report.total, *out.mutable_total());
}

void TrendToProto(Granularity granularity, const std::vector<TrendBucket>& buckets,
                  v1::GetSalesTrendResponse& out) {
  out.set_granularity(GranularityToProto(granularity));
  for (const TrendBucket& bucket : buckets) {
    v1::TrendBucket& proto = *out.add_buckets();
    proto.set_start_date(FormatIsoDay(bucket.start));
    proto.set_end_date(FormatIsoDay(bucket.end));
    proto.set_label(bucket.label);
    proto.set_revenue(MicrosToDouble(bucket.revenue));
    proto.set_profit(MicrosToDouble(bucket.profit));
    proto.set_orders(bucket.orders);
    proto.set_revenue_micros(bucket.revenue);
    proto.set_profit_micros(bucket.profit);
  }
}

void RfmSummaryToProto(const RfmSummary& summary, v1::GetRfmSummaryResponse& out) {
  if (summary.as_of) out.set_as_of_date(FormatIsoDay(*summary.as_of));
  out.set_customers(summary.customers);
  out.set_revenue(MicrosToDouble(summary.revenue));
  out.set_revenue_micros(summary.revenue);
  for (std::size_t i = 0; i < kAllTiers.size(); ++i) {
    v1::RfmGroup& group = *out.add_tiers();
    group.set_tier(TierToProto(kAllTiers[i]));
    group.set_display_name(std::string(TierName(kAllTiers[i])));
    GroupToProto(summary.tiers[i], group);
  }
  for (std::size_t i = 0; i < kAllSegments.size(); ++i) {
    v1::RfmGroup& group = *out.add_segments();
    group.set_rfm_segment(SegmentToProto(kAllSegments[i]));
    group.set_display_name(std::string(SegmentName(kAllSegments[i])));
    GroupToProto(summary.segments[i], group);
  }
}

void CustomerDetailToProto(const CustomerDetail& detail, v1::GetCustomerResponse& out) {
  CustomerToProto(detail.customer, *out.mutable_customer());
  out.set_as_of_date(FormatIsoDay(detail.as_of));
  for (const BreakdownRow& row : detail.categories.rows) {
    BreakdownRowToProto(row, *out.add_categories());
  }
}

absl::StatusOr<CsvImportOptions> ImportOptionsFromProto(const v1::ImportCsvOptions& proto) {
  CsvImportOptions options;
  switch (proto.date_order()) {
    case v1::DATE_ORDER_UNSPECIFIED:
      options.date_order = DateOrder::kAuto;
      break;
    case v1::DATE_ORDER_DMY:
      options.date_order = DateOrder::kDmy;
      break;
    case v1::DATE_ORDER_MDY:
      options.date_order = DateOrder::kMdy;
      break;
    case v1::DATE_ORDER_YMD:
      options.date_order = DateOrder::kYmd;
      break;
    default:
      return absl::InvalidArgumentError("options.date_order: unknown value");
  }
  switch (proto.encoding()) {
    case v1::ENCODING_UNSPECIFIED:
      options.encoding = TextEncoding::kAuto;
      break;
    case v1::ENCODING_UTF8:
      options.encoding = TextEncoding::kUtf8;
      break;
    case v1::ENCODING_LATIN1:
      options.encoding = TextEncoding::kLatin1;
      break;
    case v1::ENCODING_WINDOWS_1252:
      options.encoding = TextEncoding::kWindows1252;
      break;
    case v1::ENCODING_MAC_ROMAN:
      options.encoding = TextEncoding::kMacRoman;
      break;
    default:
      return absl::InvalidArgumentError("options.encoding: unknown value");
  }
  options.skip_invalid = proto.skip_invalid();
  if (absl::Status s = CheckSource(proto.source()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("options.source: ", s.message()));
  }
  options.source = proto.source();
  return options;
}

v1::DateOrder DateOrderToProto(DateOrder order) {
  switch (order) {
    case DateOrder::kDmy:
      return v1::DATE_ORDER_DMY;
    case DateOrder::kMdy:
      return v1::DATE_ORDER_MDY;
    case DateOrder::kYmd:
      return v1::DATE_ORDER_YMD;
    case DateOrder::kAuto:
      break;
  }
  return v1::DATE_ORDER_UNSPECIFIED;
}

v1::Encoding EncodingToProto(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::kUtf8:
      return v1::ENCODING_UTF8;
    case TextEncoding::kLatin1:
      return v1::ENCODING_LATIN1;
    case TextEncoding::kWindows1252:
      return v1::ENCODING_WINDOWS_1252;
    case TextEncoding::kMacRoman:
      return v1::ENCODING_MAC_ROMAN;
    case TextEncoding::kAuto:
      break;
  }
  return v1::ENCODING_UNSPECIFIED;
}

void ImportSummaryToProto(const CsvImportSummary& summary, v1::ImportCsvResponse& out) {
  out.set_lines_read(summary.lines_read);
  out.set_accepted(summary.accepted);
  out.set_rejected(summary.rejected);
  for (const RejectedLine& line : summary.rejected_lines) {
    v1::RejectedLine& rejected = *out.add_rejected_lines();
    rejected.set_line_number(line.line_number);
    rejected.set_field(line.field);
    rejected.set_reason(line.reason);
  }
  for (const std::string& column : summary.unknown_columns) out.add_unknown_columns(column);
  out.set_encoding(EncodingToProto(summary.encoding));
  out.set_date_order(DateOrderToProto(summary.date_order));
}

}  // namespace analytics::api
