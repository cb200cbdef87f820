// Customer-level RFM reports: scoring with tiers and segments, the per-tier
// and per-segment summary, ordered and paginated customer lists, and single
// customer lookup (FindCustomer).
//
// RFM is computed as of a day D: the request's, or by default the latest
// order date in the filtered data. Only lines on or before D count towards
// recency, frequency and monetary; scores are relative to the customers that
// the filter selects.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "query/query_engine.h"
#include "reports/breakdown_report.h"
#include "segmentation/rfm.h"

namespace analytics {

struct RfmQuery {
  Filter filter;
  std::optional<Day> as_of;
  TierThresholds thresholds;
};

// A customer of a page: its own copy of the record, and the list whose text
// the record's views point into.
struct ScoredCustomer {
  CustomerRfm rfm;
  Tier tier = Tier::kBronze;
  RfmSegment segment = RfmSegment::kOthers;
  CustomerRfmList text_owner;
};

// A customer of a ScoredCustomerList: the shared record, with the tier and
// segment this query's thresholds give it.
struct ScoredCustomerRef {
  const CustomerRfm& rfm;
  Tier tier;
  RfmSegment segment;
  const CustomerRfmList& list;

  ScoredCustomer Copy() const { return {rfm, tier, segment, list}; }
};

// Every scored customer, by customer_id. The records are the engine's
// (shared, immutable): classifying 100,000 customers adds two bytes each
// instead of copying ~25 MB per call.
class ScoredCustomerList {
 public:
  class Iterator {
   public:
    Iterator(const ScoredCustomerList& list, std::size_t index) : list_(&list), index_(index) {}
    ScoredCustomerRef operator*() const { return (*list_)[index_]; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    friend bool operator==(const Iterator&, const Iterator&) = default;

   private:
    const ScoredCustomerList* list_;
    std::size_t index_;
  };

  // Each record's tier and segment, in the records' order: shared by the
  // lists classifying the same records under the same thresholds
  // (ClassificationCache).
  struct Classes {
    std::vector<Tier> tiers;
    std::vector<RfmSegment> segments;
  };

  ScoredCustomerList() : classes_(std::make_shared<const Classes>()) {}
  ScoredCustomerList(CustomerRfmList records, std::shared_ptr<const Classes> classes)
      : records_(std::move(records)), classes_(std::move(classes)) {}

  std::size_t size() const { return classes_->tiers.size(); }
  bool empty() const { return classes_->tiers.empty(); }
  ScoredCustomerRef operator[](std::size_t i) const {
    return {(*records_)[i], classes_->tiers[i], classes_->segments[i], records_};
  }
  Iterator begin() const { return {*this, 0}; }
  Iterator end() const { return {*this, size()}; }
  const std::shared_ptr<const Classes>& classes() const { return classes_; }

 private:
  CustomerRfmList records_;
  std::shared_ptr<const Classes> classes_;  // never null
};

struct ScoredCustomers {
  std::optional<Day> as_of;  // unset only when not requested and no line matches
  ScoredCustomerList customers;
};

// The tiers and segments of the last few scored lists, by list and
// thresholds. An engine answers a question asked again with the same list
// (the same pointer) until a write, and classifying its 100,000 customers
// again was about half of a ListCustomers or GetRfmSummary call answered
// from the engine's cache. The lists are held weakly: one dropped by a
// write is freed (and its memory recycled by the engine) as before, and a
// new list never matches an old entry (distinct owners). Thread-safe.
class ClassificationCache {
 public:
  ScoredCustomerList Classify(CustomerRfmList records, const TierThresholds& thresholds);

 private:
  struct Entry {
    std::weak_ptr<const CustomerRfmRecords> records;
    TierThresholds thresholds;
    std::shared_ptr<const ScoredCustomerList::Classes> classes;
  };
  static constexpr std::size_t kEntries = 4;
  std::mutex mutex_;          // guards entries_
  std::list<Entry> entries_;  // most recently used first
};

// `cache` (may be null) keeps the classification of lists the engine hands
// out again.
absl::StatusOr<ScoredCustomers> ScoreAllCustomers(QueryEngine& engine, const RfmQuery& query,
                                                  ClassificationCache* cache = nullptr);

// The engine's scored records with each one's tier and segment under
// `thresholds` (ScoreAllCustomers after the engine's part).
ScoredCustomerList ClassifyCustomers(CustomerRfmList records, const TierThresholds& thresholds);

// Whether `customer` is in `tier` and `segment` (each only when set): the
// selection of ListCustomers and of ListCustomerPredictions.
inline bool InTierAndSegment(const ScoredCustomerRef& customer, const std::optional<Tier>& tier,
                             const std::optional<RfmSegment>& segment) {
  return (!tier || customer.tier == *tier) && (!segment || customer.segment == *segment);
}

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
CustomerPage SelectCustomers(const ScoredCustomers& scored, const CustomerSelection& selection);

// One customer as `query` scores it, with its own lines' revenue by
// category.
struct CustomerDetail {
  ScoredCustomer customer;
  Day as_of = 0;
  BreakdownReport categories;  // by category, revenue descending
};

// The customer `customer_id` (not empty) under `query`; NotFound when no
// line of the filtered data has it.
absl::StatusOr<CustomerDetail> FindCustomer(QueryEngine& engine, const RfmQuery& query,
                                            std::string_view customer_id);

}  // namespace analytics
