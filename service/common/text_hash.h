// A fast 32-bit hash for short strings (keys, ids, names), for the hash
// sets that index millions of them: the columnar engine's dictionaries and
// the CSV import's Row ID set; and a fast equality for the same texts. Not for anything that must
// resist adversarial collisions beyond what a hash table's probing absorbs.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace analytics {

std::uint32_t HashText(std::string_view text);

// a == b, inline: the dictionaries compare tens of millions of short texts
// per million lines written, and a call into memcmp for each cost more than
// the comparison. Texts up to 16 bytes are compared as two overlapping
// words each.
inline bool SameText(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  const auto load8 = [](const char* at) {
    std::uint64_t word;
    std::memcpy(&word, at, 8);
    return word;
  };
  const auto load4 = [](const char* at) {
    std::uint32_t word;
    std::memcpy(&word, at, 4);
    return word;
  };
  if (n >= 8) {
    if (n > 16) return std::memcmp(p, q, n) == 0;
    return load8(p) == load8(q) && load8(p + n - 8) == load8(q + n - 8);
  }
  if (n >= 4) return load4(p) == load4(q) && load4(p + n - 4) == load4(q + n - 4);
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != q[i]) return false;
  }
  return true;
}

}  // namespace analytics
