// Acquisition cohorts: customers grouped by the period (week, month or
// quarter) of their first filtered order, and per period since then the
// cohort's active customers, retention and revenue — the cohort triangle.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "query/query_engine.h"

namespace analytics {

struct CohortPeriodFigures {
  std::int32_t period = 0;  // periods since acquisition
  std::int64_t active_customers = 0;
  Micros revenue = 0;
  double retention = 0;  // active / cohort customers
};

struct CohortFigures {
  Day start = 0;  // first day of the acquisition period
  std::int64_t customers = 0;
  // Periods 0 .. the data's last period, every one present.
  std::vector<CohortPeriodFigures> periods;
};

struct CohortReport {
  Granularity granularity = Granularity::kMonth;
  std::int64_t customers = 0;
  std::vector<CohortFigures> cohorts;  // ascending by start
};

// Periods between two bucket starts of `granularity` (week, month or
// quarter): 0 for the same bucket.
std::int32_t PeriodsBetween(Day from_start, Day to_start, Granularity granularity);

// The cohorts of the filtered lines. InvalidArgument naming "granularity"
// for day or year.
absl::StatusOr<CohortReport> BuildCohortReport(QueryEngine& engine, const Filter& filter,
                                               Granularity granularity);

}  // namespace analytics
