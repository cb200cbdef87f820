#include "query/columnar/rank_scoring.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>

namespace analytics::columnar {
namespace {

constexpr int kBucketBits = 12;

// Scores of `values` under `key`, which maps each to its unsigned distance
// from the worst value (smaller key: worse value), at most `max_key`. Keys
// are computed on the fly in each pass rather than stored.
template <typename Key>
std::vector<int> ScoresOfKeys(const std::vector<std::int64_t>& values, Key key_of,
                              std::uint64_t max_key) {
  const std::size_t n = values.size();
  const int shift = std::max(0, static_cast<int>(std::bit_width(max_key)) - kBucketBits);
  std::vector<std::uint32_t> counts((max_key >> shift) + 1, 0);
  for (const std::int64_t v : values) ++counts[key_of(v) >> shift];
  // For each score step s (1..4): the 0-based position of the ceil(s*n/5)-th
  // worst key, its bucket and its rank among the bucket's keys.
  std::array<std::size_t, 4> position{};
  std::array<std::uint64_t, 4> bucket{};
  std::array<std::size_t, 4> rank_in_bucket{};
  for (std::size_t s = 1; s <= 4; ++s) position[s - 1] = (s * n + 4) / 5 - 1;
  std::size_t before = 0;  // keys in the buckets passed
  std::size_t next = 0;    // the next step whose bucket is to be found
  for (std::uint64_t b = 0; b < counts.size() && next < 4; ++b) {
    while (next < 4 && position[next] < before + counts[b]) {
      bucket[next] = b;
      rank_in_bucket[next] = position[next] - before;
      ++next;
    }
    before += counts[b];
  }
  std::array<std::uint64_t, 4> threshold{};
  if (shift == 0) {
    threshold = bucket;  // a bucket holds one key value
  } else {
    // The keys of the (at most four) buckets holding a threshold.
    std::array<std::vector<std::uint64_t>, 4> members;
    for (const std::int64_t v : values) {
      const std::uint64_t key = key_of(v);
      const std::uint64_t b = key >> shift;
      for (std::size_t s = 0; s < 4; ++s) {
        if (b == bucket[s] && (s == 0 || bucket[s] != bucket[s - 1])) {
          members[s].push_back(key);
          break;
        }
      }
    }
    for (std::size_t s = 0; s < 4; ++s) {
      std::size_t owner = s;  // steps sharing a bucket share its keys
      while (owner > 0 && bucket[owner - 1] == bucket[s]) --owner;
      std::vector<std::uint64_t>& in_bucket = members[owner];
      const auto nth = in_bucket.begin() + static_cast<std::ptrdiff_t>(rank_in_bucket[s]);
      std::nth_element(in_bucket.begin(), nth, in_bucket.end());
      threshold[s] = *nth;
    }
  }
  std::vector<int> scores(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t key = key_of(values[i]);
    scores[i] = 1 + (threshold[0] < key) + (threshold[1] < key) + (threshold[2] < key) +
                (threshold[3] < key);
  }
  return scores;
}

}  // namespace

std::vector<int> RankScores(const std::vector<std::int64_t>& values, Better better) {
  if (values.empty()) return {};
  const auto [low_it, high_it] = std::minmax_element(values.begin(), values.end());
  const auto low = static_cast<std::uint64_t>(*low_it);
  const auto high = static_cast<std::uint64_t>(*high_it);
  // Unsigned differences: exact for any two int64 values.
  const std::uint64_t max_key = high - low;
  if (better == Better::kHigher) {
    return ScoresOfKeys(
        values, [low](std::int64_t v) { return static_cast<std::uint64_t>(v) - low; }, max_key);
  }
  return ScoresOfKeys(
      values, [high](std::int64_t v) { return high - static_cast<std::uint64_t>(v); }, max_key);
}

}  // namespace analytics::columnar
