#include "query/columnar/totals.h"

#include <array>

#include "query/columnar/scan.h"

namespace analytics::columnar {

Measures ScanTotals(const LineTable& table, const RowFilter& rows,
                    std::uint32_t parallel_min_rows) {
  if (rows.empty()) return Measures{};
  const Columns& c = table.columns();
  struct Part {
    Measures m;
    DenseBitset spread;
    DenseBitset customers;
  };
  const std::uint32_t order_count = table.dictionaries().orders.size();
  const std::uint32_t customer_count = table.dictionaries().customers.size();
  std::array<std::optional<Part>, 2> parts;
  const auto scan = [&](int index, std::uint32_t lo, std::uint32_t hi) {
    Part& part = parts[index].emplace(Part{
        .m = {}, .spread = DenseBitset(order_count), .customers = DenseBitset(customer_count)});
    std::uint32_t last_order = kNoRow;
    rows.ForEachBlockIn(lo, hi, [&](const auto& block) {
      const Micros* const sales = c.sales.data();
      const Micros* const profit = c.profit.data();
      const std::int64_t* const quantity = c.quantity.data();
      const std::uint32_t* const order_of = c.order.data();
      const std::uint32_t* const customer_of = c.customer.data();
      std::uint64_t* const spread_words = part.spread.words();
      std::uint64_t* const customer_words = part.customers.words();
      Micros revenue = 0;
      Micros profit_sum = 0;
      std::int64_t units = 0;
      std::int64_t orders = 0;
      std::uint32_t last = last_order;
      for (std::uint32_t i = 0; i < block.size(); ++i) {
        const std::uint32_t r = block[i];
        revenue += sales[r];
        profit_sum += profit[r];
        units += quantity[r];
        // Branch-free run counting: a branch on "new order?" would
        // go either way at random, about every other row.
        const std::uint32_t order = order_of[r];
        if (order & kSpreadOrder) [[unlikely]] {
          SetBit(spread_words, order & kOrderIdMask);
        } else {
          orders += order != last;
        }
        last = order;
        SetBit(customer_words, customer_of[r]);
      }
      AddSums(part.m, {.revenue = revenue, .profit = profit_sum, .orders = orders, .units = units});
      last_order = last;
    });
  };
  SplitScan(c, rows, parallel_min_rows, scan);
  Part& all = *parts[0];
  if (parts[1]) {
    AddSums(all.m, parts[1]->m);
    all.spread.Or(parts[1]->spread);
    all.customers.Or(parts[1]->customers);
  }
  Measures m = all.m;
  m.orders += all.spread.Count();
  m.customers = all.customers.Count();
  return m;
}

std::optional<DateSpan> ScanSpan(const LineTable& table, const RowFilter& rows) {
  const Columns& c = table.columns();
  if (rows.empty()) return std::nullopt;
  if (rows.dates_only()) return DateSpan{c.day[rows.begin()], c.day[rows.end() - 1]};
  std::uint32_t first = rows.begin();
  while (first < rows.end() && !rows.Matches(first)) ++first;
  if (first == rows.end()) return std::nullopt;
  std::uint32_t last = rows.end() - 1;
  while (!rows.Matches(last)) --last;
  return DateSpan{c.day[first], c.day[last]};
}

}  // namespace analytics::columnar
