// A breakdown: measures grouped by one dimension, with each group's share of
// revenue, sorted by a measure (profit descending unless asked otherwise; ties
// by key ascending, so the order is total) and cut to the top N.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "query/query_engine.h"

namespace analytics {

enum class Measure { kRevenue, kProfit, kMargin, kOrders, kCustomers, kAverageOrderValue, kUnits };

struct BreakdownOptions {
  Dimension dimension = Dimension::kRegion;
  Measure order_by = Measure::kProfit;
  bool ascending = false;
  std::int64_t limit = 0;  // 0: all groups
};

struct BreakdownRow {
  GroupMeasures group;
  double revenue_share = 0;  // of the filtered total; 0 when that is 0
};

struct BreakdownReport {
  std::vector<BreakdownRow> rows;
  std::int64_t total_groups = 0;
  Measures total;
};

absl::StatusOr<BreakdownReport> BuildBreakdownReport(QueryEngine& engine, const Filter& filter,
                                                     const BreakdownOptions& options);

}  // namespace analytics
