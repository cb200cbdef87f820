// RowFilter directly: a Filter compiled against a LineTable selects exactly
// the rows whose text matches it (checked row by row against the filter's
// own definition), in ascending row order, across block boundaries, with
// the date range as the row range.
#include "query/columnar/row_filter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/civil_day.h"
#include "query/columnar/line_table.h"
#include "support/sample_lines.h"

namespace analytics::columnar {
namespace {

using testing::SampleLine;

constexpr int kDays = 30;
constexpr int kLines = 9000;  // several blocks of rows

const char* const kRegions[] = {"East", "West", "Central", "South"};
const char* const kCategories[] = {"Furniture", "Technology", "Office Supplies"};

class RowFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StagedWrite staged(/*replace=*/true);
    for (int i = 0; i < kLines; ++i) {
      const Day day = first_day_ + (i * 7) % kDays;
      OrderLine line = SampleLine(absl::StrCat("k", i), absl::StrCat("O", i / 2), FormatIsoDay(day),
                                  absl::StrCat("C", (i * 13) % 101), "Name", kRegions[(i / 3) % 4],
                                  kCategories[(i * 5) % 3], "1", "0", 1);
      line.segment = i % 2 == 0 ? "Consumer" : "Corporate";
      staged.Add(line);
    }
    ASSERT_TRUE(table_.Apply(staged).ok());
  }

  // The filter's definition, on row `r`'s text.
  bool Expected(const Filter& filter, std::uint32_t r) const {
    const Columns& c = table_.columns();
    const Dictionaries& d = table_.dictionaries();
    const auto in = [](const std::vector<std::string>& list, std::string_view value) {
      return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
    };
    const auto dim = [&](Dimension dimension) {
      const std::size_t i = DimIndex(dimension);
      return d.dims[i].Get(c.dims[i][r]);
    };
    return (!filter.start || c.day[r] >= *filter.start) &&
           (!filter.end || c.day[r] <= *filter.end) &&
           in(filter.regions, dim(Dimension::kRegion)) &&
           in(filter.categories, dim(Dimension::kCategory)) &&
           in(filter.sub_categories, dim(Dimension::kSubCategory)) &&
           in(filter.segments, dim(Dimension::kSegment)) &&
           in(filter.states, dim(Dimension::kState)) &&
           in(filter.customer_ids, d.customers.Get(c.customer[r]));
  }

  std::vector<std::uint32_t> ExpectedRows(const Filter& filter, std::uint32_t lo = 0,
                                          std::uint32_t hi = kLines) const {
    std::vector<std::uint32_t> rows;
    for (std::uint32_t r = lo; r < hi; ++r) {
      if (Expected(filter, r)) rows.push_back(r);
    }
    return rows;
  }

  static std::vector<std::uint32_t> Selected(const RowFilter& rows, std::uint32_t lo = 0,
                                             std::uint32_t hi = kLines) {
    std::vector<std::uint32_t> selected;
    rows.ForEachBlockIn(lo, hi, [&](const auto& block) {
      for (std::uint32_t i = 0; i < block.size(); ++i) selected.push_back(block[i]);
    });
    return selected;
  }

  void ExpectSelects(const Filter& filter) {
    const RowFilter rows(table_, filter);
    const std::vector<std::uint32_t> expected = ExpectedRows(filter);
    EXPECT_EQ(Selected(rows), expected);
    for (std::uint32_t r = rows.begin(); r < rows.end(); ++r) {
      ASSERT_EQ(rows.Matches(r), Expected(filter, r)) << "row " << r;
    }
    if (rows.empty()) {
      EXPECT_TRUE(expected.empty());
    }
  }

  const Day first_day_ = *ParseIsoDay("2024-03-01");
  LineTable table_;
};

TEST_F(RowFilterTest, NoFilterSelectsEveryRowWithoutTests) {
  const RowFilter rows(table_, {});
  EXPECT_TRUE(rows.dates_only());
  EXPECT_EQ(rows.begin(), 0u);
  EXPECT_EQ(rows.end(), static_cast<std::uint32_t>(kLines));
  EXPECT_EQ(Selected(rows).size(), static_cast<std::size_t>(kLines));
}

TEST_F(RowFilterTest, ADateRangeIsTheRowRangeOfItsDays) {
  Filter filter;
  filter.start = first_day_ + 3;
  filter.end = first_day_ + 10;
  const RowFilter rows(table_, filter);
  EXPECT_TRUE(rows.dates_only());
  const std::vector<std::uint32_t> expected = ExpectedRows(filter);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(rows.begin(), expected.front());
  EXPECT_EQ(rows.end(), expected.back() + 1);
  EXPECT_EQ(Selected(rows), expected);
}

TEST_F(RowFilterTest, ListsSelectExactlyTheMatchingRows) {
  Filter regions;
  regions.regions = {"West", "South"};
  ExpectSelects(regions);

  Filter combined;
  combined.start = first_day_ + 5;
  combined.end = first_day_ + 20;
  combined.regions = {"East", "Central"};
  combined.categories = {"Technology"};
  combined.segments = {"Corporate"};
  ExpectSelects(combined);

  Filter customers;
  customers.customer_ids = {"C7", "C50", "C100"};
  ExpectSelects(customers);

  Filter customers_and_region;
  customers_and_region.customer_ids = {"C7", "C50"};
  customers_and_region.states = {"East State"};
  ExpectSelects(customers_and_region);
}

TEST_F(RowFilterTest, UnknownValuesAreIgnoredAndOnlyUnknownOnesMatchNothing) {
  Filter some_known;
  some_known.regions = {"Atlantis", "West"};
  ExpectSelects(some_known);
  EXPECT_FALSE(RowFilter(table_, some_known).empty());

  Filter none_known;
  none_known.regions = {"Atlantis"};
  const RowFilter rows(table_, none_known);
  EXPECT_TRUE(rows.empty());
  EXPECT_TRUE(Selected(rows).empty());

  Filter no_customer;
  no_customer.customer_ids = {"nobody"};
  EXPECT_TRUE(RowFilter(table_, no_customer).empty());
}

TEST_F(RowFilterTest, ADateRangeWithoutRowsIsEmpty) {
  Filter filter;
  filter.start = first_day_ + kDays + 1;
  EXPECT_TRUE(RowFilter(table_, filter).empty());
  filter.start = first_day_ + 5;
  filter.end = first_day_ + 4;
  EXPECT_TRUE(RowFilter(table_, filter).empty());
}

TEST_F(RowFilterTest, ARowWindowSelectsOnlyItsRows) {
  Filter filter;
  filter.categories = {"Furniture"};
  const RowFilter rows(table_, filter);
  // Windows that cut blocks in the middle, as the two halves of a scan do.
  for (const auto& [lo, hi] : {std::pair<std::uint32_t, std::uint32_t>{0, 3000},
                               {3000, 6001},
                               {2047, 2049},
                               {6001, kLines}}) {
    EXPECT_EQ(Selected(rows, lo, hi), ExpectedRows(filter, lo, hi)) << lo << ".." << hi;
  }
}

}  // namespace
}  // namespace analytics::columnar
