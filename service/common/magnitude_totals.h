// The store's bound on its lines' amounts, which makes every figure exact.
//
// The API reports totals as int64 micro-units (revenue_micros, units, ...),
// and both engines add amounts in int64 (SQLite's SUM, the columnar scans).
// Instead of wider answers, the store keeps this invariant:
//
//   sum of |sales|, sum of |profit| and sum of quantity over all stored
//   lines are each at most INT64_MAX (in micro-units / units).
//
// Proof that no query overflows: every figure a query computes is a sum of
// sales, profit or quantity over some subset S of the stored lines, added
// in any order (a group, a period, a customer, a trend bucket, the previous
// period, a total of disjoint groups). Each partial sum p of S satisfies
// |p| <= sum over S of |x| <= sum over all lines of |x| <= INT64_MAX, so no
// addition leaves int64, whatever the order. Ratios (margin, average order
// value, shares, percent changes) divide in double after the sums; nothing
// multiplies two amounts. Engines that update sums in place while a write
// replaces lines (subtract the old line, add the new) stay within the
// bound too, because the store counts a replaced line's old and new
// amounts both until start-up recomputes (see below).
//
// How the store keeps it (order_store.h): a running bound, refused before
// anything is committed when a write would take it past INT64_MAX. A
// replace-all write starts from zero; any other write adds the magnitudes
// of all its lines without subtracting the lines they replace (finding
// those would cost a lookup per line), so the bound only grows between
// start-ups. Opening the store recomputes it from the stored rows and the
// write log (a line still in the log and also in a row is counted twice:
// still an upper bound). Per line, amounts are at most 10^12 units
// (kMaxAbsMicros) and quantity at most 10^9, so the limit is reached only by
// totals of about 9.2 trillion units: nine lines at the per-line maximum
// fit, ten do not.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "absl/status/status.h"
#include "common/money.h"

namespace analytics {

class MagnitudeTotals {
 public:
  enum class Field { kSales, kProfit, kQuantity };

  // Adds one line's magnitudes. 128-bit accumulators: adding 2^64 values
  // below 2^64 each would be needed to wrap, so no sum the store can meet
  // wraps, and a total past the limit is seen as such.
  void Add(Micros sales, Micros profit, std::int64_t quantity) {
    sales_ += Magnitude(sales);
    profit_ += Magnitude(profit);
    quantity_ += Magnitude(quantity);
  }
  void Add(const MagnitudeTotals& other) {
    sales_ += other.sales_;
    profit_ += other.profit_;
    quantity_ += other.quantity_;
  }

  // The first field whose total is past INT64_MAX, if any.
  std::optional<Field> Exceeded() const {
    constexpr unsigned __int128 kLimit = std::numeric_limits<std::int64_t>::max();
    if (sales_ > kLimit) return Field::kSales;
    if (profit_ > kLimit) return Field::kProfit;
    if (quantity_ > kLimit) return Field::kQuantity;
    return std::nullopt;
  }

  // The totals, saturated at UINT64_MAX (for tests and messages).
  std::uint64_t sales() const { return Saturated(sales_); }
  std::uint64_t profit() const { return Saturated(profit_); }
  std::uint64_t quantity() const { return Saturated(quantity_); }

  friend bool operator==(const MagnitudeTotals&, const MagnitudeTotals&) = default;

 private:
  static unsigned __int128 Magnitude(std::int64_t value) {
    // In unsigned space: -INT64_MIN does not fit an int64.
    return value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  }
  static std::uint64_t Saturated(unsigned __int128 value) {
    return value > std::numeric_limits<std::uint64_t>::max()
               ? std::numeric_limits<std::uint64_t>::max()
               : static_cast<std::uint64_t>(value);
  }

  unsigned __int128 sales_ = 0;
  unsigned __int128 profit_ = 0;
  unsigned __int128 quantity_ = 0;
};

// The refusal of a write that would break the bound: OutOfRange (the same
// write can succeed once the store holds less), naming the field, e.g.
// "lines: sales: the store's total of |sales| would exceed
// 9,223,372,036,854.775807; nothing was written".
absl::Status MagnitudeRefusal(MagnitudeTotals::Field field);

}  // namespace analytics
