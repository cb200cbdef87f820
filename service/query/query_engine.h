// The query-engine interface: the aggregations every read RPC is built from.
//
// An engine answers a handful of primitive questions over the filtered order
// lines; everything that is policy rather than aggregation (previous periods,
// sorting and top-N, zero-filled trend buckets, tiers, segments, pagination)
// lives in reports/ and is shared by all engines. Two engines implementing this
// interface must return identical results, to the micro-unit: the SQL engine
// is the reference, faster engines are checked against it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/civil_day.h"
#include "common/filter.h"
#include "common/measures.h"
#include "query/columnar/huge_page_allocator.h"

namespace analytics {

enum class Dimension { kRegion, kCategory, kSubCategory, kSegment, kState, kShipMode, kCustomer };

struct GroupMeasures {
  std::string key;    // the dimension's value
  std::string label;  // display label: the customer's latest name, else the key
  Measures measures;
};

struct TrendPoint {
  Day bucket_start = 0;
  Micros revenue = 0;
  Micros profit = 0;
  std::int64_t orders = 0;
};

struct DateSpan {
  Day first = 0;
  Day last = 0;
};

// One customer's RFM values and scores as of a day D, plus lifetime figures.
// Scores follow the contract: score = 1 + floor(5 * W / N), N the number of
// scored customers, W those strictly worse (recency: more days; frequency and
// monetary: smaller values).
//
// The four texts are views into text that the CustomerRfmList holding the
// record keeps alive (an engine's dictionaries, say): building a list of
// many customers then copies no strings. A record outlives its list only as
// a ScoredCustomer (reports/customer_report.h), which holds the list too.
struct CustomerRfm {
  std::string_view customer_id;
  // From the customer's most recent filtered line (latest order date, then
  // greatest line key).
  std::string_view customer_name;
  std::string_view segment;
  std::string_view region;
  std::int64_t recency_days = 0;
  std::int64_t frequency = 0;
  Micros monetary = 0;
  int recency_score = 0;
  int frequency_score = 0;
  int monetary_score = 0;
  // Over every filtered line, D ignored.
  Micros lifetime_revenue = 0;
  Micros lifetime_profit = 0;
  std::int64_t lifetime_orders = 0;
  Day first_order = 0;
  Day last_order = 0;

  friend bool operator==(const CustomerRfm&, const CustomerRfm&) = default;
};

// Scored customers, shared and immutable: an engine may keep the list for
// later calls and hand out the same one, so a call copies no records (a
// record is over a hundred bytes, and fresh memory is slow to fault in). The
// pointer also owns the text the records' views point into
// (MakeCustomerRfmList). The records' memory is populated up front (see
// PopulatedAllocator) and may be recycled (MakeCustomerRfmList), so that
// scoring does not wait for page faults one page at a time.
using CustomerRfmRecords = std::vector<CustomerRfm, columnar::PopulatedAllocator<CustomerRfm>>;
using CustomerRfmList = std::shared_ptr<const CustomerRfmRecords>;

// A list of `records` that keeps `text` (whatever their views point into)
// alive as long as the list. When the last holder of the list lets go,
// `recycle` (if any) receives the records, so that their memory can serve
// the next list.
CustomerRfmList MakeCustomerRfmList(CustomerRfmRecords records, std::shared_ptr<const void> text,
                                    std::function<void(CustomerRfmRecords)> recycle = nullptr);

// Every filtered customer's purchase days, for models that need each
// customer's history (predictions, cohorts): per customer, in customer_id
// order, the distinct order days ascending, each with that day's sales
// summed (same-day orders merged). Compressed-row layout: customer i's days
// are days[offsets[i] .. offsets[i + 1]).
struct CustomerDayHistory {
  std::vector<std::string_view> customer_ids;  // views into `text`
  std::vector<std::uint32_t> offsets{0};       // customer_ids.size() + 1 entries
  std::vector<Day> days;
  std::vector<Micros> sales;
  std::shared_ptr<const void> text;  // owns what customer_ids point into

  std::size_t size() const { return customer_ids.size(); }
};
// Shared and immutable: an engine may hand out the same one until the next
// write, so its identity tells a caller the data did not change.
using CustomerDayList = std::shared_ptr<const CustomerDayHistory>;

class QueryEngine {
 public:
  virtual ~QueryEngine() = default;

  virtual absl::StatusOr<Measures> Totals(const Filter& filter) = 0;

  // One entry per distinct value present in the filtered lines, any order.
  virtual absl::StatusOr<std::vector<GroupMeasures>> Breakdown(const Filter& filter,
                                                               Dimension dimension) = 0;

  // Non-empty buckets only, ascending by bucket_start.
  virtual absl::StatusOr<std::vector<TrendPoint>> Trend(const Filter& filter,
                                                        Granularity granularity) = 0;

  // First and last order dates of the filtered lines; nullopt when none.
  virtual absl::StatusOr<std::optional<DateSpan>> Span(const Filter& filter) = 0;

  // Every customer with at least one filtered line on or before `as_of`,
  // scored among themselves, ordered by customer_id.
  virtual absl::StatusOr<CustomerRfmList> ScoreCustomers(const Filter& filter, Day as_of) = 0;

  // Every customer with a filtered line: their order days (see
  // CustomerDayHistory). The default asks Breakdown and one Trend per
  // customer; engines answer it in one pass.
  virtual absl::StatusOr<CustomerDayList> CustomerDays(const Filter& filter);

  // Runs `read` on a view of one committed state: no write is applied
  // between the calls `read` makes on `view`, so an answer built from
  // several primitives (a breakdown and its total, a profile and its
  // categories) always adds up. Each primitive alone is atomic anyway; the
  // view is what makes their combination so. Writes wait until `read`
  // returns, so it should only query and compute. Calling
  // ReadConsistently on the view runs `read` on the same view.
  virtual absl::Status ReadConsistently(
      const std::function<absl::Status(QueryEngine& view)>& read) = 0;
};

}  // namespace analytics
