// A Filter compiled against a LineTable: the row range its dates select
// (rows are sorted by day) and, per restricted column, a byte per
// dictionary code saying whether the code passes.
//
// Matching rows are produced block by block as a selection vector: the
// first test writes every row index and advances only on a pass, each
// further test compacts the vector the same way. There is no branch per row,
// and an unrestricted filter skips the vector altogether.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/filter.h"
#include "query/columnar/line_table.h"

namespace analytics::columnar {

class RowFilter {
 public:
  RowFilter(const LineTable& table, const Filter& filter);

  // No row can match (a date range without rows, or a list none of whose
  // values occur).
  bool empty() const { return begin_ >= end_; }
  // Only the dates restrict: every row of [begin, end) matches.
  bool dates_only() const { return tests16_.empty() && customer_test_.column == nullptr; }
  std::uint32_t begin() const { return begin_; }
  std::uint32_t end() const { return end_; }

  // Also requires the row's customer id c to have customer_pass[c] != 0
  // (one byte per customer id). Only for a filter without customer_ids.
  void RestrictCustomers(std::vector<std::uint8_t> customer_pass);

  bool Matches(std::uint32_t row) const {
    for (const Test16& test : tests16_) {
      if (!test.pass[test.column[row]]) return false;
    }
    return customer_test_.column == nullptr || customer_test_.pass[customer_test_.column[row]] != 0;
  }

  // A block of consecutive rows, or of selected rows; both index like an
  // array of row numbers, so one generic kernel serves either.
  struct Range {
    std::uint32_t first;
    std::uint32_t count;
    std::uint32_t size() const { return count; }
    std::uint32_t operator[](std::uint32_t i) const { return first + i; }
  };
  struct Selection {
    const std::uint32_t* rows;
    std::uint32_t count;
    std::uint32_t size() const { return count; }
    std::uint32_t operator[](std::uint32_t i) const { return rows[i]; }
  };

  // Calls kernel(block) for blocks covering every matching row, ascending.
  // Kernels keep their running sums in locals within a block and store them
  // after it: the compiler cannot keep a sum in a register across writes
  // through pointers that might alias it (uint64_t bitset words may alias an
  // int64_t sum), but a local whose address is never taken it can.
  template <typename Kernel>
  void ForEachBlock(Kernel&& kernel) const {
    ForEachBlockIn(begin_, end_, kernel);
  }
  // The same, for the matching rows within [lo, hi) only.
  template <typename Kernel>
  void ForEachBlockIn(std::uint32_t lo, std::uint32_t hi, Kernel&& kernel) const {
    const std::uint32_t begin = std::max(lo, begin_);
    const std::uint32_t end = std::min(hi, end_);
    if (begin >= end) return;
    if (dates_only()) {
      for (std::uint32_t block = begin; block < end; block += kBlockRows) {
        kernel(Range{block, std::min(end - block, kBlockRows)});
      }
      return;
    }
    std::uint32_t selection[kBlockRows];
    for (std::uint32_t block = begin; block < end; block += kBlockRows) {
      const std::uint32_t block_end = std::min(end, block + kBlockRows);
      const std::uint32_t count = Select(block, block_end, selection);
      if (count > 0) kernel(Selection{selection, count});
    }
  }

 private:
  static constexpr std::uint32_t kBlockRows = 2048;

  struct Test16 {
    const std::uint16_t* column = nullptr;
    std::vector<std::uint8_t> pass;
  };
  struct Test32 {
    const std::uint32_t* column = nullptr;
    std::vector<std::uint8_t> pass;
  };

  // Writes the matching rows of [block, block_end) to `out`; returns how many.
  std::uint32_t Select(std::uint32_t block, std::uint32_t block_end, std::uint32_t* out) const;

  std::uint32_t begin_ = 0;
  std::uint32_t end_ = 0;
  std::vector<Test16> tests16_;
  Test32 customer_test_;
  const std::uint32_t* customer_column_ = nullptr;
};

}  // namespace analytics::columnar
