// A fixed-size bitset over dense ids, for exact distinct counts: set the bit
// of every order (or customer) met, count the bits once at the end. A
// million orders take 125 KB, and setting a bit is one OR, so counting
// distinct values costs about as much as summing a column.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace analytics::columnar {

inline void SetBit(std::uint64_t* words, std::uint32_t id) {
  words[id >> 6] |= std::uint64_t{1} << (id & 63);
}

class DenseBitset {
 public:
  explicit DenseBitset(std::uint32_t size) : words_((size + 63) / 64, 0) {}

  void Set(std::uint32_t id) { words_[id >> 6] |= std::uint64_t{1} << (id & 63); }
  // Sets the bit; true when it was clear before.
  bool TestAndSet(std::uint32_t id) {
    std::uint64_t& word = words_[id >> 6];
    const std::uint64_t bit = std::uint64_t{1} << (id & 63);
    const bool was_clear = (word & bit) == 0;
    word |= bit;
    return was_clear;
  }
  // Adds `other`'s bits (the same size).
  void Or(const DenseBitset& other) {
    for (std::size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
  }
  // For kernels that keep the word pointer in a register.
  std::uint64_t* words() { return words_.data(); }
  std::int64_t Count() const {
    std::int64_t count = 0;
    for (const std::uint64_t word : words_) count += std::popcount(word);
    return count;
  }

 private:
  std::vector<std::uint64_t> words_;
};

}  // namespace analytics::columnar
