// Default line keys: the compact fingerprint-based assigner produces exactly
// the keys of the rule it replaced (a map from the exact key prefix to its
// count), so stores filled by earlier versions keep matching on re-import.
#include "common/line_key.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace analytics {
namespace {

// The original implementation, kept as the reference.
class ReferenceAssigner {
 public:
  std::string NextKey(std::string_view order_id, std::string_view product_id) {
    std::string key = std::string(order_id) + "/" + std::string(product_id) + "/";
    const std::int64_t n = ++occurrences_[key];
    return key + std::to_string(n);
  }

 private:
  std::unordered_map<std::string, std::int64_t> occurrences_;
};

TEST(LineKeyAssigner, CountsOccurrencesOfOrderAndProduct) {
  LineKeyAssigner keys;
  EXPECT_EQ(keys.NextKey("O1", "P1"), "O1/P1/1");
  EXPECT_EQ(keys.NextKey("O1", "P2"), "O1/P2/1");
  EXPECT_EQ(keys.NextKey("O1", "P1"), "O1/P1/2");
  EXPECT_EQ(keys.NextKey("O1", "P1"), "O1/P1/3");
  EXPECT_EQ(keys.NextKey("O2", "P1"), "O2/P1/1");
  EXPECT_EQ(keys.NextKey("", ""), "//1");
  EXPECT_EQ(keys.NextKey("", ""), "//2");
}

TEST(LineKeyAssigner, PairsWithTheSamePrefixShareACountSoKeysStayDistinct) {
  // "A/B" + "C" and "A" + "B/C" both give the prefix "A/B/C/".
  LineKeyAssigner keys;
  EXPECT_EQ(keys.NextKey("A/B", "C"), "A/B/C/1");
  EXPECT_EQ(keys.NextKey("A", "B/C"), "A/B/C/2");
}

TEST(LineKeyAssigner, SameKeysAsTheExactRuleOnAMixedStream) {
  // Many distinct pairs, many repeats, ids with '/' and non-ASCII bytes, an
  // empty and a long one; with and without a size hint.
  std::mt19937_64 random(7);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 200'000; ++i) {
    const std::uint64_t r = random();
    std::string order = "CA-2016-" + std::to_string(r % 60'000);
    std::string product = "FUR-BO-" + std::to_string((r >> 20) % 50);
    if (r % 97 == 0) order += "/x";
    if (r % 89 == 0) product = "x/" + product;
    if (r % 1009 == 0) product.clear();
    if (r % 2003 == 0) product = std::string(5000, static_cast<char>('a' + r % 26));
    if (r % 131 == 0) product += "\xC3\xA9\xCA";
    pairs.emplace_back(std::move(order), std::move(product));
  }
  for (const std::size_t hint : {std::size_t{0}, pairs.size()}) {
    ReferenceAssigner reference;
    LineKeyAssigner keys(hint);
    for (const auto& [order, product] : pairs) {
      ASSERT_EQ(keys.NextKey(order, product), reference.NextKey(order, product))
          << order << " " << product;
    }
  }
}

TEST(KeySourceTest, ASourceIsShortPlainAsciiWithoutTheSeparator) {
  EXPECT_TRUE(CheckSource("").ok());
  EXPECT_TRUE(CheckSource("shop-eu_2024.05").ok());
  EXPECT_TRUE(CheckSource(std::string(kMaxSourceBytes, 'a')).ok());
  EXPECT_FALSE(CheckSource(std::string(kMaxSourceBytes + 1, 'a')).ok());
  for (const char* bad : {"a:b", "a b", "a/b", "caf\xC3\xA9", "a\n"}) {
    const absl::Status status = CheckSource(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(KeySourceTest, TheKeyIsTheSourceAColonAndTheKey) {
  std::string key = "stale";
  SourcedKey("2024-05", "17", key);
  EXPECT_EQ(key, "2024-05:17");
  SourcedKey("", "17", key);
  EXPECT_EQ(key, "17");
}

}  // namespace
}  // namespace analytics
