// The unfiltered totals (the KPIs without a filter), kept up to date across
// writes.
//
// Every dashboard view asks for them, and after a write of one line a scan
// of every row (ScanTotals) was what a KPIs read cost. A write of a few
// lines moves the sums by the rows it removed and added, and the distinct
// orders and customers only where one of them gains its first row or loses
// its last. So this keeps each order's and each customer's row count: a
// write costs a few counter moves (Note), and the totals are read as kept.
//
// Not thread-safe: the engine guards it with a mutex, and calls Note with
// its exclusive lock held.
#pragma once

#include <cstdint>
#include <vector>

#include "common/measures.h"
#include "query/columnar/line_table.h"

namespace analytics::columnar {

class KeptTotals {
 public:
  // Computed from every row of `table`.
  explicit KeptTotals(const LineTable& table);

  // A write changed these rows (in table ids; ids beyond the counts are
  // new orders or customers).
  void Note(const WriteChanges& changes);

  // What ScanTotals gives over every row.
  const Measures& totals() const { return totals_; }

 private:
  // Moves one row's counts by `sign` (+1 added, -1 removed).
  void Move(const ChangedRow& row, int sign);

  Measures totals_;
  std::vector<std::uint32_t> order_rows_;     // per order id
  std::vector<std::uint32_t> customer_rows_;  // per customer id
};

}  // namespace analytics::columnar
