// Filtered RFM from the per-customer partials kept across writes
// (customer_scores.h's ScoreBase), in time proportional to customers.
//
// A filter on dimensions only (regions, categories, sub-categories,
// segments, states; no narrowing dates, no customer list) either keeps every
// line of a customer, none of them, or some. A customer's accumulator is a
// function of its own matching lines only, so in the first case it is the
// unfiltered accumulator as kept, in the second the customer is absent, and
// only customers of the third kind need their lines read. The customer's
// DimMasks tell the three apart without reading lines. Customers whose
// region, segment or state never changes (the usual case) are never of the
// third kind for filters on those dimensions; a category filter makes most
// customers partial, and their matching lines are then scanned as before,
// for those customers only.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/filter.h"
#include "query/columnar/customer_scores.h"
#include "query/columnar/line_table.h"

namespace analytics::columnar {

// Whether `filter` can be answered from a ScoreBase of `table`: no customer
// list, and its dates (if any) keep every row.
bool BaseCanServe(const LineTable& table, const Filter& filter);

// The accumulators (indexed by customer id) of the rows `filter` keeps, as
// AccumulateCustomers would give them, from `base` (up to date with `table`,
// as of `as_of`) and a scan of the partially kept customers' rows only.
// Requires BaseCanServe(table, filter).
std::vector<CustomerAcc> AccumulateFromBase(const LineTable& table, const ScoreBase& base,
                                            const Filter& filter, std::uint32_t parallel_min_rows);

}  // namespace analytics::columnar
