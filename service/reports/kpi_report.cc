#include "reports/kpi_report.h"

#include <cmath>

namespace analytics {

absl::StatusOr<KpiReport> BuildKpiReport(QueryEngine& engine, const Filter& filter) {
  KpiReport report;
  std::optional<DateSpan> period;
  if (filter.start && filter.end) {
    period = DateSpan{*filter.start, *filter.end};
  } else {
    absl::StatusOr<std::optional<DateSpan>> span = engine.Span(filter);
    if (!span.ok()) return span.status();
    if (*span)
      period = DateSpan{filter.start.value_or((*span)->first), filter.end.value_or((*span)->last)};
  }
  absl::StatusOr<Measures> current = engine.Totals(filter);
  if (!current.ok()) return current.status();
  report.current = *current;
  if (!period) return report;

  report.period = period;
  const Day length = period->last - period->first + 1;
  report.previous_period = DateSpan{period->first - length, period->first - 1};
  Filter previous_filter = filter;
  previous_filter.start = report.previous_period->first;
  previous_filter.end = report.previous_period->last;
  absl::StatusOr<Measures> previous = engine.Totals(previous_filter);
  if (!previous.ok()) return previous.status();
  report.previous = *previous;
  return report;
}

std::optional<double> PercentChange(double before, double after) {
  if (before == 0.0) return std::nullopt;
  return (after - before) / std::fabs(before) * 100.0;
}

}  // namespace analytics
