// Segment migration: how customers moved between RFM tiers and named
// segments from one as-of date to a later one, with counts and the revenue
// they brought in between.
#pragma once

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "reports/customer_report.h"

namespace analytics {

struct MigrationCell {
  std::int64_t customers = 0;
  Micros revenue = 0;  // their sales after `from` up to `to`
};

struct MigrationReport {
  Day from = 0;
  Day to = 0;
  std::int64_t customers_at_from = 0;
  std::int64_t new_customers = 0;  // scored at `to` only
  // [from][to]; the last row (index kAllTiers.size() or kAllSegments.size())
  // holds the customers new since `from`.
  std::array<std::array<MigrationCell, kAllTiers.size()>, kAllTiers.size() + 1> tiers{};
  std::array<std::array<MigrationCell, kAllSegments.size()>, kAllSegments.size() + 1> segments{};
};

// RFM as of `from` and as of `to` (>= from) over `filter`, customers
// matched by id. InvalidArgument naming to_date when to < from.
absl::StatusOr<MigrationReport> BuildMigrationReport(QueryEngine& engine, const Filter& filter,
                                                     Day from, Day to,
                                                     const TierThresholds& thresholds);

}  // namespace analytics
