// The breakdown kernels: measures per value of a dimension over the
// filtered rows, each group's distinct orders and customers counted exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "common/measures.h"
#include "query/columnar/line_table.h"
#include "query/columnar/row_filter.h"
#include "query/query_engine.h"

namespace analytics::columnar {

struct DimensionGroups {
  // One entry per value with matching rows, in dictionary-code order.
  std::vector<GroupMeasures> groups;
  // The filter's totals, out of the same pass: a breakdown report asks for
  // them right after (distinct orders and customers over all groups need
  // their own bitsets).
  Measures total;
};

// By a dictionary-coded dimension (not kCustomer). From `parallel_min_rows`
// rows on, in two halves on two threads.
DimensionGroups ScanDimensionBreakdown(const LineTable& table, const RowFilter& rows,
                                       Dimension dimension, std::uint32_t parallel_min_rows);

// By customer, labelled with the name on the customer's latest matching
// line; customers = 1 each.
std::vector<GroupMeasures> ScanCustomerBreakdown(const LineTable& table, const RowFilter& rows);

}  // namespace analytics::columnar
