#include "query/columnar/row_filter.h"

namespace analytics::columnar {
namespace {

// A byte per code of `dictionary`: 1 for the listed values that occur.
// Returns false when none occurs (the filter then matches nothing).
bool PassTable(const StringDictionary& dictionary, const std::vector<std::string>& values,
               std::vector<std::uint8_t>& pass) {
  pass.assign(dictionary.size(), 0);
  bool any = false;
  for (const std::string& value : values) {
    if (std::optional<std::uint32_t> id = dictionary.Find(value)) {
      pass[*id] = 1;
      any = true;
    }
  }
  return any;
}

}  // namespace

RowFilter::RowFilter(const LineTable& table, const Filter& filter) {
  const Columns& columns = table.columns();
  customer_column_ = columns.customer.data();
  const auto& days = columns.day;
  begin_ = 0;
  end_ = static_cast<std::uint32_t>(days.size());
  if (filter.start) {
    begin_ = static_cast<std::uint32_t>(std::lower_bound(days.begin(), days.end(), *filter.start) -
                                        days.begin());
  }
  if (filter.end) {
    end_ = static_cast<std::uint32_t>(std::upper_bound(days.begin(), days.end(), *filter.end) -
                                      days.begin());
  }
  const Dictionaries& dictionaries = table.dictionaries();
  const std::pair<Dimension, const std::vector<std::string>*> lists[] = {
      {Dimension::kRegion, &filter.regions},
      {Dimension::kCategory, &filter.categories},
      {Dimension::kSubCategory, &filter.sub_categories},
      {Dimension::kSegment, &filter.segments},
      {Dimension::kState, &filter.states},
  };
  for (const auto& [dimension, values] : lists) {
    if (values->empty()) continue;
    const std::size_t index = DimIndex(dimension);
    Test16 test{.column = columns.dims[index].data(), .pass = {}};
    if (!PassTable(dictionaries.dims[index], *values, test.pass)) end_ = begin_;
    tests16_.push_back(std::move(test));
  }
  if (!filter.customer_ids.empty()) {
    customer_test_.column = columns.customer.data();
    if (!PassTable(dictionaries.customers, filter.customer_ids, customer_test_.pass)) {
      end_ = begin_;
    }
  }
}

void RowFilter::RestrictCustomers(std::vector<std::uint8_t> customer_pass) {
  COLUMNAR_EXPECT(customer_test_.column == nullptr);
  customer_test_.column = customer_column_;
  customer_test_.pass = std::move(customer_pass);
}

std::uint32_t RowFilter::Select(std::uint32_t block, std::uint32_t block_end,
                                std::uint32_t* out) const {
  // The first test fills the vector from the block's rows; each further
  // one compacts it. Every row is written, and the count advances on a pass.
  const auto fill = [&](const auto& test) {
    std::uint32_t count = 0;
    for (std::uint32_t row = block; row < block_end; ++row) {
      out[count] = row;
      count += test.pass[test.column[row]];
    }
    return count;
  };
  const auto compact = [&](const auto& test, std::uint32_t count) {
    std::uint32_t kept = 0;
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint32_t row = out[i];
      out[kept] = row;
      kept += test.pass[test.column[row]];
    }
    return kept;
  };
  if (tests16_.empty()) return fill(customer_test_);
  std::uint32_t count = fill(tests16_[0]);
  for (std::size_t next_test = 1; next_test < tests16_.size(); ++next_test) {
    count = compact(tests16_[next_test], count);
  }
  if (customer_test_.column != nullptr) count = compact(customer_test_, count);
  return count;
}

}  // namespace analytics::columnar
