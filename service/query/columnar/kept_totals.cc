#include "query/columnar/kept_totals.h"

#include "query/columnar/expect.h"

namespace analytics::columnar {

KeptTotals::KeptTotals(const LineTable& table)
    : order_rows_(table.dictionaries().orders.size(), 0),
      customer_rows_(table.dictionaries().customers.size(), 0) {
  const Columns& c = table.columns();
  const Micros* const sales = c.sales.data();
  const Micros* const profit = c.profit.data();
  const std::int64_t* const quantity = c.quantity.data();
  const std::uint32_t* const order_of = c.order.data();
  const std::uint32_t* const customer_of = c.customer.data();
  std::uint32_t* const order_rows = order_rows_.data();
  std::uint32_t* const customer_rows = customer_rows_.data();
  Measures m;
  for (std::size_t r = 0; r < c.size(); ++r) {
    m.revenue += sales[r];
    m.profit += profit[r];
    m.units += quantity[r];
    // Counted from zero: the distinct counts are the ids whose count leaves
    // zero, so no second pass over the counts is needed.
    m.orders += order_rows[order_of[r] & kOrderIdMask]++ == 0;
    m.customers += customer_rows[customer_of[r]]++ == 0;
  }
  totals_ = m;
}

void KeptTotals::Move(const ChangedRow& row, int sign) {
  if (row.order >= order_rows_.size()) order_rows_.resize(row.order + 1, 0);
  if (row.customer >= customer_rows_.size()) customer_rows_.resize(row.customer + 1, 0);
  std::uint32_t& order = order_rows_[row.order];
  std::uint32_t& customer = customer_rows_[row.customer];
  totals_.revenue += sign * row.sales;
  totals_.profit += sign * row.profit;
  totals_.units += sign * row.quantity;
  if (sign > 0) {
    totals_.orders += order++ == 0;
    totals_.customers += customer++ == 0;
  } else {
    // A removed row was counted: its order and customer have a row each.
    COLUMNAR_EXPECT(order > 0 && customer > 0);
    totals_.orders -= --order == 0;
    totals_.customers -= --customer == 0;
  }
}

void KeptTotals::Note(const WriteChanges& changes) {
  // Removed rows were in the table before the write: their counts are at
  // least one when met, whatever the write added.
  for (const ChangedRow& row : changes.removed) Move(row, -1);
  for (const ChangedRow& row : changes.added) Move(row, +1);
}

}  // namespace analytics::columnar
