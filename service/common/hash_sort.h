// Sorting (hash, index) pairs by hash, for the code that finds or indexes
// millions of texts by their 32-bit hashes at once (the columnar
// dictionaries' bulk index, the CSV import's repeated Row IDs): an LSD radix
// sort, 11 bits a pass, stable, so equal hashes keep their indexes' order.
// Sorted, equal texts sit next to each other and a hash table filled in this
// order is filled front to back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace analytics {

using HashAndIndex = std::pair<std::uint32_t, std::uint32_t>;

inline void SortByHash(std::vector<HashAndIndex>& pairs) {
  constexpr int kBits = 11;
  constexpr std::uint32_t kBuckets = 1u << kBits;
  std::vector<HashAndIndex> scratch(pairs.size());
  for (int shift = 0; shift < 32; shift += kBits) {
    std::vector<std::size_t> start(kBuckets + 1, 0);
    for (const HashAndIndex& pair : pairs) ++start[((pair.first >> shift) & (kBuckets - 1)) + 1];
    for (std::uint32_t b = 0; b < kBuckets; ++b) start[b + 1] += start[b];
    for (const HashAndIndex& pair : pairs) {
      scratch[start[(pair.first >> shift) & (kBuckets - 1)]++] = pair;
    }
    pairs.swap(scratch);
  }
}

}  // namespace analytics
