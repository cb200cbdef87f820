#include "import/row_id_set.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace analytics {
namespace {

TEST(RowIdSetTest, ReportsTheFirstLineOfARepeatedId) {
  RowIdSet ids;
  EXPECT_EQ(ids.Insert("17", 2), std::nullopt);
  EXPECT_EQ(ids.Insert("18", 3), std::nullopt);
  EXPECT_EQ(ids.Insert("17", 9), 2);
  EXPECT_EQ(ids.Insert("17", 12), 2) << "the first line stays the reference";
  EXPECT_EQ(ids.size(), 2u);
}

TEST(RowIdSetTest, ComparesWholeIdsExactly) {
  RowIdSet ids;
  const std::string with_nul("a\0b", 3);
  EXPECT_EQ(ids.Insert("", 1), std::nullopt);
  EXPECT_EQ(ids.Insert("a", 2), std::nullopt);
  EXPECT_EQ(ids.Insert(with_nul, 3), std::nullopt);
  EXPECT_EQ(ids.Insert("ab", 4), std::nullopt);
  EXPECT_EQ(ids.Insert("A", 5), std::nullopt);
  EXPECT_EQ(ids.Insert(std::string("a\0b", 3), 6), 3);
  EXPECT_EQ(ids.Insert("", 7), 1);
}

TEST(RowIdSetTest, StaysExactAcrossGrowth) {
  RowIdSet ids;
  for (int i = 0; i < 200'000; ++i) {
    ASSERT_EQ(ids.Insert(absl::StrCat("row-", i), i + 2), std::nullopt) << i;
  }
  for (int i = 0; i < 200'000; i += 997) {
    EXPECT_EQ(ids.Insert(absl::StrCat("row-", i), 1'000'000), i + 2);
  }
  EXPECT_EQ(ids.Insert(std::string(1 << 20, 'x'), 5), std::nullopt);
  EXPECT_EQ(ids.Insert(std::string(1 << 20, 'x'), 6), 5);
  EXPECT_EQ(ids.size(), 200'001u);
}

}  // namespace
}  // namespace analytics
