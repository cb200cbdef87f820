// The trend kernel: revenue, profit and distinct orders per date bucket of
// the filtered rows.
#pragma once

#include <vector>

#include "common/civil_day.h"
#include "query/columnar/line_table.h"
#include "query/columnar/row_filter.h"
#include "query/query_engine.h"

namespace analytics::columnar {

// Non-empty buckets only, ascending by bucket_start.
std::vector<TrendPoint> ScanTrend(const LineTable& table, const RowFilter& rows,
                                  Granularity granularity);

}  // namespace analytics::columnar
