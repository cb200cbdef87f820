// A five-line data set small enough to compute every figure by hand; the
// expected values in the tests that use it are worked out in comments there.
//
//  key order date        customer region category        sales     profit   qty
//  L1  O1    2024-01-10  C1 Ann   East   Technology      100.10    20.02    2
//  L2  O1    2024-01-10  C1 Ann   East   Furniture        50.005   -5.0005  1
//  L3  O2    2024-02-01  C2 Bob   West   Technology      200       40       3
//  L4  O3    2024-03-15  C1 Annie East   Office Supplies   0.0001   0       1
//  L5  O4    2024-03-15  C3 Cy    West   Furniture       300      -30       4
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/civil_day.h"
#include "common/money.h"
#include "common/order_line.h"

namespace analytics::testing {

inline OrderLine SampleLine(std::string key, std::string order, std::string date,
                            std::string customer, std::string name, std::string region,
                            std::string category, std::string sales, std::string profit,
                            std::int64_t quantity) {
  OrderLine line;
  line.line_key = std::move(key);
  line.order_id = std::move(order);
  line.order_date = *ParseIsoDay(date);
  line.customer_id = std::move(customer);
  line.customer_name = std::move(name);
  line.segment = "Consumer";
  line.region = std::move(region);
  line.state = line.region + " State";
  line.category = std::move(category);
  line.sub_category = line.category + " Sub";
  line.ship_mode = "Standard Class";
  line.sales = *ParseDecimalMicros(sales);
  line.profit = *ParseDecimalMicros(profit);
  line.quantity = quantity;
  return line;
}

inline std::vector<OrderLine> SampleLines() {
  return {
      SampleLine("L1", "O1", "2024-01-10", "C1", "Ann", "East", "Technology", "100.10", "20.02", 2),
      SampleLine("L2", "O1", "2024-01-10", "C1", "Ann", "East", "Furniture", "50.005", "-5.0005",
                 1),
      SampleLine("L3", "O2", "2024-02-01", "C2", "Bob", "West", "Technology", "200", "40", 3),
      SampleLine("L4", "O3", "2024-03-15", "C1", "Annie", "East", "Office Supplies", "0.0001", "0",
                 1),
      SampleLine("L5", "O4", "2024-03-15", "C3", "Cy", "West", "Furniture", "300", "-30", 4),
  };
}

// A LineSource over a vector, for writing test data into a store.
class VectorSource final : public LineSource {
 public:
  explicit VectorSource(std::vector<OrderLine> lines) : lines_(std::move(lines)) {}
  bool Next(OrderLine& line) override {
    if (next_ >= lines_.size()) return false;
    line = lines_[next_++];
    return true;
  }

 private:
  std::vector<OrderLine> lines_;
  std::size_t next_ = 0;
};

// A source that serves `good` lines and then stops with an error, as a spool
// that cannot be read back does.
class BrokenSource final : public LineSource {
 public:
  explicit BrokenSource(int good) : good_(good) {}
  bool Next(OrderLine& line) override {
    if (served_ == good_) return false;
    line = SampleLines()[static_cast<std::size_t>(served_++) % SampleLines().size()];
    line.line_key = "broken-" + std::to_string(served_);
    return true;
  }
  absl::Status status() const override {
    return served_ == good_ ? absl::DataLossError("spool damaged") : absl::OkStatus();
  }

 private:
  const int good_;
  int served_ = 0;
};

}  // namespace analytics::testing
