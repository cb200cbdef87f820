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
#include "query/line_table.h"

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

  bool Matches(std::uint32_t row) const {
    for (const Test16& test : tests16_) {
      if (!test.pass[test.column[row]]) return false;
    }
    return customer_test_.column == nullptr ||
           customer_test_.pass[customer_test_.column[row]] != 0;
  }

  // Calls visit(row) for every matching row of [begin, end), ascending.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    if (empty()) return;
    if (dates_only()) {
      for (std::uint32_t row = begin_; row < end_; ++row) visit(row);
      return;
    }
    std::uint32_t selection[kBlockRows];
    for (std::uint32_t block = begin_; block < end_; block += kBlockRows) {
      const std::uint32_t block_end = std::min(end_, block + kBlockRows);
      const std::uint32_t count = Select(block, block_end, selection);
      for (std::uint32_t i = 0; i < count; ++i) visit(selection[i]);
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
};

}  // namespace analytics::columnar
