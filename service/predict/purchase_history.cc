#include "predict/purchase_history.h"

#include <algorithm>
#include <utility>

namespace analytics::predict {

PurchaseHistories SummarizePurchases(CustomerDayList days, Day calibration_end) {
  PurchaseHistories result;
  result.calibration_end = calibration_end;
  const CustomerDayHistory& h = *days;
  if (!h.days.empty()) result.latest_day = h.days.front();
  result.customers.reserve(h.size());
  for (std::size_t i = 0; i < h.size(); ++i) {
    const std::uint32_t begin = h.offsets[i];
    const std::uint32_t end = h.offsets[i + 1];
    if (begin == end) continue;
    result.latest_day = std::max(result.latest_day, h.days[end - 1]);
    if (h.days[begin] > calibration_end) {
      ++result.later_customers;
      continue;
    }
    PurchaseSummary c;
    c.customer_id = h.customer_ids[i];
    c.first = h.days[begin];
    c.first_sales = h.sales[begin];
    c.last = c.first;
    for (std::uint32_t d = begin + 1; d < end; ++d) {
      if (h.days[d] <= calibration_end) {
        ++c.x;
        c.last = h.days[d];
        c.repeat_sales += h.sales[d];
      } else {
        ++c.holdout_purchases;
        c.holdout_sales += h.sales[d];
      }
    }
    c.t_x_days = c.last - c.first;
    c.t_days = calibration_end - c.first;
    if (c.x > 0) ++result.repeaters;
    result.customers.push_back(c);
  }
  result.source = std::move(days);
  return result;
}

}  // namespace analytics::predict
