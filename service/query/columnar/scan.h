// What the scan kernels (totals.h, breakdown.h, trend.h, customer_scores.h)
// share: splitting a scan in two halves on two threads, adding the halves'
// sums, and counting distinct (customer, order) pairs.
//
// Every kernel is a free function over a LineTable and a RowFilter; the
// caller holds the engine's lock (at least shared) for as long as it runs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/measures.h"
#include "query/columnar/dense_bitset.h"
#include "query/columnar/in_parallel.h"
#include "query/columnar/line_table.h"
#include "query/columnar/row_filter.h"

namespace analytics::columnar {

// How far ahead per-customer kernels prefetch their accumulator: enough rows
// to cover a cache miss, few enough to stay in the block.
inline constexpr std::uint32_t kPrefetchRows = 16;

// Distinct (customer, order) pairs among spread orders (compact ones are
// counted by run changes): orders whose lines all name one customer with a
// bit per order, the rare orders shared by several customers with a set.
class CustomerOrders {
 public:
  explicit CustomerOrders(const LineTable& table)
      : owners_(table.order_customer()), bits_(table.dictionaries().orders.size()) {}

  // True the first time `customer` is met with `order`.
  bool FirstTime(std::uint32_t customer, std::uint32_t order) {
    if (owners_[order] != kSeveralCustomers) return bits_.TestAndSet(order);
    return pairs_.insert((std::uint64_t{customer} << 32) | order).second;
  }

 private:
  const std::vector<std::uint32_t>& owners_;
  DenseBitset bits_;
  absl::flat_hash_set<std::uint64_t> pairs_;
};

// Runs part(index, lo, hi) over the filter's row range: in one part, or,
// from `min_rows` rows on, in two halves split where a day begins, the
// first half (index 0) on a helper thread. Rows are sorted by day and a
// compact order lies within one day, so no order is counted by runs in both
// halves. Returns how many parts ran.
template <typename Part>
int SplitScan(const Columns& c, const RowFilter& rows, std::uint32_t min_rows, Part&& part) {
  const std::uint32_t begin = rows.begin();
  const std::uint32_t end = rows.end();
  if (begin >= end || end - begin < std::max<std::uint32_t>(min_rows, 2)) {
    part(0, begin, end);
    return 1;
  }
  const std::uint32_t middle = begin + (end - begin) / 2;
  const auto day_start =
      std::lower_bound(c.day.begin() + begin, c.day.begin() + middle, c.day[middle]);
  const auto split = static_cast<std::uint32_t>(day_start - c.day.begin());
  if (split == begin) {  // one day up to the middle: not worth a thread
    part(0, begin, end);
    return 1;
  }
  InParallel(
      true, [&] { part(0, begin, split); }, [&] { part(1, split, end); });
  return 2;
}

// Adds the sums of a half's measures (SplitScan): revenue, profit, units
// and the orders counted by runs. Distinct counts need the halves' bitsets.
inline void AddSums(Measures& into, const Measures& from) {
  into.revenue += from.revenue;
  into.profit += from.profit;
  into.units += from.units;
  into.orders += from.orders;
}

}  // namespace analytics::columnar
