#include "common/text_hash.h"

#include <cstring>

namespace analytics {
namespace {

// A fast hash for short strings (keys, ids, names): eight bytes at a time,
// each mixed by a 64x64->128-bit multiply (the wyhash construction). The
// table uses both the low bits (control bytes) and the high bits (probe
// position), which the fold of the product's halves fills well.
std::uint64_t Mix(std::uint64_t a, std::uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

std::uint64_t Load8(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

std::uint64_t Load4(const char* p) {
  std::uint32_t word;
  std::memcpy(&word, p, 4);
  return word;
}

}  // namespace

std::uint32_t HashText(std::string_view text) {
  constexpr std::uint64_t kSeed = 0xa0761d6478bd642fULL;
  constexpr std::uint64_t kStep = 0xe7037ed1a0b428dbULL;
  std::uint64_t h = kSeed ^ text.size();
  const char* p = text.data();
  const std::size_t size = text.size();
  std::size_t left = size;
  while (left >= 8) {
    h = Mix(h ^ Load8(p), kStep);
    p += 8;
    left -= 8;
  }
  // The tail in whole-word loads (the last eight bytes, overlapping ones
  // already mixed, or two overlapping four-byte halves): copying it byte by
  // byte into a word stalled every hash on a failed store-to-load forward.
  if (left > 0) {
    std::uint64_t word;
    if (size >= 8) {
      word = Load8(p + left - 8);
    } else if (left >= 4) {
      word = (Load4(p) << 32) | Load4(p + left - 4);
    } else {
      const auto byte = [&](std::size_t i) {
        return std::uint64_t{static_cast<unsigned char>(p[i])};
      };
      word = (byte(0) << 16) | (byte(left >> 1) << 8) | byte(left - 1);
    }
    h = Mix(h ^ word, kStep ^ left);
  }
  const std::uint64_t mixed = Mix(h, kSeed ^ kStep);
  return static_cast<std::uint32_t>(mixed ^ (mixed >> 32));
}

}  // namespace analytics
