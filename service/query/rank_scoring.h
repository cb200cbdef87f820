// RFM scores for many customers at once, exactly as the SQL engine's RANK()
// formula gives them: score = 1 + floor(5 * W / N), W the number of values
// strictly worse. One sort of (value, index) pairs gives every W: equal
// values form a run, and W is the run's start (higher is better) or the
// count after the run (lower is better). segmentation/rfm.h's ScoreValues is
// the reference this must agree with.
#pragma once

#include <cstdint>
#include <vector>

#include "segmentation/rfm.h"

namespace analytics::columnar {

// Scores of `values`, in input order.
std::vector<int> RankScores(const std::vector<std::int64_t>& values, Better better);

}  // namespace analytics::columnar
