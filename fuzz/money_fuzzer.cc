// libFuzzer target: the exact money parsers (common/money.h). Properties: a
// parsed decimal stays within kMaxAbsMicros and formats back to text that
// parses to the same micros; a double (the first 8 bytes) converts only when
// finite and in range, and close to its value.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/money.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace analytics;  // NOLINT: fuzz target
  if (size >= sizeof(double)) {
    double value = 0;
    std::memcpy(&value, data, sizeof value);
    absl::StatusOr<Micros> micros = MicrosFromDouble(value);
    if (micros.ok()) {
      if (!std::isfinite(value)) std::abort();
      if (*micros > kMaxAbsMicros || *micros < -kMaxAbsMicros) std::abort();
      // Rounded to the micro-unit: within half a micro plus double error.
      if (std::fabs(MicrosToDouble(*micros) - value) > 1e-6 + std::fabs(value) * 1e-15) {
        std::abort();
      }
    }
  }
  fuzz::FuzzInput input(data, size);
  const std::string_view text = input.Rest();
  absl::StatusOr<Micros> parsed = ParseDecimalMicros(text);
  if (parsed.ok()) {
    if (*parsed > kMaxAbsMicros || *parsed < -kMaxAbsMicros) std::abort();
    const std::string formatted = FormatMicros(*parsed, 0);
    absl::StatusOr<Micros> again = ParseDecimalMicros(formatted);
    if (!again.ok() || *again != *parsed) std::abort();
  }
  return 0;
}
