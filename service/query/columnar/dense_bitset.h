// A fixed-size bitset over dense ids, for exact distinct counts: set the bit
// of every order (or customer) met, count the bits once at the end. A
// million orders take 125 KB, and setting a bit is one OR, so counting
// distinct values costs about as much as summing a column.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "query/columnar/expect.h"

namespace analytics::columnar {

inline void SetBit(std::uint64_t* words, std::uint32_t id) {
  words[id >> 6] |= std::uint64_t{1} << (id & 63);
}

inline bool TestBit(const std::uint64_t* words, std::uint32_t id) {
  return ((words[id >> 6] >> (id & 63)) & 1) != 0;
}

// For a set of ids that grows with the dictionaries (the ids a write
// touched): sets the bit, growing `words` when the id is beyond them.
inline void SetBitGrowing(std::vector<std::uint64_t>& words, std::uint32_t id) {
  if ((id >> 6) >= words.size()) words.resize((id >> 6) + 1, 0);
  SetBit(words.data(), id);
}

// Calls visit(id) for each set bit, in ascending id order.
template <typename Visit>
void ForEachSetBit(const std::vector<std::uint64_t>& words, Visit&& visit) {
  for (std::size_t w = 0; w < words.size(); ++w) {
    for (std::uint64_t bits = words[w]; bits != 0; bits &= bits - 1) {
      visit(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits))));
    }
  }
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
    COLUMNAR_EXPECT(other.words_.size() == words_.size());
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
