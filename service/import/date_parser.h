// Calendar dates as spreadsheets write them, and detection of their order.
//
// Accepted shapes (the same separator, '-', '/' or '.', twice):
//   YYYY-MM-DD  year first, 4-digit year: unambiguous, accepted in every order;
//   A-B-YY / A-B-YYYY  day and month first in either order (DMY or MDY),
//   1- or 2-digit day and month. A 2-digit year yy means 2000 + yy: retail
//   exports of this kind are all from this century, and guessing a pivot
//   year (as spreadsheets do) would silently move old data by 100 years.
// Nothing else is a date (no month names, no times, no surrounding spaces;
// callers trim).
//
// Day-first and month-first dates can only be told apart when a component is
// above 12. DateOrderDetector collects that evidence over a whole file and
// decides, or refuses when the file never disambiguates itself or
// contradicts itself: guessing would load wrong dates without a trace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/civil_day.h"

namespace analytics {

enum class DateOrder { kAuto, kDmy, kMdy, kYmd };

// "auto", "DMY", "MDY" or "YMD".
std::string_view DateOrderName(DateOrder order);

// A date split into its numbers, before deciding which is the day.
struct DateText {
  bool year_first = false;  // YYYY-MM-DD shape
  int first = 0;            // year_first: month; else the first of day/month
  int second = 0;           // year_first: day; else the second of day/month
  int year = 0;             // already expanded: "16" -> 2016

  friend bool operator==(const DateText&, const DateText&) = default;
};

// Splits `text` into numbers; InvalidArgument when it has none of the shapes
// above. Does not check that the date exists.
absl::StatusOr<DateText> SplitDate(std::string_view text);

// The date `parts` names in `order` (kDmy, kMdy or kYmd; a year-first date
// resolves the same in all of them). InvalidArgument when no such date exists
// in that order (month 13, 30 February) or when `order` is kYmd and the date
// is not year-first; never swaps day and month.
absl::StatusOr<Day> ResolveDate(const DateText& parts, DateOrder order);

// SplitDate then ResolveDate.
absl::StatusOr<Day> ParseDate(std::string_view text, DateOrder order);

// Bit set of the orders in which `parts` is an existing date.
inline constexpr unsigned kDmyBit = 1;
inline constexpr unsigned kMdyBit = 2;
inline constexpr unsigned kYmdBit = 4;
unsigned PossibleOrders(const DateText& parts);

// Decides DMY vs MDY from every date of a file.
class DateOrderDetector {
 public:
  // Records one date (that exists in at least one order) read at `line`.
  void Observe(const DateText& parts, std::int64_t line);

  // kYmd when every date was year-first (or there were none); kDmy or kMdy
  // when the evidence points one way only; InvalidArgument asking for an
  // explicit order when every other date is ambiguous or when some dates only
  // work day-first and others only month-first.
  absl::StatusOr<DateOrder> Decide() const;

 private:
  struct Example {
    std::int64_t line = 0;
    DateText parts;
  };
  std::int64_t dmy_only_ = 0;
  std::int64_t mdy_only_ = 0;
  std::int64_t ambiguous_ = 0;
  Example first_dmy_only_;
  Example first_mdy_only_;
  Example first_ambiguous_;
};

}  // namespace analytics
