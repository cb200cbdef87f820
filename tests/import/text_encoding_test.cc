#include "import/text_encoding.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace analytics {
namespace {

struct Utf8Case {
  std::string name;
  std::string text;
  std::optional<std::size_t> first_invalid;
  friend void PrintTo(const Utf8Case& c, std::ostream* out) { *out << c.name; }
};

class Utf8ValidationTest : public ::testing::TestWithParam<Utf8Case> {};

TEST_P(Utf8ValidationTest, FindsTheFirstInvalidByte) {
  EXPECT_EQ(FindInvalidUtf8(GetParam().text), GetParam().first_invalid);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc3629, Utf8ValidationTest,
    ::testing::Values(
        Utf8Case{"Empty", "", std::nullopt}, Utf8Case{"Ascii", "Row ID,Sales", std::nullopt},
        Utf8Case{"TwoByte", "caf\xC3\xA9", std::nullopt},
        Utf8Case{"ThreeByte", "\xE2\x82\xAC", std::nullopt},
        Utf8Case{"FourByte", "\xF0\x9F\x98\x80", std::nullopt},
        Utf8Case{"Largest", "\xF4\x8F\xBF\xBF", std::nullopt},
        Utf8Case{"Latin1Eacute", "caf\xE9", 3}, Utf8Case{"Latin1Nbsp", "a\xA0z", 1},
        Utf8Case{"MacRomanNbsp", "Conference\xCAphone", 10},
        Utf8Case{"LoneContinuation", "\x80", 0}, Utf8Case{"OverlongTwoByte", "\xC0\xAF", 0},
        Utf8Case{"OverlongC1", "\xC1\xBF", 0}, Utf8Case{"OverlongThreeByte", "\xE0\x80\xAF", 0},
        Utf8Case{"Surrogate", "x\xED\xA0\x80", 1}, Utf8Case{"AboveMax", "\xF4\x90\x80\x80", 0},
        Utf8Case{"F5Lead", "\xF5\x80\x80\x80", 0}, Utf8Case{"TruncatedAtEnd", "ab\xE2\x82", 2},
        Utf8Case{"BadSecondContinuation", "\xE2\x82x", 0}),
    [](const ::testing::TestParamInfo<Utf8Case>& info) { return info.param.name; });

TEST(TextEncodingTest, Latin1BecomesUtf8) {
  EXPECT_EQ(ToUtf8("caf\xE9", TextEncoding::kLatin1), "caf\xC3\xA9");
  EXPECT_EQ(ToUtf8("\xA0\xFF", TextEncoding::kLatin1), "\xC2\xA0\xC3\xBF");
  EXPECT_EQ(ToUtf8("plain", TextEncoding::kLatin1), "plain");
  // Every Latin-1 byte string converts to valid UTF-8.
  std::string all;
  for (int b = 1; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(FindInvalidUtf8(ToUtf8(all, TextEncoding::kLatin1)), std::nullopt);
  EXPECT_EQ(ToUtf8(all, TextEncoding::kLatin1).size(), 127u + 2u * 128u);
}

TEST(TextEncodingTest, Utf8IsCopiedUnchanged) {
  EXPECT_EQ(ToUtf8("caf\xC3\xA9", TextEncoding::kUtf8), "caf\xC3\xA9");
}

TEST(TextEncodingTest, SafePrefixNeverCutsACharacter) {
  EXPECT_EQ(Utf8SafePrefix("abc", 5), "abc");
  EXPECT_EQ(Utf8SafePrefix("abc", 2), "ab");
  EXPECT_EQ(Utf8SafePrefix("a\xE2\x82\xAC", 2), "a");
  EXPECT_EQ(Utf8SafePrefix("a\xE2\x82\xAC", 3), "a");
  EXPECT_EQ(Utf8SafePrefix("a\xE2\x82\xAC"
                           "b",
                           4),
            "a\xE2\x82\xAC");
}

TEST(TextEncodingTest, Names) {
  EXPECT_EQ(TextEncodingName(TextEncoding::kUtf8), "UTF-8");
  EXPECT_EQ(TextEncodingName(TextEncoding::kLatin1), "Latin-1");
}

}  // namespace
}  // namespace analytics
