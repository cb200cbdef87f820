// RFM scores for many customers at once, exactly as the SQL engine's RANK()
// formula gives them: score = 1 + floor(5 * W / N), W the number of values
// strictly worse. Values in a small range (days, order counts) are counted
// per value and W is a prefix sum; others (money) are radix-sorted with
// their index, equal values form a run, and W is the run's start (higher is
// better) or the count after it (lower is better). Both are linear in N.
// segmentation/rfm.h's ScoreValues is the reference this must agree with.
#pragma once

#include <cstdint>
#include <vector>

#include "segmentation/rfm.h"

namespace analytics::columnar {

// Scores of `values`, in input order.
std::vector<int> RankScores(const std::vector<std::int64_t>& values, Better better);

}  // namespace analytics::columnar
