#include "query/columnar/base_scores.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "query/columnar/row_filter.h"
#include "query/columnar/scan.h"

namespace analytics::columnar {
namespace {

// One restricted dimension: the bits of the listed values that occur, and
// whether the masks are exact for it (at most 64 values).
struct DimTest {
  std::size_t dim;
  std::uint64_t pass;
  bool exact;
};

std::vector<DimTest> DimTests(const LineTable& table, const Filter& filter) {
  const Dictionaries& d = table.dictionaries();
  const std::pair<Dimension, const std::vector<std::string>*> lists[] = {
      {Dimension::kRegion, &filter.regions},
      {Dimension::kCategory, &filter.categories},
      {Dimension::kSubCategory, &filter.sub_categories},
      {Dimension::kSegment, &filter.segments},
      {Dimension::kState, &filter.states},
  };
  std::vector<DimTest> tests;
  for (const auto& [dimension, values] : lists) {
    if (values->empty()) continue;
    const std::size_t dim = DimIndex(dimension);
    DimTest test{.dim = dim, .pass = 0, .exact = d.dims[dim].size() <= 64};
    for (const std::string& value : *values) {
      if (std::optional<std::uint32_t> id = d.dims[dim].Find(value)) {
        test.pass |= std::uint64_t{1} << (*id & 63);
      }
    }
    tests.push_back(test);
  }
  return tests;
}

}  // namespace

bool BaseCanServe(const LineTable& table, const Filter& filter) {
  if (!filter.customer_ids.empty()) return false;
  const auto& days = table.columns().day;
  if (days.empty()) return !filter.start && !filter.end;
  return (!filter.start || *filter.start <= days.front()) &&
         (!filter.end || *filter.end >= days.back());
}

BaseScored AccumulateFromBase(const LineTable& table, const ScoreBase& base, const Filter& filter,
                              std::uint32_t parallel_min_rows) {
  const std::vector<DimTest> tests = DimTests(table, filter);
  const std::uint32_t customers = table.dictionaries().customers.size();
  const std::size_t split_dim = DimIndex(kSplitDimension);
  // Per customer id, where its accumulator comes from: kOut, kWhole,
  // kPartial, or kSplit + v for by_value[v].
  enum : std::uint8_t { kOut = 0, kWhole = 1, kPartial = 2, kSplit = 3 };
  static_assert(kSplit + kMaxSplitValues <= 255);
  std::vector<std::uint8_t> kind(customers, kOut);
  std::vector<std::uint32_t> partial_ids;  // ascending
  for (std::uint32_t c = 0; c < customers; ++c) {
    const DimMasks& masks = base.masks[c];
    std::uint8_t k = kWhole;
    for (const DimTest& test : tests) {
      const std::uint64_t bits = masks.bits[test.dim];
      const std::uint64_t hit = bits & test.pass;
      if (hit == 0) {
        k = kOut;
        break;
      }
      if (test.exact && (bits & ~test.pass) == 0) continue;  // all its lines pass
      // Exact masks: the bit is the value id. One passing value of the
      // split dimension: that value's lines are the matching ones.
      const auto value = static_cast<std::uint32_t>(std::countr_zero(hit));
      if (test.dim == split_dim && test.exact && std::has_single_bit(hit) &&
          value < base.by_value.size() && k != kPartial) {
        k = static_cast<std::uint8_t>(kSplit + value);
      } else {
        k = kPartial;
      }
    }
    kind[c] = k;
    if (k == kPartial) partial_ids.push_back(c);
  }
  BaseScored result;
  if (!partial_ids.empty() && partial_ids.size() * 16 <= customers) {
    // A few: their rows picked out of the customer column.
    result.few = AccumulateFewCustomers(table, RowFilter(table, filter), partial_ids, base.as_of);
    result.few_ids = std::move(partial_ids);
  } else if (!partial_ids.empty()) {
    // The partially kept customers' matching rows, scanned as any filter's.
    std::vector<std::uint8_t> scan_customer(customers, 0);
    for (const std::uint32_t c : partial_ids) scan_customer[c] = 1;
    RowFilter rows(table, filter);
    rows.RestrictCustomers(std::move(scan_customer));
    result.scanned = AccumulateCustomers(table, rows, base.as_of, parallel_min_rows);
  }
  const auto partial_acc = [&](std::uint32_t c) -> const CustomerAcc* {
    if (!result.scanned.empty()) return &result.scanned[c];
    const auto slot = std::lower_bound(result.few_ids.begin(), result.few_ids.end(), c);
    return &result.few[static_cast<std::size_t>(slot - result.few_ids.begin())];
  };
  ScoredAccs& scored = result.scored;
  // customer_id order is not id order: each kept accumulator is a cache
  // miss unless fetched a few customers ahead.
  const std::vector<std::uint32_t>& by_id = table.customers_by_id();
  const auto kept_acc = [&](std::uint8_t k, std::uint32_t c) {
    return k == kWhole ? &base.acc[c] : &base.by_value[k - kSplit][c];
  };
  for (std::size_t i = 0; i < by_id.size(); ++i) {
    if (i + kPrefetchRows < by_id.size()) {
      const std::uint32_t ahead = by_id[i + kPrefetchRows];
      const std::uint8_t k_ahead = kind[ahead];
      if (k_ahead != kOut && k_ahead != kPartial) __builtin_prefetch(kept_acc(k_ahead, ahead));
    }
    const std::uint32_t c = by_id[i];
    const std::uint8_t k = kind[c];
    if (k == kOut) continue;
    const CustomerAcc* acc = k == kPartial ? partial_acc(c) : kept_acc(k, c);
    if (!acc->scored) continue;
    scored.customers.push_back(c);
    scored.acc.push_back(acc);
  }
  return result;
}

}  // namespace analytics::columnar
