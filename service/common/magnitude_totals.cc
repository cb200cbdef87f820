#include "common/magnitude_totals.h"

namespace analytics {

absl::Status MagnitudeRefusal(MagnitudeTotals::Field field) {
  switch (field) {
    case MagnitudeTotals::Field::kSales:
      return absl::OutOfRangeError(
          "lines: sales: the store's total of |sales| would exceed 9,223,372,036,854.775807; "
          "nothing was written");
    case MagnitudeTotals::Field::kProfit:
      return absl::OutOfRangeError(
          "lines: profit: the store's total of |profit| would exceed 9,223,372,036,854.775807; "
          "nothing was written");
    case MagnitudeTotals::Field::kQuantity:
      break;
  }
  return absl::OutOfRangeError(
      "lines: quantity: the store's total quantity would exceed 9,223,372,036,854,775,807; "
      "nothing was written");
}

}  // namespace analytics
