#include "query/columnar/trend.h"

#include <cstdint>

namespace analytics::columnar {

std::vector<TrendPoint> ScanTrend(const LineTable& table, const RowFilter& rows,
                                  Granularity granularity) {
  const Columns& c = table.columns();
  std::vector<TrendPoint> points;
  // Rows ascend by day, so buckets arrive one after another. A compact
  // order lies within one day, hence one bucket; spread orders get a bit
  // each, and a closing bucket clears only the words it touched.
  std::vector<std::uint64_t> spread_bits((table.dictionaries().orders.size() + 63) / 64, 0);
  std::vector<std::uint32_t> touched;
  Day bucket_end = 0;  // first day after the open bucket
  bool open = false;
  std::uint32_t last_order = kNoRow;
  TrendPoint point;
  const auto close = [&] {
    for (const std::uint32_t word : touched) spread_bits[word] = 0;
    touched.clear();
    points.push_back(point);
  };
  rows.ForEachBlock([&](const auto& block) {
    const Day* const day_of = c.day.data();
    const Micros* const sales = c.sales.data();
    const Micros* const profit = c.profit.data();
    const std::uint32_t* const order_of = c.order.data();
    std::uint32_t i = 0;
    while (i < block.size()) {
      const Day day = day_of[block[i]];
      if (!open || day >= bucket_end) {
        if (open) close();
        open = true;
        const Day start = BucketStart(day, granularity);
        bucket_end = NextBucketStart(start, granularity);
        point = TrendPoint{.bucket_start = start};
        last_order = kNoRow;
      }
      // The block's rows up to the bucket's end: a tight loop with locals.
      Micros revenue = 0;
      Micros profit_sum = 0;
      std::int64_t orders = 0;
      std::uint32_t last = last_order;
      for (; i < block.size(); ++i) {
        const std::uint32_t r = block[i];
        if (day_of[r] >= bucket_end) break;
        revenue += sales[r];
        profit_sum += profit[r];
        const std::uint32_t order = order_of[r];
        if (order & kSpreadOrder) [[unlikely]] {
          const std::uint32_t id = order & kOrderIdMask;
          std::uint64_t& word = spread_bits[id >> 6];
          const std::uint64_t bit = std::uint64_t{1} << (id & 63);
          if ((word & bit) == 0) {
            if (word == 0) touched.push_back(id >> 6);
            word |= bit;
            ++orders;
          }
        } else {
          orders += order != last;
        }
        last = order;
      }
      point.revenue += revenue;
      point.profit += profit_sum;
      point.orders += orders;
      last_order = last;
    }
  });
  if (open) close();
  return points;
}

}  // namespace analytics::columnar
