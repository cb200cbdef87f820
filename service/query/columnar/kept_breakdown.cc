#include "query/columnar/kept_breakdown.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "query/columnar/dense_bitset.h"
#include "query/columnar/expect.h"

namespace analytics::columnar {

KeptBreakdown::KeptBreakdown(const LineTable& table, std::size_t dim) : dim_(dim) {
  const Columns& c = table.columns();
  const Dictionaries& d = table.dictionaries();
  COLUMNAR_EXPECT(dim < kDimCount && d.dims[dim].size() <= kMaxGroups);
  groups_.resize(d.dims[dim].size());
  order_groups_.assign(d.orders.size(), 0);
  customer_groups_.assign(d.customers.size(), 0);
  const std::uint16_t* const group_of = c.dims[dim].data();
  const std::uint32_t* const order_of = c.order.data();
  const std::uint32_t* const customer_of = c.customer.data();
  for (std::size_t r = 0; r < c.size(); ++r) {
    const std::uint16_t g = group_of[r];
    Group& group = groups_[g];
    ++group.lines;
    group.measures.revenue += c.sales[r];
    group.measures.profit += c.profit[r];
    group.measures.units += c.quantity[r];
    order_groups_[order_of[r] & kOrderIdMask] |= std::uint32_t{1} << g;
    customer_groups_[customer_of[r]] |= std::uint32_t{1} << g;
  }
  for (const std::uint32_t mask : order_groups_) {
    MoveMaskCounts(0, mask, &Measures::orders, orders_with_lines_);
  }
  for (const std::uint32_t mask : customer_groups_) {
    MoveMaskCounts(0, mask, &Measures::customers, customers_with_lines_);
  }
}

bool KeptBreakdown::Note(const WriteChanges& changes) {
  if (std::any_of(changes.added.begin(), changes.added.end(),
                  [&](const ChangedRow& row) { return row.dims[dim_] >= kMaxGroups; })) {
    return false;
  }
  const auto apply = [&](const ChangedRow& row, int sign) {
    const std::uint16_t g = row.dims[dim_];
    if (g >= groups_.size()) groups_.resize(g + 1);
    Group& group = groups_[g];
    group.lines += sign;
    group.measures.revenue += sign * row.sales;
    group.measures.profit += sign * row.profit;
    group.measures.units += sign * row.quantity;
    MarkDirty(row.customer, row.order);
  };
  for (const ChangedRow& row : changes.removed) apply(row, -1);
  for (const ChangedRow& row : changes.added) apply(row, +1);
  return true;
}

void KeptBreakdown::MarkDirty(std::uint32_t customer, std::uint32_t order) {
  SetBitGrowing(dirty_customers_, customer);
  SetBitGrowing(dirty_orders_, order);
  any_dirty_ = true;
}

void KeptBreakdown::MoveMaskCounts(std::uint32_t before, std::uint32_t after,
                                   std::int64_t Measures::*count, std::int64_t& with_lines) {
  for (std::uint32_t gone = before & ~after; gone != 0; gone &= gone - 1) {
    --(groups_[static_cast<std::size_t>(std::countr_zero(gone))].measures.*count);
  }
  for (std::uint32_t came = after & ~before; came != 0; came &= came - 1) {
    ++(groups_[static_cast<std::size_t>(std::countr_zero(came))].measures.*count);
  }
  with_lines += (after != 0 ? 1 : 0) - (before != 0 ? 1 : 0);
}

void KeptBreakdown::Refresh(const LineTable& table) {
  if (!any_dirty_) return;
  const Columns& c = table.columns();
  const Dictionaries& d = table.dictionaries();
  groups_.resize(std::max<std::size_t>(groups_.size(), d.dims[dim_].size()));
  order_groups_.resize(d.orders.size(), 0);
  customer_groups_.resize(d.customers.size(), 0);
  dirty_orders_.resize((order_groups_.size() + 63) / 64, 0);
  dirty_customers_.resize((customer_groups_.size() + 63) / 64, 0);
  // The dirty ids' masks as they were, cleared to be rebuilt.
  const auto take = [](const std::vector<std::uint64_t>& dirty, std::vector<std::uint32_t>& masks) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> before;  // id, mask
    ForEachSetBit(dirty, [&](std::uint32_t id) {
      before.emplace_back(id, masks[id]);
      masks[id] = 0;
    });
    return before;
  };
  const auto orders_before = take(dirty_orders_, order_groups_);
  const auto customers_before = take(dirty_customers_, customer_groups_);
  const std::uint16_t* const group_of = c.dims[dim_].data();
  const std::uint32_t* const order_of = c.order.data();
  const std::uint32_t* const customer_of = c.customer.data();
  for (std::size_t r = 0; r < c.size(); ++r) {
    const std::uint32_t order = order_of[r] & kOrderIdMask;
    const std::uint32_t customer = customer_of[r];
    if (TestBit(dirty_orders_.data(), order)) [[unlikely]] {
      order_groups_[order] |= std::uint32_t{1} << group_of[r];
    }
    if (TestBit(dirty_customers_.data(), customer)) [[unlikely]] {
      customer_groups_[customer] |= std::uint32_t{1} << group_of[r];
    }
  }
  for (const auto& [order, mask] : orders_before) {
    MoveMaskCounts(mask, order_groups_[order], &Measures::orders, orders_with_lines_);
  }
  for (const auto& [customer, mask] : customers_before) {
    MoveMaskCounts(mask, customer_groups_[customer], &Measures::customers, customers_with_lines_);
  }
  std::fill(dirty_orders_.begin(), dirty_orders_.end(), 0);
  std::fill(dirty_customers_.begin(), dirty_customers_.end(), 0);
  any_dirty_ = false;
}

Measures KeptBreakdown::Total() const {
  Measures total;
  for (const Group& group : groups_) {
    total.revenue += group.measures.revenue;
    total.profit += group.measures.profit;
    total.units += group.measures.units;
  }
  total.orders = orders_with_lines_;
  total.customers = customers_with_lines_;
  return total;
}

}  // namespace analytics::columnar
