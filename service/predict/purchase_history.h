// Each customer's purchase history as the customer-base models read it
// (Fader, Hardie & Lee 2005): from the customer's distinct order days
// (same-day orders merged, QueryEngine::CustomerDays) up to a calibration
// end day, x = repeat purchase days (distinct order days after the first),
// t_x = time from the first to the last of them, T = time from the first to
// the calibration end; time in days or weeks. Customers whose first order
// is after the calibration end are not part of the calibration.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/civil_day.h"
#include "common/money.h"
#include "query/query_engine.h"

namespace analytics::predict {

enum class TimeUnit { kDay, kWeek };

inline double DaysPerUnit(TimeUnit unit) { return unit == TimeUnit::kWeek ? 7.0 : 1.0; }

// One calibrated customer. Times are whole days (exact); divide by
// DaysPerUnit for the model's unit.
struct PurchaseSummary {
  std::string_view customer_id;
  std::int32_t x = 0;         // repeat purchase days on or before the calibration end
  std::int32_t t_x_days = 0;  // last minus first order day on or before it (0 when x = 0)
  std::int32_t t_days = 0;    // calibration end minus first order day ("T")
  Day first = 0;
  Day last = 0;                        // last order day on or before the calibration end
  Micros first_sales = 0;              // sales of the first order day
  Micros repeat_sales = 0;             // sales of the x repeat days, summed
  std::int32_t holdout_purchases = 0;  // order days after the calibration end
  Micros holdout_sales = 0;

  // Mean value of a repeat purchase day, in currency units (0 when x = 0).
  double MeanRepeatValue() const {
    return x == 0 ? 0.0 : MicrosToDouble(repeat_sales) / static_cast<double>(x);
  }
};

struct PurchaseHistories {
  Day calibration_end = 0;
  // Latest order day of any customer (calibrated or not); after
  // calibration_end when the data has a holdout period.
  Day latest_day = 0;
  std::vector<PurchaseSummary> customers;  // in customer_id order
  std::int64_t repeaters = 0;              // customers with x >= 1
  std::int64_t later_customers = 0;        // first order after calibration_end
  CustomerDayList source;                  // owns the ids' text
};

// The calibrated customers of `days` for a calibration ending on
// `calibration_end` (inclusive).
PurchaseHistories SummarizePurchases(CustomerDayList days, Day calibration_end);

}  // namespace analytics::predict
