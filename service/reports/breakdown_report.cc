#include "reports/breakdown_report.h"

#include <algorithm>

namespace analytics {
namespace {

// Compares a measure exactly: integers as integers, ratios by cross
// multiplication in 128 bits so no floating-point rounding decides an order.
int CompareMeasure(const Measures& a, const Measures& b, Measure measure) {
  const auto cmp = [](auto x, auto y) { return x < y ? -1 : (x > y ? 1 : 0); };
  const auto ratio = [&](__int128 num_a, __int128 den_a, __int128 num_b, __int128 den_b) {
    // A zero denominator means the ratio is defined as 0.
    if (den_a == 0) num_a = 0, den_a = 1;
    if (den_b == 0) num_b = 0, den_b = 1;
    if (den_a < 0) num_a = -num_a, den_a = -den_a;
    if (den_b < 0) num_b = -num_b, den_b = -den_b;
    return cmp(num_a * den_b, num_b * den_a);
  };
  switch (measure) {
    case Measure::kRevenue:
      return cmp(a.revenue, b.revenue);
    case Measure::kProfit:
      return cmp(a.profit, b.profit);
    case Measure::kMargin:
      return ratio(a.profit, a.revenue, b.profit, b.revenue);
    case Measure::kOrders:
      return cmp(a.orders, b.orders);
    case Measure::kCustomers:
      return cmp(a.customers, b.customers);
    case Measure::kAverageOrderValue:
      return ratio(a.revenue, a.orders, b.revenue, b.orders);
    case Measure::kUnits:
      return cmp(a.units, b.units);
  }
  return 0;
}

}  // namespace

absl::StatusOr<BreakdownReport> BuildBreakdownReport(QueryEngine& engine, const Filter& filter,
                                                     const BreakdownOptions& options) {
  absl::StatusOr<std::vector<GroupMeasures>> groups = engine.Breakdown(filter, options.dimension);
  if (!groups.ok()) return groups.status();
  absl::StatusOr<Measures> total = engine.Totals(filter);
  if (!total.ok()) return total.status();

  std::sort(groups->begin(), groups->end(), [&](const GroupMeasures& a, const GroupMeasures& b) {
    const int c = CompareMeasure(a.measures, b.measures, options.order_by);
    if (c != 0) return options.ascending ? c < 0 : c > 0;
    return a.key < b.key;
  });
  BreakdownReport report;
  report.total = *total;
  report.total_groups = static_cast<std::int64_t>(groups->size());
  const std::size_t keep = options.limit > 0
                               ? std::min(groups->size(), static_cast<std::size_t>(options.limit))
                               : groups->size();
  report.rows.reserve(keep);
  for (std::size_t i = 0; i < keep; ++i) {
    GroupMeasures& group = (*groups)[i];
    const double share = total->revenue == 0 ? 0.0
                                             : static_cast<double>(group.measures.revenue) /
                                                   static_cast<double>(total->revenue);
    report.rows.push_back({std::move(group), share});
  }
  return report;
}

}  // namespace analytics
