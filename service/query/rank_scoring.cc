#include "query/rank_scoring.h"

#include <algorithm>
#include <array>
#include <utility>

namespace analytics::columnar {
namespace {

int Score(std::int64_t worse, std::int64_t total) {
  return static_cast<int>(1 + 5 * worse / total);
}

// Values within a small range (recency in days, frequency in orders): one
// count per possible value, and W for a value is a prefix sum. No sort.
std::vector<int> CountingScores(const std::vector<std::int64_t>& values, std::int64_t low,
                                std::int64_t high, Better better) {
  const auto total = static_cast<std::int64_t>(values.size());
  std::vector<std::int64_t> below(static_cast<std::size_t>(high - low + 2), 0);
  for (const std::int64_t v : values) ++below[static_cast<std::size_t>(v - low + 1)];
  // below[i] = number of values < low + i.
  for (std::size_t i = 1; i < below.size(); ++i) below[i] += below[i - 1];
  std::vector<int> scores(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto slot = static_cast<std::size_t>(values[i] - low);
    const std::int64_t worse = better == Better::kHigher ? below[slot] : total - below[slot + 1];
    scores[i] = Score(worse, total);
  }
  return scores;
}

// Any other range (money): an LSD radix sort of (value - low, index) pairs,
// 11 bits a pass, skipping the passes whose digit never varies.
std::vector<int> RadixScores(const std::vector<std::int64_t>& values, std::int64_t low,
                             Better better) {
  constexpr int kBits = 11;
  constexpr std::size_t kBuckets = std::size_t{1} << kBits;
  const std::size_t n = values.size();
  std::vector<std::pair<std::uint64_t, std::uint32_t>> items(n);
  std::uint64_t all_bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t key =
        static_cast<std::uint64_t>(values[i]) - static_cast<std::uint64_t>(low);
    items[i] = {key, static_cast<std::uint32_t>(i)};
    all_bits |= key;
  }
  std::vector<std::pair<std::uint64_t, std::uint32_t>> scratch(n);
  for (int shift = 0; shift < 64 && (all_bits >> shift) != 0; shift += kBits) {
    std::array<std::size_t, kBuckets> start{};
    for (const auto& item : items) ++start[(item.first >> shift) & (kBuckets - 1)];
    if (*std::max_element(start.begin(), start.end()) == n) continue;  // one digit value
    std::size_t sum = 0;
    for (std::size_t& s : start) sum += std::exchange(s, sum);
    for (const auto& item : items) scratch[start[(item.first >> shift) & (kBuckets - 1)]++] = item;
    items.swap(scratch);
  }
  std::vector<int> scores(n);
  const auto total = static_cast<std::int64_t>(n);
  for (std::size_t run = 0; run < n;) {
    std::size_t run_end = run + 1;
    while (run_end < n && items[run_end].first == items[run].first) ++run_end;
    const auto worse = better == Better::kHigher ? static_cast<std::int64_t>(run)
                                                 : total - static_cast<std::int64_t>(run_end);
    const int score = Score(worse, total);
    for (std::size_t i = run; i < run_end; ++i) scores[items[i].second] = score;
    run = run_end;
  }
  return scores;
}

}  // namespace

std::vector<int> RankScores(const std::vector<std::int64_t>& values, Better better) {
  if (values.empty()) return {};
  const auto [low_it, high_it] = std::minmax_element(values.begin(), values.end());
  const std::int64_t low = *low_it;
  const std::int64_t high = *high_it;
  // Counting wins while the range is not much larger than the count.
  const auto range = static_cast<unsigned __int128>(static_cast<__int128>(high) - low);
  if (range <= 4 * values.size() + 1024) return CountingScores(values, low, high, better);
  return RadixScores(values, low, better);
}

}  // namespace analytics::columnar
