#include "predict/cohort_report.h"

#include <algorithm>
#include <map>

namespace analytics {

std::int32_t PeriodsBetween(Day from_start, Day to_start, Granularity granularity) {
  const YearMonthDay from = YmdFromDay(from_start);
  const YearMonthDay to = YmdFromDay(to_start);
  switch (granularity) {
    case Granularity::kWeek:
      return (to_start - from_start) / 7;
    case Granularity::kMonth:
      return (to.year * 12 + to.month) - (from.year * 12 + from.month);
    case Granularity::kQuarter:
      return (to.year * 4 + (to.month - 1) / 3) - (from.year * 4 + (from.month - 1) / 3);
    case Granularity::kDay:
      return to_start - from_start;
    case Granularity::kYear:
      return to.year - from.year;
  }
  return 0;
}

absl::StatusOr<CohortReport> BuildCohortReport(QueryEngine& engine, const Filter& filter,
                                               Granularity granularity) {
  if (granularity != Granularity::kWeek && granularity != Granularity::kMonth &&
      granularity != Granularity::kQuarter) {
    return absl::InvalidArgumentError("granularity: must be week, month or quarter");
  }
  absl::StatusOr<CustomerDayList> days = engine.CustomerDays(filter);
  if (!days.ok()) return days.status();
  const CustomerDayHistory& h = **days;
  CohortReport report;
  report.granularity = granularity;
  if (h.days.empty()) return report;
  Day latest = h.days.front();
  for (const Day day : h.days) latest = std::max(latest, day);
  const Day last_bucket = BucketStart(latest, granularity);
  std::map<Day, CohortFigures> cohorts;
  std::vector<std::int32_t> seen;  // per period: whether this customer counted
  for (std::size_t i = 0; i < h.size(); ++i) {
    const std::uint32_t begin = h.offsets[i], end = h.offsets[i + 1];
    if (begin == end) continue;
    const Day start = BucketStart(h.days[begin], granularity);
    CohortFigures& cohort = cohorts[start];
    if (cohort.periods.empty()) {
      cohort.start = start;
      const std::int32_t count = PeriodsBetween(start, last_bucket, granularity) + 1;
      for (std::int32_t p = 0; p < count; ++p) cohort.periods.push_back({.period = p});
    }
    ++cohort.customers;
    ++report.customers;
    std::int32_t last_counted = -1;  // days ascend, so periods do too
    for (std::uint32_t d = begin; d < end; ++d) {
      const std::int32_t p =
          PeriodsBetween(start, BucketStart(h.days[d], granularity), granularity);
      CohortPeriodFigures& figures = cohort.periods[static_cast<std::size_t>(p)];
      figures.revenue += h.sales[d];
      if (p != last_counted) {
        ++figures.active_customers;
        last_counted = p;
      }
    }
  }
  for (auto& [start, cohort] : cohorts) {
    for (CohortPeriodFigures& p : cohort.periods) {
      p.retention = static_cast<double>(p.active_customers) / static_cast<double>(cohort.customers);
    }
    report.cohorts.push_back(std::move(cohort));
  }
  return report;
}

}  // namespace analytics
