// The totals kernel: sums, distinct orders and distinct customers of the
// filtered rows, and their first and last order dates.
#pragma once

#include <cstdint>
#include <optional>

#include "common/measures.h"
#include "query/columnar/line_table.h"
#include "query/columnar/row_filter.h"
#include "query/query_engine.h"

namespace analytics::columnar {

// Sums are exact int64 sums (the engine refuses to serve when a sum could
// overflow); distinct orders and customers a bit per dense id, counted at
// the end. From `parallel_min_rows` rows on, in two halves on two threads.
Measures ScanTotals(const LineTable& table, const RowFilter& rows, std::uint32_t parallel_min_rows);

// First and last order dates of the filtered rows; nullopt when none.
std::optional<DateSpan> ScanSpan(const LineTable& table, const RowFilter& rows);

}  // namespace analytics::columnar
