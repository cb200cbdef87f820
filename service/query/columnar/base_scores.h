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
// customers partial, but for one category value the base keeps each
// customer's accumulator of that value's lines (ScoreBase::by_value), so
// only customers partial on another dimension, or on several listed
// category values, have their matching lines scanned, those customers only.
// The work is then one byte-sized test per customer and one record per
// matching customer, not a pass over the lines.
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

// The scored customers of the rows `filter` keeps, with accumulators as
// AccumulateCustomers would give them, from `base` (up to date with `table`,
// as of `as_of`): a customer whose lines all pass reads its unfiltered
// accumulator, one whose passing lines are exactly those of one category
// value (the other restricted dimensions keeping all or none of its lines)
// reads that value's accumulator, and only the remaining partially kept
// customers' rows are scanned. `scanned` holds those scanned accumulators
// (indexed by customer id; empty when none was needed, or when they were
// few: see `few`); `scored` points into them and into `base`, and is valid
// while both are.
// Requires BaseCanServe(table, filter).
struct BaseScored {
  std::vector<CustomerAcc> scanned;
  // When the partially kept customers are few (at most one in 16):
  // their ids, ascending, and their accumulators, found without a scan
  // of every row (AccumulateFewCustomers); `scanned` is then empty.
  std::vector<std::uint32_t> few_ids;
  std::vector<CustomerAcc> few;
  ScoredAccs scored;
};
BaseScored AccumulateFromBase(const LineTable& table, const ScoreBase& base, const Filter& filter,
                              std::uint32_t parallel_min_rows);

}  // namespace analytics::columnar
