// LineTable and StagedWrite directly: the row order the scans rely on, the
// upsert counts, the rows a write reports as changed, the spread-order
// flags, the derived indexes, and the limits Apply refuses to cross. (The
// differential test compares whole answers with SQL; these pin the table's
// own invariants.)
#include "query/columnar/line_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/civil_day.h"
#include "common/line_batch.h"
#include "support/sample_lines.h"

namespace analytics::columnar {
namespace {

using testing::SampleLine;
using testing::SampleLines;

// One row as text, in the table's row order.
struct Row {
  std::string key;
  std::string order;
  bool spread;
  Day day;
  std::string customer;
  std::string name;
  std::string region;
  Micros sales;

  friend bool operator==(const Row&, const Row&) = default;
};

std::vector<Row> Rows(const LineTable& table) {
  const Columns& c = table.columns();
  const Dictionaries& d = table.dictionaries();
  const std::size_t region = DimIndex(Dimension::kRegion);
  std::vector<Row> rows;
  for (std::size_t r = 0; r < c.size(); ++r) {
    rows.push_back(Row{.key = std::string(d.keys.Get(c.line[r])),
                       .order = std::string(d.orders.Get(c.order[r] & kOrderIdMask)),
                       .spread = (c.order[r] & kSpreadOrder) != 0,
                       .day = c.day[r],
                       .customer = std::string(d.customers.Get(c.customer[r])),
                       .name = std::string(d.names.Get(c.name[r])),
                       .region = std::string(d.dims[region].Get(c.dims[region][r])),
                       .sales = c.sales[r]});
  }
  return rows;
}

std::vector<std::string> Keys(const LineTable& table) {
  std::vector<std::string> keys;
  for (const Row& row : Rows(table)) keys.push_back(row.key);
  return keys;
}

absl::StatusOr<std::int64_t> Write(LineTable& table, const std::vector<OrderLine>& lines,
                                   bool replace = false, WriteChanges* changes = nullptr) {
  StagedWrite staged(replace);
  for (const OrderLine& line : lines) staged.Add(line);
  return table.Apply(staged, changes);
}

Day D(const char* iso) { return *ParseIsoDay(iso); }

OrderLine Line(const std::string& key, const std::string& order, const char* date,
               const std::string& customer, const char* sales = "1") {
  return SampleLine(key, order, date, customer, "Name " + customer, "East", "Technology", sales,
                    "0", 1);
}

TEST(LineTableTest, RowsAreSortedByDayThenCustomerThenKey) {
  LineTable table;
  // Written out of order. Within a day rows follow customer ids (dense, in
  // order of first appearance: C1 first, by k3), then key text.
  ASSERT_TRUE(
      Write(table, {Line("k3", "O3", "2024-01-02", "C1"), Line("k1", "O1", "2024-01-01", "C9"),
                    Line("k5", "O4", "2024-01-01", "C1"), Line("k2", "O1", "2024-01-01", "C9"),
                    Line("k4", "O4", "2024-01-01", "C1")})
          .ok());
  EXPECT_EQ(Keys(table), (std::vector<std::string>{"k4", "k5", "k1", "k2", "k3"}));
  const std::vector<Row> rows = Rows(table);
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(),
                             [](const Row& a, const Row& b) { return a.day < b.day; }));
}

TEST(LineTableTest, ApplyCountsNewKeysAndReplacesExistingOnes) {
  LineTable table;
  ASSERT_EQ(*Write(table, SampleLines(), /*replace=*/true), 5);
  // L3 again with other values, and one new key.
  std::vector<OrderLine> second = {
      SampleLine("L3", "O2", "2024-02-01", "C2", "Bob", "North", "Technology", "7", "1", 1),
      SampleLine("L6", "O5", "2024-02-02", "C2", "Bob", "West", "Technology", "8", "1", 1)};
  EXPECT_EQ(*Write(table, second), 1);
  const std::vector<Row> rows = Rows(table);
  ASSERT_EQ(rows.size(), 6u);
  const auto l3 =
      std::find_if(rows.begin(), rows.end(), [](const Row& r) { return r.key == "L3"; });
  ASSERT_NE(l3, rows.end());
  EXPECT_EQ(l3->region, "North");
  EXPECT_EQ(l3->sales, 7'000'000);
}

TEST(LineTableTest, WithinOneWriteTheLastLineOfAKeyWins) {
  for (const bool replace : {true, false}) {
    SCOPED_TRACE(replace ? "replace" : "upsert");
    LineTable table;
    EXPECT_EQ(*Write(table,
                     {Line("k", "O1", "2024-01-01", "C1", "1"),
                      Line("other", "O2", "2024-01-01", "C2", "2"),
                      Line("k", "O1", "2024-01-03", "C1", "3")},
                     replace),
              2);
    const std::vector<Row> rows = Rows(table);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1].key, "k");
    EXPECT_EQ(rows[1].day, D("2024-01-03"));
    EXPECT_EQ(rows[1].sales, 3'000'000);
  }
}

TEST(LineTableTest, AReplacingWriteDropsEverythingElse) {
  LineTable table;
  ASSERT_TRUE(Write(table, SampleLines(), /*replace=*/true).ok());
  EXPECT_EQ(*Write(table, {Line("new", "O9", "2024-05-01", "C9")}, /*replace=*/true), 1);
  EXPECT_EQ(Keys(table), std::vector<std::string>{"new"});
  EXPECT_EQ(table.dictionaries().customers.size(), 1u);
  EXPECT_EQ(table.customers_by_id().size(), 1u);
}

TEST(LineTableTest, AnUpsertReportsTheRowsItRemovedAndAdded) {
  LineTable table;
  ASSERT_TRUE(Write(table, SampleLines(), /*replace=*/true).ok());
  WriteChanges changes;
  ASSERT_TRUE(
      Write(table,
            {SampleLine("L5", "O4", "2024-03-15", "C3", "Cy", "East", "Furniture", "1", "0", 1),
             SampleLine("L7", "O6", "2024-03-16", "C4", "Di", "West", "Furniture", "2", "0", 5)},
            /*replace=*/false, &changes)
          .ok());
  const Dictionaries& d = table.dictionaries();
  const std::size_t region = DimIndex(Dimension::kRegion);
  ASSERT_EQ(changes.removed.size(), 1u);  // L5 as it was
  EXPECT_EQ(d.customers.Get(changes.removed[0].customer), "C3");
  EXPECT_EQ(d.orders.Get(changes.removed[0].order), "O4");
  EXPECT_EQ(d.dims[region].Get(changes.removed[0].dims[region]), "West");
  EXPECT_EQ(changes.removed[0].sales, 300'000'000);
  EXPECT_EQ(changes.removed[0].quantity, 4);
  ASSERT_EQ(changes.added.size(), 2u);  // in row order
  EXPECT_EQ(d.customers.Get(changes.added[0].customer), "C3");
  EXPECT_EQ(d.dims[region].Get(changes.added[0].dims[region]), "East");
  EXPECT_EQ(changes.added[0].sales, 1'000'000);
  EXPECT_EQ(d.customers.Get(changes.added[1].customer), "C4");
  EXPECT_EQ(changes.added[1].quantity, 5);
}

TEST(LineTableTest, OnlyOrdersSpreadOverDaysOrCustomersAreFlagged) {
  LineTable table;
  ASSERT_TRUE(Write(table,
                    {Line("a1", "A", "2024-01-01", "C1"), Line("a2", "A", "2024-01-01", "C1"),
                     Line("b1", "B", "2024-01-01", "C2"), Line("b2", "B", "2024-01-02", "C2"),
                     Line("c1", "C", "2024-01-03", "C3"), Line("c2", "C", "2024-01-03", "C4")},
                    /*replace=*/true)
                  .ok());
  for (const Row& row : Rows(table)) {
    SCOPED_TRACE(row.key);
    EXPECT_EQ(row.spread, row.order != "A");
  }
  const Dictionaries& d = table.dictionaries();
  const std::vector<std::uint32_t>& owners = table.order_customer();
  EXPECT_EQ(d.customers.Get(owners[*d.orders.Find("A")]), "C1");
  EXPECT_EQ(d.customers.Get(owners[*d.orders.Find("B")]), "C2");
  EXPECT_EQ(owners[*d.orders.Find("C")], kSeveralCustomers);
}

TEST(LineTableTest, AnOrderThatALaterWriteSpreadsIsFlaggedOnItsEarlierRowsToo) {
  LineTable table;
  // Enough earlier days that the second write merges from a later row.
  std::vector<OrderLine> first;
  for (int day = 1; day <= 9; ++day) {
    first.push_back(Line(absl::StrCat("x", day), absl::StrCat("X", day),
                         absl::StrCat("2024-01-0", day).c_str(), "C0"));
  }
  first.push_back(Line("a1", "A", "2024-01-05", "C1"));
  ASSERT_TRUE(Write(table, first, /*replace=*/true).ok());
  for (const Row& row : Rows(table)) EXPECT_FALSE(row.spread) << row.key;
  // A line of order A on a later day: A's row on 2024-01-05 lies before
  // the first row the write merges again.
  ASSERT_TRUE(Write(table, {Line("a2", "A", "2024-01-08", "C1")}).ok());
  for (const Row& row : Rows(table)) {
    SCOPED_TRACE(row.key);
    EXPECT_EQ(row.spread, row.order == "A");
  }
}

TEST(LineTableTest, CustomersByIdStayInTextOrderAcrossWrites) {
  LineTable table;
  ASSERT_TRUE(Write(table, {Line("1", "O1", "2024-01-01", "M"), Line("2", "O2", "2024-01-01", "B")},
                    /*replace=*/true)
                  .ok());
  ASSERT_TRUE(
      Write(table, {Line("3", "O3", "2024-01-02", "Z"), Line("4", "O4", "2024-01-02", "A")}).ok());
  std::vector<std::string> ids;
  for (const std::uint32_t id : table.customers_by_id()) {
    ids.emplace_back(table.dictionaries().customers.Get(id));
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"A", "B", "M", "Z"}));
}

TEST(LineTableTest, BatchesStageLikeSingleLines) {
  // The batch path skips lookups for values repeated from the line before
  // (each column's last value): the same table must come out.
  std::vector<OrderLine> lines;
  for (int i = 0; i < 300; ++i) {
    lines.push_back(SampleLine(absl::StrCat("k", i), absl::StrCat("O", i / 3), "2024-02-01",
                               absl::StrCat("C", i / 7), absl::StrCat("N", i / 7),
                               i % 5 == 0 ? "West" : "East", i % 2 == 0 ? "Furniture" : "Toys",
                               absl::StrCat(i), "0", 1));
  }
  for (const bool replace : {true, false}) {
    SCOPED_TRACE(replace ? "replace" : "upsert");
    LineTable by_line;
    ASSERT_TRUE(Write(by_line, lines, replace).ok());
    LineBatch batch;
    for (const OrderLine& line : lines) batch.Add(line);
    StagedWrite staged(replace);
    staged.AddBatch(batch);
    LineTable by_batch;
    ASSERT_TRUE(by_batch.Apply(staged).ok());
    EXPECT_EQ(Rows(by_batch), Rows(by_line));
  }
}

TEST(LineTableTest, TooManyValuesOfADimensionFailWithoutChangingTheTable) {
  LineTable table;
  ASSERT_TRUE(Write(table, SampleLines(), /*replace=*/true).ok());
  const std::vector<Row> before = Rows(table);
  std::vector<OrderLine> lines;
  for (std::uint32_t i = 0; i <= kMaxDimValues; ++i) {
    OrderLine line = Line(absl::StrCat("r", i), "O", "2024-04-01", "C");
    line.region = absl::StrCat("Region ", i);
    lines.push_back(std::move(line));
  }
  const absl::StatusOr<std::int64_t> result = Write(table, lines);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Rows(table), before);
}

TEST(LineTableTest, SumsFitUntilAmountsCouldOverflow) {
  LineTable table;
  ASSERT_TRUE(Write(table, SampleLines(), /*replace=*/true).ok());
  EXPECT_TRUE(table.SumsFit());
  OrderLine huge = Line("huge", "OH", "2024-04-01", "C1");
  huge.sales = std::numeric_limits<Micros>::max() - 1;
  ASSERT_TRUE(Write(table, {huge}).ok());
  EXPECT_FALSE(table.SumsFit());
  // Replacing the line with a small amount brings the sums back in range.
  ASSERT_TRUE(Write(table, {Line("huge", "OH", "2024-04-01", "C1")}).ok());
  EXPECT_TRUE(table.SumsFit());
}

TEST(LineTableDeathTest, CustomerIsNotADictionaryCodedDimension) {
  EXPECT_DEATH(DimIndex(Dimension::kCustomer), "precondition failed");
}

}  // namespace
}  // namespace analytics::columnar
