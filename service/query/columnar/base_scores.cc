#include "query/columnar/base_scores.h"

#include <utility>

#include "query/columnar/row_filter.h"

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

std::vector<CustomerAcc> AccumulateFromBase(const LineTable& table, const ScoreBase& base,
                                            const Filter& filter, std::uint32_t parallel_min_rows) {
  const std::vector<DimTest> tests = DimTests(table, filter);
  const std::uint32_t customers = table.dictionaries().customers.size();
  enum : std::uint8_t { kOut = 0, kPartial = 1, kWhole = 2 };
  std::vector<std::uint8_t> kind(customers, kOut);
  std::size_t partial = 0;
  for (std::uint32_t c = 0; c < customers; ++c) {
    if (!base.acc[c].seen) continue;
    const DimMasks& masks = base.masks[c];
    std::uint8_t k = kWhole;
    for (const DimTest& test : tests) {
      const std::uint64_t bits = masks.bits[test.dim];
      if ((bits & test.pass) == 0) {
        k = kOut;
        break;
      }
      if (!test.exact || (bits & ~test.pass) != 0) k = kPartial;
    }
    kind[c] = k;
    partial += k == kPartial;
  }
  std::vector<CustomerAcc> acc;
  if (partial > 0) {
    // The partially kept customers' matching rows, scanned as any filter's.
    RowFilter rows(table, filter);
    std::vector<std::uint8_t> scan_customer(customers, 0);
    for (std::uint32_t c = 0; c < customers; ++c) scan_customer[c] = kind[c] == kPartial;
    rows.RestrictCustomers(std::move(scan_customer));
    acc = AccumulateCustomers(table, rows, base.as_of, parallel_min_rows);
  } else {
    acc.resize(customers);
  }
  for (std::uint32_t c = 0; c < customers; ++c) {
    if (kind[c] == kWhole) acc[c] = base.acc[c];
  }
  return acc;
}

}  // namespace analytics::columnar
