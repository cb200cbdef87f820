// The standard measures of a set of order lines, and the derived ratios.
// Definitions (a contract with the API): revenue = sum of sales, profit = sum
// of profit, orders = distinct order ids, customers = distinct customer ids,
// units = sum of quantity; margin = profit / revenue and AOV = revenue /
// orders, both 0 when the denominator is 0.
#pragma once

#include <cstdint>

#include "common/money.h"

namespace analytics {

struct Measures {
  Micros revenue = 0;
  Micros profit = 0;
  std::int64_t orders = 0;
  std::int64_t customers = 0;
  std::int64_t units = 0;

  double Margin() const {
    return revenue == 0 ? 0.0 : static_cast<double>(profit) / static_cast<double>(revenue);
  }
  double AverageOrderValue() const {
    return orders == 0 ? 0.0 : MicrosToDouble(revenue) / static_cast<double>(orders);
  }

  friend bool operator==(const Measures&, const Measures&) = default;
};

}  // namespace analytics
