#include "import/row_id_set.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace analytics {
namespace {

TEST(RowIdSetTest, ReportsEveryRepeatWithTheFirstLine) {
  RowIdSet ids;
  ids.Add("17", 2, 0);
  ids.Add("18", 3, 1);
  ids.Add("17", 9, 2);
  ids.Add("17", 12, 3);
  const RowIdSet::Repeats repeats = ids.FindRepeats(10);
  EXPECT_EQ(repeats.tags, (std::vector<std::int64_t>{2, 3}));
  ASSERT_EQ(repeats.first.size(), 2u);
  EXPECT_EQ(repeats.first[0].line, 9);
  EXPECT_EQ(repeats.first[0].first_line, 2);
  EXPECT_EQ(repeats.first[0].id, "17");
  EXPECT_EQ(repeats.first[1].line, 12);
  EXPECT_EQ(repeats.first[1].first_line, 2) << "the first line stays the reference";
}

TEST(RowIdSetTest, ComparesWholeIdsExactly) {
  RowIdSet ids;
  const std::string with_nul("a\0b", 3);
  ids.Add("", 1, 0);
  ids.Add("a", 2, 1);
  ids.Add(with_nul, 3, 2);
  ids.Add("ab", 4, 3);
  ids.Add("A", 5, 4);
  ids.Add(std::string("a\0b", 3), 6, 5);
  ids.Add("", 7, 6);
  const RowIdSet::Repeats repeats = ids.FindRepeats(10);
  EXPECT_EQ(repeats.tags, (std::vector<std::int64_t>{5, 6}));
  ASSERT_EQ(repeats.first.size(), 2u);
  EXPECT_EQ(repeats.first[0].first_line, 3);
  EXPECT_EQ(repeats.first[1].first_line, 1);
}

TEST(RowIdSetTest, StaysExactAtScaleAndReportsOnlyTheFirstRepeats) {
  RowIdSet ids;
  std::int64_t tag = 0;
  for (int i = 0; i < 200'000; ++i) ids.Add(absl::StrCat("row-", i), i + 2, tag++);
  std::vector<std::int64_t> expected;
  for (int i = 0; i < 200'000; i += 997) {
    expected.push_back(tag);
    ids.Add(absl::StrCat("row-", i), 1'000'000 + i, tag++);
  }
  ids.Add(std::string(1 << 20, 'x'), 2'000'000, tag++);
  expected.push_back(tag);
  ids.Add(std::string(1 << 20, 'x'), 2'000'001, tag++);
  const RowIdSet::Repeats repeats = ids.FindRepeats(3);
  EXPECT_EQ(repeats.tags, expected);
  ASSERT_EQ(repeats.first.size(), 3u);
  EXPECT_EQ(repeats.first[0].line, 1'000'000);
  EXPECT_EQ(repeats.first[0].first_line, 2);
  EXPECT_EQ(repeats.first[2].line, 1'000'000 + 2 * 997);
  EXPECT_EQ(repeats.first[2].first_line, 2 * 997 + 2);
}

// Many IDs sharing one hash are sorted by text rather than compared in
// pairs; the answer is the same.
TEST(RowIdSetTest, AManyWayHashCollisionIsStillExact) {
  // Different texts with one hash are hard to make for a test; equal texts
  // make long runs of one hash just the same.
  RowIdSet ids;
  std::int64_t tag = 0;
  for (int i = 0; i < 50; ++i) ids.Add("same", i + 1, tag++);
  ids.Add("other", 100, tag++);
  const RowIdSet::Repeats repeats = ids.FindRepeats(100);
  ASSERT_EQ(repeats.tags.size(), 49u);
  EXPECT_EQ(repeats.tags.front(), 1);
  for (const RowIdSet::Repeat& repeat : repeats.first) EXPECT_EQ(repeat.first_line, 1);
}

}  // namespace
}  // namespace analytics
