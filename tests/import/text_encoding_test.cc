#include "import/text_encoding.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "common/line_validation.h"
#include "gtest/gtest.h"

namespace analytics {
namespace {

// The one code point of a valid UTF-8 sequence of one character (test
// helper: the service itself never decodes UTF-8).
char32_t DecodeOne(const std::string& utf8) {
  const auto b = [&](std::size_t i) {
    return static_cast<char32_t>(static_cast<unsigned char>(utf8[i]));
  };
  switch (utf8.size()) {
    case 1:
      return b(0);
    case 2:
      return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
    case 3:
      return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    default:
      return 0xFFFFFFFF;
  }
}

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
  EXPECT_EQ(ToUtf8("caf\xC3\xA9", TextEncoding::kAuto), "caf\xC3\xA9");
}

// Known code points, from the published tables (WHATWG index-windows-1252,
// Apple ROMAN.TXT).
struct CodePointCase {
  TextEncoding encoding;
  unsigned char byte;
  char32_t code_point;
};

TEST(TextEncodingTest, SingleByteTablesSpotChecks) {
  const CodePointCase cases[] = {
      // Latin-1 is the identity.
      {TextEncoding::kLatin1, 0x41, U'A'},
      {TextEncoding::kLatin1, 0x80, 0x0080},
      {TextEncoding::kLatin1, 0x9F, 0x009F},
      {TextEncoding::kLatin1, 0xA0, 0x00A0},
      {TextEncoding::kLatin1, 0xE9, 0x00E9},
      {TextEncoding::kLatin1, 0xFF, 0x00FF},
      // Windows-1252: 0x80-0x9F differ, the unassigned five are C1 controls.
      {TextEncoding::kWindows1252, 0x80, 0x20AC},  // €
      {TextEncoding::kWindows1252, 0x81, 0x0081},
      {TextEncoding::kWindows1252, 0x82, 0x201A},  // ‚
      {TextEncoding::kWindows1252, 0x83, 0x0192},  // ƒ
      {TextEncoding::kWindows1252, 0x85, 0x2026},  // …
      {TextEncoding::kWindows1252, 0x8A, 0x0160},  // Š
      {TextEncoding::kWindows1252, 0x8C, 0x0152},  // Œ
      {TextEncoding::kWindows1252, 0x8D, 0x008D},
      {TextEncoding::kWindows1252, 0x8E, 0x017D},  // Ž
      {TextEncoding::kWindows1252, 0x8F, 0x008F},
      {TextEncoding::kWindows1252, 0x90, 0x0090},
      {TextEncoding::kWindows1252, 0x91, 0x2018},  // ‘
      {TextEncoding::kWindows1252, 0x93, 0x201C},  // “
      {TextEncoding::kWindows1252, 0x94, 0x201D},  // ”
      {TextEncoding::kWindows1252, 0x96, 0x2013},  // –
      {TextEncoding::kWindows1252, 0x97, 0x2014},  // —
      {TextEncoding::kWindows1252, 0x99, 0x2122},  // ™
      {TextEncoding::kWindows1252, 0x9D, 0x009D},
      {TextEncoding::kWindows1252, 0x9F, 0x0178},  // Ÿ
      {TextEncoding::kWindows1252, 0xA0, 0x00A0},
      {TextEncoding::kWindows1252, 0xE9, 0x00E9},
      {TextEncoding::kWindows1252, 0xFF, 0x00FF},
      // Mac Roman: the bytes of the Superstore export first.
      {TextEncoding::kMacRoman, 0x41, U'A'},
      {TextEncoding::kMacRoman, 0x80, 0x00C4},  // Ä
      {TextEncoding::kMacRoman, 0x88, 0x00E0},  // à
      {TextEncoding::kMacRoman, 0x8A, 0x00E4},  // ä
      {TextEncoding::kMacRoman, 0x8E, 0x00E9},  // é
      {TextEncoding::kMacRoman, 0x9A, 0x00F6},  // ö
      {TextEncoding::kMacRoman, 0x9F, 0x00FC},  // ü
      {TextEncoding::kMacRoman, 0xCA, 0x00A0},  // no-break space
      {TextEncoding::kMacRoman, 0xD2, 0x201C},  // “
      {TextEncoding::kMacRoman, 0xD3, 0x201D},  // ”
      {TextEncoding::kMacRoman, 0xD5, 0x2019},  // ’
      {TextEncoding::kMacRoman, 0xA0, 0x2020},  // †
      {TextEncoding::kMacRoman, 0xA5, 0x2022},  // •
      {TextEncoding::kMacRoman, 0xA7, 0x00DF},  // ß
      {TextEncoding::kMacRoman, 0xAA, 0x2122},  // ™
      {TextEncoding::kMacRoman, 0xAD, 0x2260},  // ≠
      {TextEncoding::kMacRoman, 0xB0, 0x221E},  // ∞
      {TextEncoding::kMacRoman, 0xB9, 0x03C0},  // π
      {TextEncoding::kMacRoman, 0xBD, 0x03A9},  // Ω
      {TextEncoding::kMacRoman, 0xC6, 0x2206},  // ∆
      {TextEncoding::kMacRoman, 0xC9, 0x2026},  // …
      {TextEncoding::kMacRoman, 0xD0, 0x2013},  // –
      {TextEncoding::kMacRoman, 0xD1, 0x2014},  // —
      {TextEncoding::kMacRoman, 0xD7, 0x25CA},  // ◊
      {TextEncoding::kMacRoman, 0xD8, 0x00FF},  // ÿ
      {TextEncoding::kMacRoman, 0xDB, 0x20AC},  // €
      {TextEncoding::kMacRoman, 0xDE, 0xFB01},  // ﬁ
      {TextEncoding::kMacRoman, 0xF0, 0xF8FF},  // Apple logo
      {TextEncoding::kMacRoman, 0xF5, 0x0131},  // ı
      {TextEncoding::kMacRoman, 0xFF, 0x02C7},  // ˇ
  };
  for (const CodePointCase& c : cases) {
    EXPECT_EQ(static_cast<std::uint32_t>(SingleByteCodePoint(c.encoding, c.byte)),
              static_cast<std::uint32_t>(c.code_point))
        << TextEncodingName(c.encoding) << " byte " << static_cast<int>(c.byte);
  }
}

TEST(TextEncodingTest, SingleByteEncodingsConvertToTheirCodePointsInUtf8) {
  EXPECT_EQ(ToUtf8("\x80 \x93q\x94 \x81", TextEncoding::kWindows1252),
            "\xE2\x82\xAC \xE2\x80\x9Cq\xE2\x80\x9D \xC2\x81");
  EXPECT_EQ(ToUtf8("Conference\xCAphone", TextEncoding::kMacRoman), "Conference\xC2\xA0phone");
  EXPECT_EQ(ToUtf8("Caf\x8E \xD2x\xD3 \xF0", TextEncoding::kMacRoman),
            "Caf\xC3\xA9 \xE2\x80\x9Cx\xE2\x80\x9D \xEF\xA3\xBF");
  // The same bytes, three readings.
  EXPECT_EQ(ToUtf8("\x8E", TextEncoding::kLatin1), "\xC2\x8E");
  EXPECT_EQ(ToUtf8("\x8E", TextEncoding::kWindows1252), "\xC5\xBD");
  EXPECT_EQ(ToUtf8("\x8E", TextEncoding::kMacRoman), "\xC3\xA9");

  // Every byte of every single-byte encoding becomes exactly its code point,
  // as valid UTF-8, and no two bytes share one.
  for (const TextEncoding encoding :
       {TextEncoding::kLatin1, TextEncoding::kWindows1252, TextEncoding::kMacRoman}) {
    std::set<char32_t> seen;
    for (int b = 0; b < 256; ++b) {
      const char32_t cp = SingleByteCodePoint(encoding, static_cast<unsigned char>(b));
      EXPECT_TRUE(seen.insert(cp).second) << TextEncodingName(encoding) << " byte " << b;
      const std::string utf8 = ToUtf8(std::string(1, static_cast<char>(b)), encoding);
      EXPECT_EQ(FindInvalidUtf8(utf8), std::nullopt);
      EXPECT_EQ(DecodeOne(utf8), cp) << TextEncodingName(encoding) << " byte " << b;
    }
  }
}

TEST(TextEncodingTest, C1Bytes) {
  EXPECT_FALSE(HasC1Byte(""));
  EXPECT_FALSE(HasC1Byte("caf\xE9 \xA0\xFF"));
  EXPECT_TRUE(HasC1Byte("x\x80"));
  EXPECT_TRUE(HasC1Byte("\x9F"));
}

TEST(TextEncodingTest, ChoosingASingleByteEncoding) {
  // No byte in 0x80-0x9F: Latin-1, whatever the line ends.
  EXPECT_EQ(ChooseSingleByteEncoding(false, 0, 100), TextEncoding::kLatin1);
  EXPECT_EQ(ChooseSingleByteEncoding(false, 100, 0), TextEncoding::kLatin1);
  // With one: Mac Roman for mostly bare CRs, else Windows-1252.
  EXPECT_EQ(ChooseSingleByteEncoding(true, 9'994, 1), TextEncoding::kMacRoman);
  EXPECT_EQ(ChooseSingleByteEncoding(true, 1, 0), TextEncoding::kMacRoman);
  EXPECT_EQ(ChooseSingleByteEncoding(true, 0, 10), TextEncoding::kWindows1252);
  EXPECT_EQ(ChooseSingleByteEncoding(true, 5, 5), TextEncoding::kWindows1252);
  EXPECT_EQ(ChooseSingleByteEncoding(true, 0, 0), TextEncoding::kWindows1252);
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
  EXPECT_EQ(TextEncodingName(TextEncoding::kWindows1252), "Windows-1252");
  EXPECT_EQ(TextEncodingName(TextEncoding::kMacRoman), "Mac Roman");
  EXPECT_FALSE(IsSingleByteEncoding(TextEncoding::kAuto));
  EXPECT_FALSE(IsSingleByteEncoding(TextEncoding::kUtf8));
  EXPECT_TRUE(IsSingleByteEncoding(TextEncoding::kLatin1));
  EXPECT_TRUE(IsSingleByteEncoding(TextEncoding::kWindows1252));
  EXPECT_TRUE(IsSingleByteEncoding(TextEncoding::kMacRoman));
}

}  // namespace
}  // namespace analytics
