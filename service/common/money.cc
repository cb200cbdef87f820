#include "common/money.h"

#include <cmath>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace analytics {

absl::StatusOr<Micros> ParseDecimalMicros(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty number");
  std::size_t i = 0;
  bool negative = false;
  if (text[i] == '+' || text[i] == '-') {
    negative = text[i] == '-';
    ++i;
  }
  // Accumulate in unsigned 128-bit-free form: the magnitude bound keeps the
  // running value far below int64 overflow before each multiplication.
  std::int64_t whole = 0;
  std::size_t whole_digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++whole_digits) {
    whole = whole * 10 + (text[i] - '0');
    // Checked after each digit, so `whole * kMicrosPerUnit` below cannot
    // overflow (found by fuzz/money_fuzzer.cc: "-9999999999999").
    if (whole > kMaxAbsMicros / kMicrosPerUnit) {
      return absl::InvalidArgumentError(absl::StrCat("number out of range: ", std::string(text)));
    }
  }
  std::int64_t fraction = 0;
  std::size_t fraction_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++fraction_digits) {
      const int digit = text[i] - '0';
      if (fraction_digits < 6) {
        fraction = fraction * 10 + digit;
      } else if (digit != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("more than 6 decimal places: ", std::string(text)));
      }
    }
  }
  if (i != text.size() || whole_digits + fraction_digits == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a plain decimal number: ", std::string(text)));
  }
  for (std::size_t d = std::min<std::size_t>(fraction_digits, 6); d < 6; ++d) fraction *= 10;
  const Micros magnitude = whole * kMicrosPerUnit + fraction;
  if (magnitude > kMaxAbsMicros) {
    return absl::InvalidArgumentError(absl::StrCat("number out of range: ", std::string(text)));
  }
  return negative ? -magnitude : magnitude;
}

absl::StatusOr<Micros> MicrosFromDouble(double value) {
  if (!std::isfinite(value)) return absl::InvalidArgumentError("not a finite number");
  const double scaled = std::round(value * static_cast<double>(kMicrosPerUnit));
  if (std::fabs(scaled) > static_cast<double>(kMaxAbsMicros)) {
    return absl::InvalidArgumentError("number out of range");
  }
  return static_cast<Micros>(scaled);
}

double MicrosToDouble(Micros micros) {
  // Split so that whole units convert exactly and only the fraction rounds.
  const Micros whole = micros / kMicrosPerUnit;
  const Micros fraction = micros % kMicrosPerUnit;
  return static_cast<double>(whole) +
         static_cast<double>(fraction) / static_cast<double>(kMicrosPerUnit);
}

std::string FormatMicros(Micros micros, int min_decimals) {
  const bool negative = micros < 0;
  // Negate in unsigned space: -INT64_MIN would overflow.
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  std::string fraction = std::to_string(magnitude % kMicrosPerUnit);
  fraction.insert(0, 6 - fraction.size(), '0');
  while (static_cast<int>(fraction.size()) > min_decimals && fraction.back() == '0') {
    fraction.pop_back();
  }
  std::string out = negative ? "-" : "";
  out += std::to_string(magnitude / kMicrosPerUnit);
  if (!fraction.empty()) absl::StrAppend(&out, ".", fraction);
  return out;
}

}  // namespace analytics
