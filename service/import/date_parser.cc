#include "import/date_parser.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/line_validation.h"
#include "import/text_encoding.h"

namespace analytics {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsSeparator(char c) { return c == '-' || c == '/' || c == '.'; }

// Reads a run of 1..max_digits digits at `pos`; returns its length (0 when
// the run is empty or too long).
std::size_t ReadNumber(std::string_view text, std::size_t pos, std::size_t max_digits, int& value) {
  std::size_t end = pos;
  value = 0;
  while (end < text.size() && IsDigit(text[end])) {
    if (end - pos == max_digits) return 0;
    value = value * 10 + (text[end] - '0');
    ++end;
  }
  return end - pos;
}

// DayFromYmd(...).ok() without building an error message: auto-detection
// asks this twice for every date of the file.
bool Exists(int year, int month, int day) {
  if (year < kMinYear || year > kMaxYear || month < 1 || month > 12 || day < 1) return false;
  constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDaysInMonth[month - 1] + (month == 2 && leap ? 1 : 0);
}

std::string Describe(const DateText& parts) {
  char buffer[48];
  if (parts.year_first) {
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", parts.year, parts.first, parts.second);
  } else {
    std::snprintf(buffer, sizeof buffer, "%02d-%02d-%04d", parts.first, parts.second, parts.year);
  }
  return buffer;
}

}  // namespace

std::string_view DateOrderName(DateOrder order) {
  switch (order) {
    case DateOrder::kAuto:
      return "auto";
    case DateOrder::kDmy:
      return "DMY";
    case DateOrder::kMdy:
      return "MDY";
    case DateOrder::kYmd:
      return "YMD";
  }
  return "unknown";
}

absl::StatusOr<DateText> SplitDate(std::string_view text) {
  const auto shape_error = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a date: ", QuoteInput(text),
        " (expected YYYY-MM-DD, DD-MM-YY(YY) or MM-DD-YY(YY), separated by - / or .)"));
  };
  int a = 0;
  const std::size_t a_len = ReadNumber(text, 0, 4, a);
  if (a_len == 0 || a_len == 3 || a_len >= text.size() || !IsSeparator(text[a_len])) {
    return shape_error();
  }
  const char separator = text[a_len];
  int b = 0;
  const std::size_t b_pos = a_len + 1;
  const std::size_t b_len = ReadNumber(text, b_pos, 2, b);
  const std::size_t sep2 = b_pos + b_len;
  if (b_len == 0 || sep2 >= text.size() || text[sep2] != separator) return shape_error();
  int c = 0;
  const std::size_t c_pos = sep2 + 1;
  const std::size_t c_len = ReadNumber(text, c_pos, 4, c);
  if (c_len == 0 || c_pos + c_len != text.size()) return shape_error();

  DateText parts;
  if (a_len == 4) {
    if (c_len > 2) return shape_error();
    parts.year_first = true;
    parts.year = a;
    parts.first = b;
    parts.second = c;
  } else {
    if (c_len != 2 && c_len != 4) return shape_error();
    parts.first = a;
    parts.second = b;
    parts.year = c_len == 2 ? 2000 + c : c;
  }
  return parts;
}

absl::StatusOr<Day> ResolveDate(const DateText& parts, DateOrder order) {
  if (parts.year_first) return DayFromYmd(parts.year, parts.first, parts.second);
  switch (order) {
    case DateOrder::kDmy:
      if (absl::StatusOr<Day> day = DayFromYmd(parts.year, parts.second, parts.first); day.ok()) {
        return day;
      }
      return absl::InvalidArgumentError(
          absl::StrCat("no such date day-first (DD-MM-YYYY): ", Describe(parts)));
    case DateOrder::kMdy:
      if (absl::StatusOr<Day> day = DayFromYmd(parts.year, parts.first, parts.second); day.ok()) {
        return day;
      }
      return absl::InvalidArgumentError(
          absl::StrCat("no such date month-first (MM-DD-YYYY): ", Describe(parts)));
    case DateOrder::kYmd:
      return absl::InvalidArgumentError(
          absl::StrCat("date order is YMD but the date is not year-first: ", Describe(parts)));
    case DateOrder::kAuto:
      break;
  }
  return absl::InvalidArgumentError("date order not decided");
}

absl::StatusOr<Day> ParseDate(std::string_view text, DateOrder order) {
  absl::StatusOr<DateText> parts = SplitDate(text);
  if (!parts.ok()) return parts.status();
  return ResolveDate(*parts, order);
}

unsigned PossibleOrders(const DateText& parts) {
  if (parts.year_first) return Exists(parts.year, parts.first, parts.second) ? kYmdBit : 0;
  unsigned bits = 0;
  if (Exists(parts.year, parts.second, parts.first)) bits |= kDmyBit;
  if (Exists(parts.year, parts.first, parts.second)) bits |= kMdyBit;
  return bits;
}

void DateOrderDetector::Observe(const DateText& parts, std::int64_t line) {
  if (parts.year_first) return;  // says nothing about day vs month order
  const unsigned bits = PossibleOrders(parts);
  const auto note = [&](std::int64_t& count, Example& example) {
    if (count++ == 0) example = {line, parts};
  };
  if (bits == kDmyBit) {
    note(dmy_only_, first_dmy_only_);
  } else if (bits == kMdyBit) {
    note(mdy_only_, first_mdy_only_);
  } else if (bits == (kDmyBit | kMdyBit)) {
    note(ambiguous_, first_ambiguous_);
  }
}

absl::StatusOr<DateOrder> DateOrderDetector::Decide() const {
  if (dmy_only_ > 0 && mdy_only_ > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("dates are inconsistent: line ", first_dmy_only_.line, " (",
                     Describe(first_dmy_only_.parts), ") is only valid day-first but line ",
                     first_mdy_only_.line, " (", Describe(first_mdy_only_.parts),
                     ") is only valid month-first; set the date order (DMY or MDY) explicitly"));
  }
  if (dmy_only_ > 0) return DateOrder::kDmy;
  if (mdy_only_ > 0) return DateOrder::kMdy;
  if (ambiguous_ > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot tell the date order: all ", ambiguous_,
                     " day/month dates are ambiguous (first on line ", first_ambiguous_.line, ": ",
                     Describe(first_ambiguous_.parts),
                     "); set the date order to DMY (day first) or MDY (month first)"));
  }
  return DateOrder::kYmd;
}

}  // namespace analytics
