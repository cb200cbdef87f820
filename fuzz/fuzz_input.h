// Helpers shared by the libFuzzer targets: cutting one fuzz input into a
// selector, chunk sizes and payload, so one target explores how its parser
// copes with input arriving in pieces cut anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace analytics::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  // The next byte (0 when exhausted).
  std::uint8_t Byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  // The next 8 bytes as an integer (zero-padded).
  std::uint64_t U64() {
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= static_cast<std::uint64_t>(Byte()) << (8 * i);
    return value;
  }
  // Up to `n` bytes.
  std::string_view Take(std::size_t n) {
    const std::string_view out = rest_.substr(0, n);
    rest_.remove_prefix(out.size());
    return out;
  }
  std::string_view Rest() const { return rest_; }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace analytics::fuzz
