#include "cli/render.h"

#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/format.h"
#include "cli/requests.h"
#include "common/display_names.h"
#include "google/protobuf/util/json_util.h"

namespace analytics::cli {
namespace {

struct Field {
  std::string label;     // table label
  std::string csv_name;  // CSV column
  Cell value;
};

// Small records print as "Label  value" lines for people and as a one-row
// CSV for scripts.
std::string RenderFields(const std::vector<Field>& fields, OutputFormat format) {
  if (format == OutputFormat::kCsv) {
    std::vector<Column> columns;
    std::vector<Cell> row;
    for (const Field& field : fields) {
      columns.push_back({field.label, field.csv_name, Align::kLeft});
      row.push_back(field.value);
    }
    Table table(std::move(columns));
    table.AddRow(std::move(row));
    return table.RenderCsv();
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const Field& field : fields) pairs.emplace_back(field.label, field.value.display);
  return RenderPairs(pairs);
}

std::string Range(const std::string& start, const std::string& end) {
  if (start.empty() && end.empty()) return "(no data)";
  return absl::StrCat(start, " .. ", end);
}

Cell TierCell(v1::Tier tier) {
  return Cell{TierName(tier), EnumChoiceName(*v1::Tier_descriptor(), "TIER_", tier)};
}

Cell SegmentCell(v1::RfmSegment segment) {
  return Cell{RfmSegmentName(segment),
              EnumChoiceName(*v1::RfmSegment_descriptor(), "RFM_SEGMENT_", segment)};
}

Cell Margin(std::int64_t profit_micros, std::int64_t revenue_micros) {
  return Percent(revenue_micros == 0
                     ? 0.0
                     : static_cast<double>(profit_micros) / static_cast<double>(revenue_micros));
}

std::string RejectedTable(const google::protobuf::RepeatedPtrField<v1::RejectedLine>& rejected,
                          std::int64_t rejected_count) {
  if (rejected.empty()) return "";
  Table table({{"Line", "line_number", Align::kRight},
               {"Field", "field", Align::kLeft},
               {"Reason", "reason", Align::kLeft}});
  for (const v1::RejectedLine& line : rejected) {
    table.AddRow({Count(line.line_number()), Text(line.field()), Text(line.reason())});
  }
  std::string out =
      absl::StrCat("\nRejected lines",
                   rejected_count > rejected.size()
                       ? absl::StrCat(" (first ", rejected.size(), " of ", rejected_count, ")")
                       : "",
                   ":\n", table.Render());
  return out;
}

}  // namespace

std::string RenderJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  // Printing a well-formed message cannot fail; keep a JSON-shaped fallback.
  if (!status.ok()) return absl::StrCat("{\"error\":\"", std::string(status.message()), "\"}\n");
  return json + "\n";
}

std::string TierName(v1::Tier tier) { return std::string(DisplayName(kTierNames, tier)); }

std::string RfmSegmentName(v1::RfmSegment segment) {
  return std::string(DisplayName(kRfmSegmentNames, segment));
}

std::string DimensionName(v1::Dimension dimension) {
  return std::string(DisplayName(kDimensionNames, dimension, "Key"));
}

std::string RenderSeed(const v1::SeedDemoDataResponse& r, OutputFormat format) {
  return RenderFields({{"Lines generated", "lines_generated", Count(r.lines_generated())},
                       {"Inserted", "inserted", Count(r.inserted())},
                       {"Updated", "updated", Count(r.updated())},
                       {"Total lines", "total_lines", Count(r.total_lines())},
                       {"First date", "first_date", Text(r.first_date())},
                       {"Last date", "last_date", Text(r.last_date())}},
                      format);
}

std::string RenderIngest(const v1::IngestTransactionsResponse& r, OutputFormat format) {
  std::string out = RenderFields({{"Accepted", "accepted", Count(r.accepted())},
                                  {"Rejected", "rejected", Count(r.rejected())},
                                  {"Inserted", "inserted", Count(r.inserted())},
                                  {"Updated", "updated", Count(r.updated())},
                                  {"Reassigned", "reassigned", Count(r.reassigned())}},
                                 format);
  if (format == OutputFormat::kTable) out += RejectedTable(r.rejected_lines(), r.rejected());
  return out;
}

std::string RenderImport(const v1::ImportCsvResponse& r, bool dry_run, OutputFormat format) {
  std::string committed = r.committed() ? "yes" : "no";
  if (!r.committed()) {
    absl::StrAppend(&committed, dry_run ? " (dry run)" : " (rejected lines; see --skip-invalid)");
  }
  std::vector<Field> fields = {
      {"Lines read", "lines_read", Count(r.lines_read())},
      {"Accepted", "accepted", Count(r.accepted())},
      {"Rejected", "rejected", Count(r.rejected())},
      {"Inserted", "inserted", Count(r.inserted())},
      {"Updated", "updated", Count(r.updated())},
      {"Reassigned", "reassigned", Count(r.reassigned())},
      {"Committed", "committed", Cell{committed, r.committed() ? "true" : "false"}},
      {"Encoding", "encoding",
       Text(EnumChoiceName(*v1::Encoding_descriptor(), "ENCODING_", r.encoding()))},
      {"Date order", "date_order",
       Text(EnumChoiceName(*v1::DateOrder_descriptor(), "DATE_ORDER_", r.date_order()))},
  };
  if (!r.unknown_columns().empty() || format == OutputFormat::kCsv) {
    const std::string unknown = absl::StrJoin(r.unknown_columns(), ", ");
    fields.push_back({"Ignored columns", "unknown_columns", Cell{unknown, unknown}});
  }
  std::string out = RenderFields(fields, format);
  if (format == OutputFormat::kTable) out += RejectedTable(r.rejected_lines(), r.rejected());
  return out;
}

std::string ReassignedWarning(
    std::int64_t count, const google::protobuf::RepeatedPtrField<v1::ReassignedLine>& examples,
    bool dry_run) {
  if (count == 0) return "";
  std::string out = absl::StrCat(
      "warning: ", count, " stored line", count == 1 ? "" : "s", dry_run ? " would be" : " were",
      " replaced by a line of another order or customer with the same key. Row IDs (line_id) "
      "that restart in each file collide; give each file its own --source to keep them apart.\n");
  for (const v1::ReassignedLine& line : examples) {
    absl::StrAppend(&out, "  key ", line.line_key(), ": order ", line.previous_order_id(), " -> ",
                    line.order_id(), ", customer ", line.previous_customer_id(), " -> ",
                    line.customer_id(), "\n");
  }
  if (count > examples.size()) {
    absl::StrAppend(&out, "  ... and ", count - examples.size(), " more\n");
  }
  return out;
}

std::string RenderKpis(const v1::GetKpisResponse& r, OutputFormat format) {
  const v1::Measures& cur = r.current();
  const v1::Measures& prev = r.previous();
  const v1::KpiChange& change = r.change();
  auto pct = [](bool has, double value) {
    return has ? Cell{FormatChangePercent(value), FormatDecimalRaw(value, 6)} : Cell{"n/a", ""};
  };
  const Cell points{absl::StrCat(change.margin_points() >= 0 ? "+" : "",
                                 FormatDecimalRaw(change.margin_points(), 2), " pts"),
                    FormatDecimalRaw(change.margin_points(), 6)};
  Table table({{"Measure", "measure", Align::kLeft},
               {"Current", "current", Align::kRight},
               {"Previous", "previous", Align::kRight},
               {"Change", "change", Align::kRight},
               {"", "change_unit", Align::kLeft}});
  // The unit column is for CSV readers (no heading: CSV only); the table
  // shows the unit in the change text itself.
  table.AddRow({Text("Revenue"), Money(cur.revenue_micros()), Money(prev.revenue_micros()),
                pct(change.has_revenue_pct(), change.revenue_pct()), Cell{"", "percent"}});
  table.AddRow({Text("Profit"), Money(cur.profit_micros()), Money(prev.profit_micros()),
                pct(change.has_profit_pct(), change.profit_pct()), Cell{"", "percent"}});
  table.AddRow({Text("Margin"), Percent(cur.margin(), 2), Percent(prev.margin(), 2), points,
                Cell{"", "points"}});
  table.AddRow({Text("Orders"), Count(cur.orders()), Count(prev.orders()),
                pct(change.has_orders_pct(), change.orders_pct()), Cell{"", "percent"}});
  table.AddRow({Text("Customers"), Count(cur.customers()), Count(prev.customers()),
                pct(change.has_customers_pct(), change.customers_pct()), Cell{"", "percent"}});
  table.AddRow({Text("Average order value"), Decimal(cur.average_order_value(), 2),
                Decimal(prev.average_order_value(), 2),
                pct(change.has_average_order_value_pct(), change.average_order_value_pct()),
                Cell{"", "percent"}});
  table.AddRow({Text("Units"), Count(cur.units()), Count(prev.units()),
                pct(change.has_units_pct(), change.units_pct()), Cell{"", "percent"}});
  if (format == OutputFormat::kCsv) return table.RenderCsv();
  return absl::StrCat(
      RenderPairs({{"Period", Range(r.period_start_date(), r.period_end_date())},
                   {"Previous", Range(r.previous_start_date(), r.previous_end_date())}}),
      "\n", table.Render());
}

std::string RenderBreakdown(const v1::GetBreakdownResponse& r, OutputFormat format) {
  const bool customers = r.dimension() == v1::DIMENSION_CUSTOMER;
  std::vector<Column> columns = {{DimensionName(r.dimension()), "key", Align::kLeft}};
  if (customers) columns.push_back({"Name", "label", Align::kLeft});
  for (Column column : std::vector<Column>{{"Revenue", "revenue", Align::kRight},
                                           {"Profit", "profit", Align::kRight},
                                           {"Margin", "margin", Align::kRight},
                                           {"Orders", "orders", Align::kRight},
                                           {"Customers", "customers", Align::kRight},
                                           {"Avg order", "average_order_value", Align::kRight},
                                           {"Units", "units", Align::kRight},
                                           {"Share", "revenue_share", Align::kRight}}) {
    columns.push_back(std::move(column));
  }
  Table table(std::move(columns));
  auto row = [&](Cell key, Cell label, const v1::Measures& m, Cell share) {
    std::vector<Cell> cells = {std::move(key)};
    if (customers) cells.push_back(std::move(label));
    for (Cell cell : {Money(m.revenue_micros()), Money(m.profit_micros()), Percent(m.margin()),
                      Count(m.orders()), Count(m.customers()), Decimal(m.average_order_value(), 2),
                      Count(m.units()), std::move(share)}) {
      cells.push_back(std::move(cell));
    }
    return cells;
  };
  for (const v1::BreakdownRow& b : r.rows()) {
    table.AddRow(row(Text(b.key()), Text(b.label()), b.measures(), Percent(b.revenue_share())));
  }
  table.AddFooter(row(Text("Total"), Text(""), r.total(),
                      Percent(r.total().revenue_micros() == 0 ? 0.0 : 1.0)));
  if (format == OutputFormat::kCsv) return table.RenderCsv();
  std::string out = table.Render();
  if (r.total_groups() > r.rows_size()) {
    absl::StrAppend(&out, "\nShowing ", r.rows_size(), " of ", FormatCount(r.total_groups()),
                    " groups; the total covers all of them.\n");
  }
  return out;
}

std::string RenderTrend(const v1::GetSalesTrendResponse& r, OutputFormat format) {
  Table table({{"Period", "label", Align::kLeft},
               {"From", "start_date", Align::kLeft},
               {"To", "end_date", Align::kLeft},
               {"Revenue", "revenue", Align::kRight},
               {"Profit", "profit", Align::kRight},
               {"Margin", "margin", Align::kRight},
               {"Orders", "orders", Align::kRight}});
  std::int64_t revenue = 0, profit = 0, orders = 0;
  for (const v1::TrendBucket& b : r.buckets()) {
    table.AddRow({Text(b.label()), Text(b.start_date()), Text(b.end_date()),
                  Money(b.revenue_micros()), Money(b.profit_micros()),
                  Margin(b.profit_micros(), b.revenue_micros()), Count(b.orders())});
    revenue += b.revenue_micros();
    profit += b.profit_micros();
    orders += b.orders();
  }
  if (format == OutputFormat::kCsv) return table.RenderCsv();
  if (r.buckets().empty()) return "No orders in the range.\n";
  table.AddFooter({Text("Total"), Text(r.buckets(0).start_date()),
                   Text(r.buckets(r.buckets_size() - 1).end_date()), Money(revenue), Money(profit),
                   Margin(profit, revenue), Count(orders)});
  return table.Render();
}

std::string RenderRfm(const v1::GetRfmSummaryResponse& r, OutputFormat format) {
  auto make_table = [](const std::string& heading) {
    return Table({{heading, "name", Align::kLeft},
                  {"Customers", "customers", Align::kRight},
                  {"Revenue", "revenue", Align::kRight},
                  {"Share", "revenue_share", Align::kRight},
                  {"Avg recency (days)", "average_recency_days", Align::kRight},
                  {"Avg frequency", "average_frequency", Align::kRight},
                  {"Avg monetary", "average_monetary", Align::kRight}});
  };
  auto cells = [](const v1::RfmGroup& g, Cell name) {
    return std::vector<Cell>{std::move(name),
                             Count(g.customers()),
                             Money(g.revenue_micros()),
                             Percent(g.revenue_share()),
                             Decimal(g.average_recency_days(), 1),
                             Decimal(g.average_frequency(), 2),
                             Decimal(g.average_monetary(), 2)};
  };
  if (format == OutputFormat::kCsv) {
    Table table({{"Group", "group", Align::kLeft},
                 {"Name", "name", Align::kLeft},
                 {"Customers", "customers", Align::kRight},
                 {"Revenue", "revenue", Align::kRight},
                 {"Share", "revenue_share", Align::kRight},
                 {"Avg recency (days)", "average_recency_days", Align::kRight},
                 {"Avg frequency", "average_frequency", Align::kRight},
                 {"Avg monetary", "average_monetary", Align::kRight}});
    for (const v1::RfmGroup& g : r.tiers()) {
      std::vector<Cell> row = cells(g, TierCell(g.tier()));
      row.insert(row.begin(), Text("tier"));
      table.AddRow(std::move(row));
    }
    for (const v1::RfmGroup& g : r.segments()) {
      std::vector<Cell> row = cells(g, SegmentCell(g.rfm_segment()));
      row.insert(row.begin(), Text("segment"));
      table.AddRow(std::move(row));
    }
    return table.RenderCsv();
  }
  Table tiers = make_table("Tier");
  for (const v1::RfmGroup& g : r.tiers()) tiers.AddRow(cells(g, Text(g.display_name())));
  Table segments = make_table("RFM segment");
  for (const v1::RfmGroup& g : r.segments()) segments.AddRow(cells(g, Text(g.display_name())));
  return absl::StrCat(RenderPairs({{"As of", r.as_of_date()},
                                   {"Customers", FormatCount(r.customers())},
                                   {"Revenue", FormatMoney(r.revenue_micros())}}),
                      "\n", tiers.Render(), "\n", segments.Render());
}

std::string RenderCustomers(const v1::ListCustomersResponse& r, OutputFormat format,
                            bool with_header) {
  Table table({{"Customer", "customer_id", Align::kLeft},
               {"Name", "customer_name", Align::kLeft},
               {"Segment", "segment", Align::kLeft},
               {"Region", "region", Align::kLeft},
               {"Tier", "tier", Align::kLeft},
               {"RFM segment", "rfm_segment", Align::kLeft},
               {"R", "recency_score", Align::kRight},
               {"F", "frequency_score", Align::kRight},
               {"M", "monetary_score", Align::kRight},
               {"Recency", "recency_days", Align::kRight},
               {"Orders", "frequency", Align::kRight},
               {"Monetary", "monetary", Align::kRight},
               {"Lifetime profit", "lifetime_profit", Align::kRight},
               {"Last order", "last_order_date", Align::kLeft}});
  for (const v1::Customer& c : r.customers()) {
    table.AddRow({Text(c.customer_id()), Text(c.customer_name()), Text(c.segment()),
                  Text(c.region()), TierCell(c.tier()), SegmentCell(c.rfm_segment()),
                  Count(c.recency_score()), Count(c.frequency_score()), Count(c.monetary_score()),
                  Count(c.recency_days()), Count(c.frequency()), Money(c.monetary_micros()),
                  Money(c.lifetime_profit_micros()), Text(c.last_order_date())});
  }
  if (format == OutputFormat::kCsv) {
    std::string csv = table.RenderCsv();
    return with_header ? csv : csv.substr(csv.find('\n') + 1);
  }
  std::string out = r.customers().empty() ? "No customers match.\n" : table.Render();
  absl::StrAppend(&out, "\n", FormatCount(r.customers_size()), " of ", FormatCount(r.total_size()),
                  " customers, RFM as of ", r.as_of_date(), ".\n");
  if (!r.next_page_token().empty()) {
    absl::StrAppend(&out, "Next page: --page-token ", r.next_page_token(), "\n");
  }
  return out;
}

std::string RenderCustomer(const v1::GetCustomerResponse& r, OutputFormat format) {
  const v1::Customer& c = r.customer();
  std::vector<Field> fields = {
      {"Customer", "customer_id", Text(c.customer_id())},
      {"Name", "customer_name", Text(c.customer_name())},
      {"Segment", "segment", Text(c.segment())},
      {"Region", "region", Text(c.region())},
      {"Tier", "tier", TierCell(c.tier())},
      {"RFM segment", "rfm_segment", SegmentCell(c.rfm_segment())},
      {"RFM as of", "as_of_date", Text(r.as_of_date())},
      {"Recency (days)", "recency_days", Count(c.recency_days())},
      {"Frequency", "frequency", Count(c.frequency())},
      {"Monetary", "monetary", Money(c.monetary_micros())},
      {"Scores R/F/M", "",
       Text(absl::StrCat(c.recency_score(), "/", c.frequency_score(), "/", c.monetary_score()))},
      {"Lifetime revenue", "lifetime_revenue", Money(c.lifetime_revenue_micros())},
      {"Lifetime profit", "lifetime_profit", Money(c.lifetime_profit_micros())},
      {"Lifetime orders", "lifetime_orders", Count(c.lifetime_orders())},
      {"First order", "first_order_date", Text(c.first_order_date())},
      {"Last order", "last_order_date", Text(c.last_order_date())},
  };
  if (format == OutputFormat::kCsv) {
    // One value per CSV column: the scores split up.
    std::erase_if(fields, [](const Field& f) { return f.csv_name.empty(); });
    fields.push_back({"R", "recency_score", Count(c.recency_score())});
    fields.push_back({"F", "frequency_score", Count(c.frequency_score())});
    fields.push_back({"M", "monetary_score", Count(c.monetary_score())});
    return RenderFields(fields, format);
  }
  Table categories({{"Category", "category", Align::kLeft},
                    {"Revenue", "revenue", Align::kRight},
                    {"Profit", "profit", Align::kRight},
                    {"Margin", "margin", Align::kRight},
                    {"Orders", "orders", Align::kRight},
                    {"Units", "units", Align::kRight},
                    {"Share", "revenue_share", Align::kRight}});
  for (const v1::BreakdownRow& b : r.categories()) {
    const v1::Measures& m = b.measures();
    categories.AddRow({Text(b.label().empty() ? b.key() : b.label()), Money(m.revenue_micros()),
                       Money(m.profit_micros()), Percent(m.margin()), Count(m.orders()),
                       Count(m.units()), Percent(b.revenue_share())});
  }
  std::string out = RenderFields(fields, format);
  if (!r.categories().empty()) absl::StrAppend(&out, "\n", categories.Render());
  return out;
}

std::string RenderPredictionFit(const v1::GetPredictionFitResponse& r, OutputFormat format) {
  const v1::BgNbdParameters& b = r.bgnbd();
  std::vector<Field> fields = {
      {"Calibration end", "calibration_end_date", Text(r.calibration_end_date())},
      {"Unit", "time_unit", Text(r.time_unit() == v1::PREDICTION_TIME_UNIT_DAY ? "day" : "week")},
      {"Customers", "customers", Count(r.customers())},
      {"Repeat customers", "repeat_customers", Count(r.repeat_customers())},
      {"BG/NBD r", "r", Decimal(b.r(), 4)},
      {"BG/NBD alpha", "alpha", Decimal(b.alpha(), 4)},
      {"BG/NBD a", "a", Decimal(b.a(), 4)},
      {"BG/NBD b", "b", Decimal(b.b(), 4)},
      {"Log-likelihood", "log_likelihood", Decimal(r.bgnbd_fit().log_likelihood(), 2)},
      {"Converged", "converged", Text(r.bgnbd_fit().converged() ? "yes" : "no")},
      {"Iterations", "iterations", Count(r.bgnbd_fit().iterations())},
  };
  if (r.has_gamma_gamma()) {
    fields.push_back({"Gamma-Gamma p", "p", Decimal(r.gamma_gamma().p(), 4)});
    fields.push_back({"Gamma-Gamma q", "q", Decimal(r.gamma_gamma().q(), 4)});
    fields.push_back({"Gamma-Gamma gamma", "gamma", Decimal(r.gamma_gamma().gamma(), 4)});
    fields.push_back(
        {"Gamma-Gamma customers", "gamma_gamma_customers", Count(r.gamma_gamma_customers())});
  } else {
    fields.push_back({"Gamma-Gamma", "gamma_gamma_unavailable_reason",
                      Text(r.gamma_gamma_unavailable_reason())});
  }
  if (r.has_holdout()) {
    const v1::HoldoutCheck& h = r.holdout();
    fields.push_back({"Holdout", "holdout", Text(Range(h.first_date(), h.last_date()))});
    fields.push_back(
        {"Holdout purchases, actual", "holdout_actual", Count(h.actual_repeat_purchases())});
    fields.push_back({"Holdout purchases, expected", "holdout_expected",
                      Decimal(h.expected_repeat_purchases(), 1)});
  }
  return RenderFields(fields, format);
}

std::string RenderPredictions(const v1::ListCustomerPredictionsResponse& r, OutputFormat format) {
  Table table({{"Customer", "customer_id", Align::kLeft},
               {"Name", "customer_name", Align::kLeft},
               {"Tier", "tier", Align::kLeft},
               {"RFM segment", "rfm_segment", Align::kLeft},
               {"x", "repeat_purchases", Align::kRight},
               {"P(alive)", "probability_alive", Align::kRight},
               {"Expected purchases", "expected_purchases", Align::kRight},
               {"Avg value", "expected_average_value", Align::kRight},
               {"CLV", "clv", Align::kRight}});
  for (const v1::CustomerPrediction& p : r.predictions()) {
    table.AddRow(
        {Text(p.customer_id()), Text(p.customer_name()), TierCell(p.tier()),
         SegmentCell(p.rfm_segment()), Count(p.repeat_purchases()),
         Decimal(p.probability_alive(), 3), Decimal(p.expected_purchases(), 3),
         p.has_expected_average_value() ? Decimal(p.expected_average_value(), 2) : Text(""),
         p.has_clv() ? Decimal(p.clv(), 2) : Text("")});
  }
  if (format == OutputFormat::kCsv) return table.RenderCsv();
  std::string out = r.predictions().empty() ? "No customers match.\n" : table.Render();
  absl::StrAppend(&out, "\n", FormatCount(r.predictions_size()), " of ",
                  FormatCount(r.total_size()), " customers, predicted as of ",
                  r.calibration_end_date(), ".\n");
  if (!r.next_page_token().empty()) {
    absl::StrAppend(&out, "Next page: --page-token ", r.next_page_token(), "\n");
  }
  return out;
}

std::string RenderCohorts(const v1::GetCohortsResponse& r, OutputFormat format) {
  if (format == OutputFormat::kCsv) {
    Table table({{"Cohort", "cohort_start_date", Align::kLeft},
                 {"Label", "label", Align::kLeft},
                 {"Customers", "customers", Align::kRight},
                 {"Period", "period", Align::kRight},
                 {"Active", "active_customers", Align::kRight},
                 {"Retention", "retention", Align::kRight},
                 {"Revenue", "revenue", Align::kRight}});
    for (const v1::Cohort& c : r.cohorts()) {
      for (const v1::CohortPeriod& p : c.periods()) {
        table.AddRow({Text(c.start_date()), Text(c.label()), Count(c.customers()),
                      Count(p.period()), Count(p.active_customers()), Decimal(p.retention(), 4),
                      Money(p.revenue_micros())});
      }
    }
    return table.RenderCsv();
  }
  int periods = 0;
  for (const v1::Cohort& c : r.cohorts()) periods = std::max(periods, c.periods_size());
  std::vector<Column> columns = {{"Cohort", "label", Align::kLeft},
                                 {"Customers", "customers", Align::kRight}};
  for (int p = 0; p < periods; ++p) {
    columns.push_back({absl::StrCat("+", p), absl::StrCat("period_", p), Align::kRight});
  }
  Table table(std::move(columns));
  for (const v1::Cohort& c : r.cohorts()) {
    std::vector<Cell> row = {Text(c.label()), Count(c.customers())};
    for (const v1::CohortPeriod& p : c.periods()) row.push_back(Percent(p.retention()));
    table.AddRow(std::move(row));
  }
  std::string out = r.cohorts().empty() ? "No cohorts.\n" : table.Render();
  absl::StrAppend(&out, "\nRetention: the share of each cohort buying in the n-th period after ",
                  "its first order; ", FormatCount(r.customers()), " customers.\n");
  return out;
}

std::string RenderMigration(const v1::GetSegmentMigrationResponse& r, bool by_segment,
                            OutputFormat format) {
  Table table({{"From", "from", Align::kLeft},
               {"To", "to", Align::kLeft},
               {"Customers", "customers", Align::kRight},
               {"Revenue", "revenue", Align::kRight}});
  const Cell new_cell{"(new)", "NEW"};
  if (by_segment) {
    for (const v1::SegmentMigration& m : r.segments()) {
      table.AddRow({m.from_segment() == v1::RFM_SEGMENT_UNSPECIFIED ? new_cell
                                                                    : SegmentCell(m.from_segment()),
                    SegmentCell(m.to_segment()), Count(m.customers()), Money(m.revenue_micros())});
    }
  } else {
    for (const v1::TierMigration& m : r.tiers()) {
      table.AddRow({m.from_tier() == v1::TIER_UNSPECIFIED ? new_cell : TierCell(m.from_tier()),
                    TierCell(m.to_tier()), Count(m.customers()), Money(m.revenue_micros())});
    }
  }
  if (format == OutputFormat::kCsv) return table.RenderCsv();
  std::string out = table.Render();
  absl::StrAppend(&out, "\n", by_segment ? "Segments" : "Tiers", " from ", r.from_date(), " to ",
                  r.to_date(), ": ", FormatCount(r.customers_at_from()), " customers then, ",
                  FormatCount(r.new_customers()), " new since; revenue is what they spent in ",
                  "between.\n");
  return out;
}

}  // namespace analytics::cli
