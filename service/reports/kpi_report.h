// KPIs for a period and for the period of equal length just before it.
//
// The period is the filter's date range; an open end takes the filtered
// data's first or last order date. The previous period is the same number of
// days ending the day before the period starts, with every other filter kept.
#pragma once

#include <optional>

#include "absl/status/statusor.h"
#include "query/query_engine.h"

namespace analytics {

struct KpiReport {
  // Unset when the filter leaves a date open and no line matches.
  std::optional<DateSpan> period;
  std::optional<DateSpan> previous_period;
  Measures current;
  Measures previous;
};

absl::StatusOr<KpiReport> BuildKpiReport(QueryEngine& engine, const Filter& filter);

// Relative change in percent; nullopt when `before` is 0.
std::optional<double> PercentChange(double before, double after);

}  // namespace analytics
