#include "predict/digamma.h"

#include <cmath>
#include <limits>

namespace analytics::predict {

double Digamma(double z) {
  if (!(z > 0)) return std::numeric_limits<double>::quiet_NaN();
  double shift = 0;
  while (z < 10) {
    shift -= 1 / z;
    z += 1;
  }
  // ψ(z) ~ ln z − 1/(2z) − Σ B_2k / (2k z^2k), k = 1..7: 1/12, −1/120,
  // 1/252, −1/240, 1/132, −691/32760, 1/12; at z >= 10 the next term is
  // below 1e-16.
  const double w = 1 / (z * z);
  const double series =
      w * (1.0 / 12 -
           w * (1.0 / 120 -
                w * (1.0 / 252 -
                     w * (1.0 / 240 - w * (1.0 / 132 - w * (691.0 / 32760 - w * (1.0 / 12)))))));
  return shift + std::log(z) - 0.5 / z - series;
}

}  // namespace analytics::predict
