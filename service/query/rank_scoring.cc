#include "query/rank_scoring.h"

#include <algorithm>
#include <utility>

namespace analytics::columnar {

std::vector<int> RankScores(const std::vector<std::int64_t>& values, Better better) {
  const std::size_t n = values.size();
  std::vector<std::pair<std::int64_t, std::uint32_t>> sorted(n);
  for (std::size_t i = 0; i < n; ++i) sorted[i] = {values[i], static_cast<std::uint32_t>(i)};
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> scores(n);
  const auto total = static_cast<std::int64_t>(n);
  for (std::size_t run = 0; run < n;) {
    std::size_t run_end = run + 1;
    while (run_end < n && sorted[run_end].first == sorted[run].first) ++run_end;
    const auto worse = better == Better::kHigher ? static_cast<std::int64_t>(run)
                                                 : total - static_cast<std::int64_t>(run_end);
    const int score = static_cast<int>(1 + 5 * worse / total);
    for (std::size_t i = run; i < run_end; ++i) scores[sorted[i].second] = score;
    run = run_end;
  }
  return scores;
}

}  // namespace analytics::columnar
