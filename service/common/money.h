// Exact money arithmetic for the whole service.
//
// Every amount is held as a signed count of micro-units (1e-6 of the currency
// unit) in an int64, and sums are integer sums, so a total of inputs with up
// to six decimals is exact. Doubles appear only at the API edge: converting
// from one rounds half away from zero to the nearest micro-unit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace analytics {

using Micros = std::int64_t;

inline constexpr Micros kMicrosPerUnit = 1'000'000;

// Largest magnitude accepted from outside: 1e12 units. Leaves head-room so
// that sums of many millions of lines cannot overflow int64.
inline constexpr Micros kMaxAbsMicros = 1'000'000'000'000LL * kMicrosPerUnit;

// Parses a plain decimal: optional sign, digits, optional '.' and up to six
// fraction digits ("12", "-0.5", "1234.5678", ".5"). Rejects everything else
// (thousands separators, currency signs, exponents, NaN, surrounding spaces,
// more than six decimals that are not zeros, magnitudes above kMaxAbsMicros)
// with an InvalidArgument status describing the problem.
absl::StatusOr<Micros> ParseDecimalMicros(std::string_view text);

// Converts an API double; NaN, infinities and out-of-range values are
// InvalidArgument.
absl::StatusOr<Micros> MicrosFromDouble(double value);

double MicrosToDouble(Micros micros);

// "1234.5678" with trailing fraction zeros trimmed down to `min_decimals`.
std::string FormatMicros(Micros micros, int min_decimals = 2);

}  // namespace analytics
