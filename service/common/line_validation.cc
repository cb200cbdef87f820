#include "common/line_validation.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace analytics {
namespace {

namespace chr = std::chrono;

constexpr Day kFirstDay =
    static_cast<Day>(chr::sys_days(chr::year(kMinYear) / 1 / 1).time_since_epoch().count());
constexpr Day kLastDay =
    static_cast<Day>(chr::sys_days(chr::year(kMaxYear) / 12 / 31).time_since_epoch().count());

bool InRange(Day day) { return day >= kFirstDay && day <= kLastDay; }

std::string DayRangeReason() {
  return absl::StrCat("is not a day from ", kMinYear, "-01-01 to ", kMaxYear, "-12-31");
}

// Magnitude check without negating: -INT64_MIN would overflow.
bool AmountInRange(Micros value) { return value >= -kMaxAbsMicros && value <= kMaxAbsMicros; }

std::string AmountReason(Micros value) {
  return absl::StrCat(FormatMicros(value, 0), " is out of range (at most ",
                      FormatMicros(kMaxAbsMicros, 0), " either way)");
}

}  // namespace

bool IsBlank(std::string_view text) {
  for (const char c : text) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

std::optional<LineProblem> ValidateLine(const OrderLineView& line) {
  if (IsBlank(line.order_id)) {
    return LineProblem{LineField::kOrderId, "is required (empty or only spaces)"};
  }
  if (IsBlank(line.customer_id)) {
    return LineProblem{LineField::kCustomerId, "is required (empty or only spaces)"};
  }
  if (!InRange(line.order_date)) return LineProblem{LineField::kOrderDate, DayRangeReason()};
  if (line.ship_date && !InRange(*line.ship_date)) {
    return LineProblem{LineField::kShipDate, DayRangeReason()};
  }
  if (!AmountInRange(line.sales)) return LineProblem{LineField::kSales, AmountReason(line.sales)};
  if (line.quantity < 0 || line.quantity > kMaxQuantity) {
    return LineProblem{
        LineField::kQuantity,
        absl::StrCat(line.quantity, " is not a whole number from 0 to ", kMaxQuantity)};
  }
  if (line.discount < 0 || line.discount > kMicrosPerUnit) {
    return LineProblem{LineField::kDiscount,
                       absl::StrCat(FormatMicros(line.discount, 0),
                                    " is not a fraction from 0 to 1 (0.2 means 20 %)")};
  }
  if (!AmountInRange(line.profit)) {
    return LineProblem{LineField::kProfit, AmountReason(line.profit)};
  }
  return std::nullopt;
}

std::string_view Utf8SafePrefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Back off over continuation bytes, then over the lead byte they follow.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string QuoteInput(std::string_view text) {
  const std::string_view prefix = Utf8SafePrefix(text, kQuotedInputBytes);
  std::string quoted = "\"";
  quoted.append(prefix);
  quoted.append(prefix.size() < text.size() ? "...\"" : "\"");
  return quoted;
}

std::string CutForReply(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  constexpr std::string_view kCut = "...";
  const std::size_t room = max_bytes > kCut.size() ? max_bytes - kCut.size() : 0;
  std::string cut(Utf8SafePrefix(text, room));
  cut.append(kCut);
  return cut;
}

}  // namespace analytics
