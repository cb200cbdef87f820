// libFuzzer target: the date parsers — the import's DMY/MDY/YMD parser
// (import/date_parser.h) and the API's ISO parser (common/civil_day.h).
// Properties: a date resolves in exactly the orders PossibleOrders reports,
// and an ISO date formats back to text that parses to the same day.
#include <cstdlib>
#include <string>

#include "common/civil_day.h"
#include "fuzz/fuzz_input.h"
#include "import/date_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace analytics;  // NOLINT: fuzz target
  fuzz::FuzzInput input(data, size);
  const std::string_view text = input.Rest();

  absl::StatusOr<DateText> parts = SplitDate(text);
  if (parts.ok()) {
    const unsigned possible = PossibleOrders(*parts);
    const std::pair<DateOrder, unsigned> orders[] = {
        {DateOrder::kDmy, kDmyBit}, {DateOrder::kMdy, kMdyBit}, {DateOrder::kYmd, kYmdBit}};
    for (const auto& [order, bit] : orders) {
      absl::StatusOr<Day> day = ResolveDate(*parts, order);
      // A year-first date resolves the same in every order; PossibleOrders
      // reports it as YMD only.
      const unsigned expected_bit = parts->year_first ? kYmdBit : bit;
      if (day.ok() != ((possible & expected_bit) != 0)) std::abort();
      absl::StatusOr<Day> direct = ParseDate(text, order);
      if (direct.ok() != day.ok() || (day.ok() && *direct != *day)) std::abort();
      if (day.ok()) {
        const YearMonthDay ymd = YmdFromDay(*day);
        absl::StatusOr<Day> again = DayFromYmd(ymd.year, ymd.month, ymd.day);
        if (!again.ok() || *again != *day) std::abort();
      }
    }
  }

  absl::StatusOr<Day> iso = ParseIsoDay(text);
  if (iso.ok()) {
    const std::string formatted = FormatIsoDay(*iso);
    absl::StatusOr<Day> again = ParseIsoDay(formatted);
    if (!again.ok() || *again != *iso) std::abort();
  }
  return 0;
}
