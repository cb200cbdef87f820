// RFM scores for many customers at once, exactly as the SQL engine's RANK()
// formula gives them: score = 1 + floor(5 * W / N), W the number of values
// strictly worse.
//
// No sort is needed: a value scores above s exactly when at least
// k = ceil(s * N / 5) values are worse than it, i.e. when it is better than
// the k-th worst value (ties need no care: equal values compare alike with
// each threshold). The four thresholds come from a radix select: one
// histogram of the values' top bits finds the bucket holding each k-th
// worst, and only those buckets' values are searched further. Linear: a
// few passes over the values.
// segmentation/rfm.h's ScoreValues is the reference this must agree with.
#pragma once

#include <cstdint>
#include <vector>

#include "segmentation/rfm.h"

namespace analytics::columnar {

// Scores of `values`, in input order.
std::vector<int> RankScores(const std::vector<std::int64_t>& values, Better better);

}  // namespace analytics::columnar
