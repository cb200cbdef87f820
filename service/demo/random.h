// The demo generator's own pseudo-random numbers.
//
// Demo data must be byte-identical for a given seed on every compiler and
// standard library, so nothing here uses std::*_distribution (whose algorithms
// are implementation-defined) or floating point: SplitMix64 expands a seed and
// hashes keys, xoshiro256** produces the stream, and Below() maps it to a range
// by unbiased integer rejection.
#pragma once

#include <array>
#include <cstdint>

namespace analytics::demo {

// The SplitMix64 finaliser: a bijective 64-bit mix, used to derive stable
// per-key values (e.g. a customer's profile from its number) without state.
constexpr std::uint64_t Mix64(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// SplitMix64 (Steele, Lea, Flood 2014); the recommended seeder of xoshiro.
class SplitMix64 {
 public:
  explicit constexpr SplitMix64(std::uint64_t seed) : state_(seed) {}
  constexpr std::uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }

 private:
  std::uint64_t state_;
};

// xoshiro256** 1.0 (Blackman, Vigna 2018): fast, small state, and good enough
// statistically for synthetic data.
class Xoshiro256 {
 public:
  explicit constexpr Xoshiro256(std::uint64_t seed) {
    SplitMix64 seeder(seed);
    // SplitMix64 never yields four zero words in a row, so the state is
    // never the all-zero fixed point.
    for (std::uint64_t& word : state_) word = seeder.Next();
  }

  constexpr std::uint64_t Next() {
    const std::uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound); bound must be > 0. Rejection keeps it unbiased and
  // the result depends on integer arithmetic only.
  constexpr std::uint64_t Below(std::uint64_t bound) {
    const std::uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
    for (;;) {
      const std::uint64_t x = Next();
      if (x >= threshold) return x % bound;
    }
  }

  // Uniform in [low, high]; requires low <= high.
  constexpr std::int64_t Between(std::int64_t low, std::int64_t high) {
    return low + static_cast<std::int64_t>(Below(static_cast<std::uint64_t>(high - low) + 1));
  }

 private:
  static constexpr std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::array<std::uint64_t, 4> state_{};
};

}  // namespace analytics::demo
