#include "predict/migration_report.h"

#include "absl/container/flat_hash_map.h"

namespace analytics {

absl::StatusOr<MigrationReport> BuildMigrationReport(QueryEngine& engine, const Filter& filter,
                                                     Day from, Day to,
                                                     const TierThresholds& thresholds) {
  if (to < from) return absl::InvalidArgumentError("to_date: is before from_date");
  absl::StatusOr<ScoredCustomers> before =
      ScoreAllCustomers(engine, {.filter = filter, .as_of = from, .thresholds = thresholds});
  if (!before.ok()) return before.status();
  absl::StatusOr<ScoredCustomers> after =
      ScoreAllCustomers(engine, {.filter = filter, .as_of = to, .thresholds = thresholds});
  if (!after.ok()) return after.status();
  MigrationReport report;
  report.from = from;
  report.to = to;
  // Everyone scored at `from` is scored at `to` too (a line on or before
  // from is on or before to).
  absl::flat_hash_map<std::string_view, std::size_t> earlier;
  earlier.reserve(before->customers.size());
  for (std::size_t i = 0; i < before->customers.size(); ++i) {
    earlier.emplace(before->customers[i].rfm.customer_id, i);
  }
  report.customers_at_from = static_cast<std::int64_t>(before->customers.size());
  for (const ScoredCustomerRef now : after->customers) {
    const auto it = earlier.find(now.rfm.customer_id);
    std::size_t tier_row = kAllTiers.size();
    std::size_t segment_row = kAllSegments.size();
    Micros revenue = now.rfm.monetary;
    if (it != earlier.end()) {
      const ScoredCustomerRef then = before->customers[it->second];
      tier_row = static_cast<std::size_t>(then.tier);
      segment_row = static_cast<std::size_t>(then.segment);
      revenue -= then.rfm.monetary;
    } else {
      ++report.new_customers;
    }
    MigrationCell& tier = report.tiers[tier_row][static_cast<std::size_t>(now.tier)];
    ++tier.customers;
    tier.revenue += revenue;
    MigrationCell& segment = report.segments[segment_row][static_cast<std::size_t>(now.segment)];
    ++segment.customers;
    segment.revenue += revenue;
  }
  return report;
}

}  // namespace analytics
