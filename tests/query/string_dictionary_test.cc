// StringDictionary directly: dense ids in order of first appearance, lookups,
// the bulk path for a load's keys (append, then index at once, or find the
// repeats and deduplicate), and views that stay valid as the dictionary grows.
#include "query/columnar/string_dictionary.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"

namespace analytics::columnar {
namespace {

TEST(StringDictionaryTest, InternGivesDenseIdsInOrderOfFirstAppearance) {
  StringDictionary d;
  EXPECT_EQ(d.Intern("West"), 0u);
  EXPECT_EQ(d.Intern("East"), 1u);
  EXPECT_EQ(d.Intern("West"), 0u);
  EXPECT_EQ(d.Intern(""), 2u);
  EXPECT_EQ(d.Intern(StringDictionary::HashOf("East")), 1u);
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.Get(0), "West");
  EXPECT_EQ(d.Get(1), "East");
  EXPECT_EQ(d.Get(2), "");
}

TEST(StringDictionaryTest, FindDoesNotAdd) {
  StringDictionary d;
  d.Intern("a");
  EXPECT_EQ(d.Find("a"), 0u);
  EXPECT_EQ(d.Find("b"), std::nullopt);
  EXPECT_EQ(d.Find("A"), std::nullopt);  // exact bytes
  EXPECT_EQ(d.size(), 1u);
}

TEST(StringDictionaryTest, ViewsStayValidAsTheDictionaryGrows) {
  StringDictionary d;
  const std::string_view first = d.Get(d.Intern("the first value"));
  const std::string big(3 << 20, 'x');  // larger than an arena block
  const std::uint32_t big_id = d.Intern(big);
  for (int i = 0; i < 100'000; ++i) d.Intern(absl::StrCat("value ", i));
  EXPECT_EQ(d.Get(0).data(), first.data());
  EXPECT_EQ(first, "the first value");
  EXPECT_EQ(d.Get(big_id), big);
  EXPECT_EQ(d.Find("value 99999"), 100'001u);
}

TEST(StringDictionaryTest, AppendedUniqueValuesAreIndexedAtOnce) {
  StringDictionary d;
  d.Intern("before");
  d.Reserve(1000);
  for (int i = 0; i < 1000; ++i) d.AppendUnique(absl::StrCat("key", i));
  ASSERT_TRUE(d.IndexAppendedIfUnique());
  EXPECT_EQ(d.size(), 1001u);
  EXPECT_EQ(d.Find("key0"), 1u);
  EXPECT_EQ(d.Find("key999"), 1000u);
  EXPECT_EQ(d.Intern("key500"), 501u);  // found, not added
  EXPECT_EQ(d.Intern("after"), 1001u);
}

TEST(StringDictionaryTest, RepeatedAppendedValuesAreFoundAndDeduplicated) {
  StringDictionary d;
  for (const char* key : {"a", "b", "a", "c", "b"}) d.AppendUnique(key);
  EXPECT_FALSE(d.IndexAppendedIfUnique());
  std::vector<std::uint32_t> remap;
  d.Deduplicate(remap);
  EXPECT_EQ(remap, (std::vector<std::uint32_t>{0, 1, 0, 2, 1}));
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.Get(2), "c");
  EXPECT_EQ(d.Find("b"), 1u);
}

TEST(StringDictionaryTest, AnAppendedValueThatRepeatsAnIndexedOneIsARepeat) {
  StringDictionary d;
  d.Intern("a");
  d.AppendUnique("b");
  d.AppendUnique("a");
  EXPECT_FALSE(d.IndexAppendedIfUnique());
}

TEST(StringDictionaryTest, MemoryGrowsWithTheText) {
  StringDictionary d;
  const std::size_t empty = d.MemoryBytes();
  for (int i = 0; i < 10'000; ++i) d.Intern(absl::StrCat("a value of some length ", i));
  EXPECT_GT(d.MemoryBytes(), empty + 10'000 * 20);
}

TEST(StringDictionaryTest, SavedTextIsAppendedInPiecesAndIndexedWhenAsked) {
  StringDictionary d;
  ASSERT_EQ(d.Intern("before"), 0u);
  const std::string text = "alphabetagamma";
  ASSERT_TRUE(d.AppendUniqueText({5, 4, 0, 5}, text.size(), [&](char* into) {
    std::memcpy(into, text.data(), text.size());
    return true;
  }));
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d.Get(1), "alpha");
  EXPECT_EQ(d.Get(2), "beta");
  EXPECT_EQ(d.Get(3), "");
  EXPECT_EQ(d.Get(4), "gamma");
  EXPECT_EQ(d.Find("beta"), 2u);
  // Values interned later go to a block of their own: the loaded text stays.
  EXPECT_EQ(d.Intern("delta"), 5u);
  EXPECT_EQ(d.Get(4), "gamma");
  EXPECT_EQ(d.Get(5), "delta");
}

TEST(StringDictionaryTest, SavedTextThatDisagreesWithItsLengthsAppendsNothing) {
  StringDictionary d;
  bool read = false;
  EXPECT_FALSE(d.AppendUniqueText({5, 4}, 10, [&](char*) { return read = true; }));
  EXPECT_FALSE(read);  // refused before reading
  EXPECT_FALSE(d.AppendUniqueText({5, 4}, 9, [](char*) { return false; }));
  EXPECT_EQ(d.size(), 0u);
}

}  // namespace
}  // namespace analytics::columnar
