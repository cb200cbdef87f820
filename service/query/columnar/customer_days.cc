#include "query/columnar/customer_days.h"

#include <cstdint>
#include <vector>

namespace analytics::columnar {

CustomerDayHistory ScanCustomerDays(const LineTable& table, const RowFilter& rows) {
  const Columns& c = table.columns();
  // The (customer, day) runs in row order: ascending day.
  struct Run {
    std::uint32_t customer;
    Day day;
    Micros sales;
  };
  std::vector<Run> runs;
  const std::uint32_t customer_count = table.dictionaries().customers.size();
  std::vector<std::uint32_t> runs_of(customer_count, 0);
  rows.ForEachBlock([&](const auto& block) {
    const Day* const day_of = c.day.data();
    const std::uint32_t* const customer_of = c.customer.data();
    const Micros* const sales = c.sales.data();
    for (std::uint32_t i = 0; i < block.size(); ++i) {
      const std::uint32_t r = block[i];
      const std::uint32_t customer = customer_of[r];
      const Day day = day_of[r];
      if (runs.empty() || runs.back().customer != customer || runs.back().day != day) {
        runs.push_back({customer, day, 0});
        ++runs_of[customer];
      }
      runs.back().sales += sales[r];
    }
  });
  CustomerDayHistory history;
  // Customer id -> its first slot, in customer_id (text) order.
  std::vector<std::uint32_t> slot(customer_count, 0);
  std::uint32_t next = 0;
  for (const std::uint32_t customer : table.customers_by_id()) {
    if (customer >= customer_count || runs_of[customer] == 0) continue;
    history.customer_ids.push_back(table.dictionaries().customers.Get(customer));
    slot[customer] = next;
    next += runs_of[customer];
    history.offsets.push_back(next);
  }
  history.days.resize(runs.size());
  history.sales.resize(runs.size());
  // A stable scatter: each customer's runs keep their ascending days.
  for (const Run& run : runs) {
    const std::uint32_t at = slot[run.customer]++;
    history.days[at] = run.day;
    history.sales[at] = run.sales;
  }
  history.text = table.shared_dictionaries();
  return history;
}

}  // namespace analytics::columnar
