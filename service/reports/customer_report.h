// Customer-level RFM reports: scoring with tiers and segments, the per-tier
// and per-segment summary, ordered and paginated customer lists, and single
// customer lookup.
//
// RFM is computed as of a day D: the request's, or by default the latest
// order date in the filtered data. Only lines on or before D count towards
// recency, frequency and monetary; scores are relative to the customers that
// the filter selects.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "query/query_engine.h"
#include "segmentation/rfm.h"

namespace analytics {

struct RfmQuery {
  Filter filter;
  std::optional<Day> as_of;
  TierThresholds thresholds;
};

struct ScoredCustomer {
  CustomerRfm rfm;
  Tier tier = Tier::kBronze;
  RfmSegment segment = RfmSegment::kOthers;
};

struct ScoredCustomers {
  std::optional<Day> as_of;               // unset only when not requested and no line matches
  std::vector<ScoredCustomer> customers;  // by customer_id
};

absl::StatusOr<ScoredCustomers> ScoreAllCustomers(QueryEngine& engine, const RfmQuery& query);

struct RfmGroupSummary {
  std::int64_t customers = 0;
  Micros revenue = 0;  // sum of the customers' monetary values
  double revenue_share = 0;
  double average_recency_days = 0;
  double average_frequency = 0;
  double average_monetary = 0;
};

struct RfmSummary {
  std::optional<Day> as_of;
  std::int64_t customers = 0;
  Micros revenue = 0;
  std::array<RfmGroupSummary, kAllTiers.size()> tiers;        // in kAllTiers order
  std::array<RfmGroupSummary, kAllSegments.size()> segments;  // in kAllSegments order
};

RfmSummary Summarize(const ScoredCustomers& scored);

enum class CustomerSortKey {
  kMonetary,
  kFrequency,
  kRecencyDays,
  kLifetimeRevenue,
  kLifetimeProfit,
  kLastOrderDate,
  kCustomerId,
};

struct CustomerOrder {
  CustomerSortKey key = CustomerSortKey::kMonetary;
  bool descending = true;
  friend bool operator==(const CustomerOrder&, const CustomerOrder&) = default;
};

// "<field> [asc|desc]"; empty means "monetary desc"; a field alone sorts
// ascending (AIP-132). InvalidArgument on anything else.
absl::StatusOr<CustomerOrder> ParseCustomerOrder(std::string_view text);

struct CustomerSelection {
  std::optional<Tier> tier;
  std::optional<RfmSegment> segment;
  CustomerOrder order;
  std::int64_t offset = 0;
  std::int64_t limit = 50;
};

struct CustomerPage {
  std::vector<ScoredCustomer> customers;
  std::int64_t total_size = 0;  // matching customers over all pages
  bool has_more = false;
};

// Filters, sorts (ties by customer_id ascending) and cuts one page.
CustomerPage SelectCustomers(ScoredCustomers scored, const CustomerSelection& selection);

}  // namespace analytics
