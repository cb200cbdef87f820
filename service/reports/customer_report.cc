#include "reports/customer_report.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace analytics {

absl::StatusOr<ScoredCustomers> ScoreAllCustomers(QueryEngine& engine, const RfmQuery& query,
                                                  ClassificationCache* cache) {
  ScoredCustomers result;
  result.as_of = query.as_of;
  if (!result.as_of) {
    absl::StatusOr<std::optional<DateSpan>> span = engine.Span(query.filter);
    if (!span.ok()) return span.status();
    if (!*span) return result;
    result.as_of = (*span)->last;
  }
  absl::StatusOr<CustomerRfmList> customers = engine.ScoreCustomers(query.filter, *result.as_of);
  if (!customers.ok()) return customers.status();
  result.customers = cache != nullptr ? cache->Classify(*std::move(customers), query.thresholds)
                                      : ClassifyCustomers(*std::move(customers), query.thresholds);
  return result;
}

ScoredCustomerList ClassifyCustomers(CustomerRfmList records, const TierThresholds& thresholds) {
  ScoredCustomerList::Classes classes;
  classes.tiers.reserve(records->size());
  classes.segments.reserve(records->size());
  for (const CustomerRfm& rfm : *records) {
    classes.tiers.push_back(AssignTier(rfm.frequency, rfm.monetary, thresholds));
    classes.segments.push_back(
        AssignSegment(rfm.recency_score, rfm.frequency_score, rfm.monetary_score));
  }
  return ScoredCustomerList(
      std::move(records), std::make_shared<const ScoredCustomerList::Classes>(std::move(classes)));
}

ScoredCustomerList ClassificationCache::Classify(CustomerRfmList records,
                                                 const TierThresholds& thresholds) {
  // The same list: the same owner (a list never shares its owner with
  // another, and an expired entry still pins its owner, so no new list
  // can take its place).
  const auto same_list = [&](const Entry& entry) {
    return !entry.records.owner_before(records) && !records.owner_before(entry.records);
  };
  {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->thresholds == thresholds && same_list(*it)) {
        entries_.splice(entries_.begin(), entries_, it);
        return ScoredCustomerList(std::move(records), it->classes);
      }
    }
  }
  ScoredCustomerList classified = ClassifyCustomers(records, thresholds);
  std::lock_guard lock(mutex_);
  // Entries of lists nobody holds any more can never match again.
  entries_.remove_if([](const Entry& entry) { return entry.records.expired(); });
  entries_.push_front({records, thresholds, classified.classes()});
  if (entries_.size() > kEntries) entries_.pop_back();
  return classified;
}

RfmSummary Summarize(const ScoredCustomers& scored) {
  RfmSummary summary;
  summary.as_of = scored.as_of;
  struct Sums {
    std::int64_t recency = 0;
    std::int64_t frequency = 0;
  };
  std::array<Sums, kAllTiers.size()> tier_sums{};
  std::array<Sums, kAllSegments.size()> segment_sums{};
  const auto add = [](RfmGroupSummary& group, Sums& sums, const CustomerRfm& rfm) {
    ++group.customers;
    group.revenue += rfm.monetary;
    sums.recency += rfm.recency_days;
    sums.frequency += rfm.frequency;
  };
  for (const ScoredCustomerRef customer : scored.customers) {
    ++summary.customers;
    summary.revenue += customer.rfm.monetary;
    const auto t = static_cast<std::size_t>(customer.tier);
    const auto s = static_cast<std::size_t>(customer.segment);
    add(summary.tiers[t], tier_sums[t], customer.rfm);
    add(summary.segments[s], segment_sums[s], customer.rfm);
  }
  const auto finish = [&](RfmGroupSummary& group, const Sums& sums) {
    if (summary.revenue != 0) {
      group.revenue_share =
          static_cast<double>(group.revenue) / static_cast<double>(summary.revenue);
    }
    if (group.customers == 0) return;
    const auto n = static_cast<double>(group.customers);
    group.average_recency_days = static_cast<double>(sums.recency) / n;
    group.average_frequency = static_cast<double>(sums.frequency) / n;
    group.average_monetary = MicrosToDouble(group.revenue) / n;
  };
  for (std::size_t i = 0; i < summary.tiers.size(); ++i) finish(summary.tiers[i], tier_sums[i]);
  for (std::size_t i = 0; i < summary.segments.size(); ++i) {
    finish(summary.segments[i], segment_sums[i]);
  }
  return summary;
}

absl::StatusOr<CustomerOrder> ParseCustomerOrder(std::string_view text) {
  const std::string lowered = absl::AsciiStrToLower(std::string(text));
  // AIP-132 allows a comma-separated list; one key is all this list sorts by.
  if (lowered.find(',') != std::string::npos) {
    return absl::InvalidArgumentError(
        "order_by: one field only (a list such as \"monetary desc, frequency\" is not "
        "supported); use \"<field> [asc|desc]\"");
  }
  std::vector<std::string> words = absl::StrSplit(lowered, ' ', absl::SkipWhitespace());
  if (words.empty()) return CustomerOrder{};
  const std::string& field = words[0];
  CustomerOrder order;
  if (field == "monetary") {
    order.key = CustomerSortKey::kMonetary;
  } else if (field == "frequency") {
    order.key = CustomerSortKey::kFrequency;
  } else if (field == "recency_days") {
    order.key = CustomerSortKey::kRecencyDays;
  } else if (field == "lifetime_revenue") {
    order.key = CustomerSortKey::kLifetimeRevenue;
  } else if (field == "lifetime_profit") {
    order.key = CustomerSortKey::kLifetimeProfit;
  } else if (field == "last_order_date") {
    order.key = CustomerSortKey::kLastOrderDate;
  } else if (field == "customer_id") {
    order.key = CustomerSortKey::kCustomerId;
  } else {
    return absl::InvalidArgumentError(
        "order_by: unknown field; use one of monetary, frequency, recency_days, "
        "lifetime_revenue, lifetime_profit, last_order_date, customer_id");
  }
  order.descending = false;
  if (words.size() == 2 && (words[1] == "asc" || words[1] == "desc")) {
    order.descending = words[1] == "desc";
  } else if (words.size() != 1) {
    return absl::InvalidArgumentError("order_by: expected \"<field> [asc|desc]\"");
  }
  return order;
}

namespace {

std::int64_t SortValue(const CustomerRfm& rfm, CustomerSortKey key) {
  switch (key) {
    case CustomerSortKey::kMonetary:
      return rfm.monetary;
    case CustomerSortKey::kFrequency:
      return rfm.frequency;
    case CustomerSortKey::kRecencyDays:
      return rfm.recency_days;
    case CustomerSortKey::kLifetimeRevenue:
      return rfm.lifetime_revenue;
    case CustomerSortKey::kLifetimeProfit:
      return rfm.lifetime_profit;
    case CustomerSortKey::kLastOrderDate:
      return rfm.last_order;
    case CustomerSortKey::kCustomerId:
      return 0;
  }
  return 0;
}

}  // namespace

CustomerPage SelectCustomers(const ScoredCustomers& scored, const CustomerSelection& selection) {
  // Sorts (sort value, index) pairs, and only as far as the page's end: a
  // list of 100,000 scored customers is cut to one page per call, so
  // ordering all of them, or comparing through the (large, scattered)
  // records, would be the most expensive part of the call. The order is
  // total (ties go to the unique customer_id, i.e. the list's order), so the
  // page is exactly that of a full sort. Only the page's customers are
  // copied.
  const ScoredCustomerList& all = scored.customers;
  const CustomerOrder order = selection.order;
  struct Keyed {
    std::int64_t value;
    std::uint32_t index;
  };
  std::vector<Keyed> matching;
  matching.reserve(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const ScoredCustomerRef c = all[i];
    if (!InTierAndSegment(c, selection.tier, selection.segment)) continue;
    matching.push_back({SortValue(c.rfm, order.key), static_cast<std::uint32_t>(i)});
  }
  // customer_id order is the list's order: compare positions, not text.
  const bool index_descending = order.key == CustomerSortKey::kCustomerId && order.descending;
  const auto before = [&](const Keyed& a, const Keyed& b) {
    if (a.value != b.value) return order.descending ? a.value > b.value : a.value < b.value;
    return index_descending ? a.index > b.index : a.index < b.index;
  };
  CustomerPage page;
  page.total_size = static_cast<std::int64_t>(matching.size());
  const auto begin = std::min<std::int64_t>(selection.offset, page.total_size);
  const auto end =
      std::min<std::int64_t>(begin + std::max<std::int64_t>(selection.limit, 0), page.total_size);
  std::partial_sort(matching.begin(), matching.begin() + end, matching.end(), before);
  page.customers.reserve(static_cast<std::size_t>(end - begin));
  for (std::int64_t i = begin; i < end; ++i) {
    page.customers.push_back(all[matching[static_cast<std::size_t>(i)].index].Copy());
  }
  page.has_more = end < page.total_size;
  return page;
}

absl::StatusOr<CustomerDetail> FindCustomer(QueryEngine& engine, const RfmQuery& query,
                                            std::string_view customer_id) {
  absl::StatusOr<ScoredCustomers> scored = ScoreAllCustomers(engine, query);
  if (!scored.ok()) return scored.status();
  // The list is ordered by customer_id: binary search.
  const ScoredCustomerList& customers = scored->customers;
  std::size_t low = 0;
  std::size_t high = customers.size();
  while (low < high) {
    const std::size_t middle = low + (high - low) / 2;
    if (customers[middle].rfm.customer_id < customer_id) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (low == customers.size() || customers[low].rfm.customer_id != customer_id) {
    return absl::NotFoundError(
        absl::StrCat("customer \"", std::string(customer_id), "\" not found"));
  }
  CustomerDetail detail;
  detail.customer = customers[low].Copy();
  detail.as_of = *scored->as_of;
  Filter own_lines = query.filter;
  own_lines.customer_ids = {std::string(customer_id)};
  absl::StatusOr<BreakdownReport> categories = BuildBreakdownReport(
      engine, own_lines, {.dimension = Dimension::kCategory, .order_by = Measure::kRevenue});
  if (!categories.ok()) return categories.status();
  detail.categories = *std::move(categories);
  return detail;
}

}  // namespace analytics
