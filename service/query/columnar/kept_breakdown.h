// An unfiltered breakdown by one dimension, kept up to date across writes.
//
// Dashboards ask for the same breakdown after every write. Rescanning
// every row for it is a pass over the table; a write of a few lines changes
// little of it. So the columnar engine keeps, per dimension of at most 32
// values: each group's line count and sums, and for every order and every
// customer a bitmask of the groups it has lines in (a group's distinct orders
// and customers are the masks with its bit). A write moves the sums at once
// by the rows it removed and added (Note); the masks of the orders and
// customers it touched are rebuilt from one pass over the rows when the
// breakdown is next asked for (Refresh), and the groups' distinct counts move
// by the difference.
//
// Not thread-safe: the engine guards each with a mutex, and calls Note with
// its exclusive lock held and Refresh with at least its shared lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/measures.h"
#include "query/columnar/line_table.h"

namespace analytics::columnar {

class KeptBreakdown {
 public:
  // Group masks fit a 32-bit word.
  static constexpr std::uint32_t kMaxGroups = 32;

  struct Group {
    std::int64_t lines = 0;
    // Revenue, profit and units; orders and customers: distinct counts.
    Measures measures;
  };

  // Computed from every row of `table`, whose dimension `dim` must have at
  // most kMaxGroups values.
  KeptBreakdown(const LineTable& table, std::size_t dim);

  // A write changed these rows. False when it took the dimension past
  // kMaxGroups values: drop this (dictionaries only grow until a write
  // replaces everything, so the dimension is scanned from then on).
  bool Note(const WriteChanges& changes);
  // Settles what the noted writes left open, against the current `table`.
  void Refresh(const LineTable& table);

  // By dictionary code; groups without lines have lines == 0.
  const std::vector<Group>& groups() const { return groups_; }
  // Over all groups (distinct orders and customers counted once).
  Measures Total() const;

 private:
  // Moves each group's `count` for one mask changing from `before` to
  // `after`, and `with_lines` for the mask becoming (non-)empty.
  void MoveMaskCounts(std::uint32_t before, std::uint32_t after, std::int64_t Measures::*count,
                      std::int64_t& with_lines);
  void MarkDirty(std::uint32_t customer, std::uint32_t order);

  std::size_t dim_;
  std::vector<Group> groups_;
  std::vector<std::uint32_t> order_groups_;     // per order id
  std::vector<std::uint32_t> customer_groups_;  // per customer id
  std::int64_t orders_with_lines_ = 0;
  std::int64_t customers_with_lines_ = 0;
  // Orders and customers whose masks a noted write may have changed.
  std::vector<std::uint64_t> dirty_orders_;
  std::vector<std::uint64_t> dirty_customers_;
  bool any_dirty_ = false;
};

}  // namespace analytics::columnar
