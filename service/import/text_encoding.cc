#include "import/text_encoding.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace analytics {
namespace {

// Windows-1252 bytes 0x80-0x9F (from 0xA0 on it is Latin-1), per the WHATWG
// index (https://encoding.spec.whatwg.org/index-windows-1252.txt), with the
// five unassigned bytes as the C1 controls of the same value.
constexpr std::array<char16_t, 32> kWindows1252C1 = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80-87
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,  // 88-8F
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90-97
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,  // 98-9F
};

// Mac Roman bytes 0x80-0xFF, per Apple's ROMAN.TXT (the version with the euro
// sign at 0xDB), which the WHATWG "macintosh" index also follows.
constexpr std::array<char16_t, 128> kMacRomanHigh = {
    0x00C4, 0x00C5, 0x00C7, 0x00C9, 0x00D1, 0x00D6, 0x00DC, 0x00E1,  // 80-87
    0x00E0, 0x00E2, 0x00E4, 0x00E3, 0x00E5, 0x00E7, 0x00E9, 0x00E8,  // 88-8F
    0x00EA, 0x00EB, 0x00ED, 0x00EC, 0x00EE, 0x00EF, 0x00F1, 0x00F3,  // 90-97
    0x00F2, 0x00F4, 0x00F6, 0x00F5, 0x00FA, 0x00F9, 0x00FB, 0x00FC,  // 98-9F
    0x2020, 0x00B0, 0x00A2, 0x00A3, 0x00A7, 0x2022, 0x00B6, 0x00DF,  // A0-A7
    0x00AE, 0x00A9, 0x2122, 0x00B4, 0x00A8, 0x2260, 0x00C6, 0x00D8,  // A8-AF
    0x221E, 0x00B1, 0x2264, 0x2265, 0x00A5, 0x00B5, 0x2202, 0x2211,  // B0-B7
    0x220F, 0x03C0, 0x222B, 0x00AA, 0x00BA, 0x03A9, 0x00E6, 0x00F8,  // B8-BF
    0x00BF, 0x00A1, 0x00AC, 0x221A, 0x0192, 0x2248, 0x2206, 0x00AB,  // C0-C7
    0x00BB, 0x2026, 0x00A0, 0x00C0, 0x00C3, 0x00D5, 0x0152, 0x0153,  // C8-CF
    0x2013, 0x2014, 0x201C, 0x201D, 0x2018, 0x2019, 0x00F7, 0x25CA,  // D0-D7
    0x00FF, 0x0178, 0x2044, 0x20AC, 0x2039, 0x203A, 0xFB01, 0xFB02,  // D8-DF
    0x2021, 0x00B7, 0x201A, 0x201E, 0x2030, 0x00C2, 0x00CA, 0x00C1,  // E0-E7
    0x00CB, 0x00C8, 0x00CD, 0x00CE, 0x00CF, 0x00CC, 0x00D3, 0x00D4,  // E8-EF
    0xF8FF, 0x00D2, 0x00DA, 0x00DB, 0x00D9, 0x0131, 0x02C6, 0x02DC,  // F0-F7
    0x00AF, 0x02D8, 0x02D9, 0x02DA, 0x00B8, 0x02DD, 0x02DB, 0x02C7,  // F8-FF
};

// The UTF-8 form of one character of a single-byte encoding: every code
// point in the tables is below U+10000, so at most three bytes.
struct Utf8Char {
  std::uint8_t size = 0;
  std::array<char, 3> bytes{};
};

// Bytes 0x80-0xFF of `encoding` as UTF-8, computed at compile time so that
// decoding is one table lookup per byte.
constexpr std::array<Utf8Char, 128> MakeUtf8Table(TextEncoding encoding) {
  std::array<Utf8Char, 128> table{};
  for (int i = 0; i < 128; ++i) {
    const int byte = 0x80 + i;
    char32_t cp = static_cast<char32_t>(byte);
    if (encoding == TextEncoding::kWindows1252 && byte <= 0x9F) cp = kWindows1252C1[i];
    if (encoding == TextEncoding::kMacRoman) cp = kMacRomanHigh[i];
    Utf8Char& out = table[i];
    if (cp < 0x800) {
      out.size = 2;
      out.bytes = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F)), 0};
    } else {
      out.size = 3;
      out.bytes = {static_cast<char>(0xE0 | (cp >> 12)),
                   static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                   static_cast<char>(0x80 | (cp & 0x3F))};
    }
  }
  return table;
}

constexpr std::array<Utf8Char, 128> kLatin1Utf8 = MakeUtf8Table(TextEncoding::kLatin1);
constexpr std::array<Utf8Char, 128> kWindows1252Utf8 = MakeUtf8Table(TextEncoding::kWindows1252);
constexpr std::array<Utf8Char, 128> kMacRomanUtf8 = MakeUtf8Table(TextEncoding::kMacRoman);

const std::array<Utf8Char, 128>* Utf8Table(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::kLatin1:
      return &kLatin1Utf8;
    case TextEncoding::kWindows1252:
      return &kWindows1252Utf8;
    case TextEncoding::kMacRoman:
      return &kMacRomanUtf8;
    case TextEncoding::kAuto:
    case TextEncoding::kUtf8:
      break;
  }
  return nullptr;
}

}  // namespace

std::string_view TextEncodingName(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::kAuto:
      return "auto";
    case TextEncoding::kUtf8:
      return "UTF-8";
    case TextEncoding::kLatin1:
      return "Latin-1";
    case TextEncoding::kWindows1252:
      return "Windows-1252";
    case TextEncoding::kMacRoman:
      return "Mac Roman";
  }
  return "unknown";
}

bool IsSingleByteEncoding(TextEncoding encoding) { return Utf8Table(encoding) != nullptr; }

bool IsAscii(std::string_view text) {
  // Eight bytes at a time, high bits gathered and tested once at the end.
  std::uint64_t high = 0;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    high |= word;
  }
  for (; i < text.size(); ++i) high |= static_cast<unsigned char>(text[i]);
  return (high & 0x8080808080808080ULL) == 0;
}

std::optional<std::size_t> FindInvalidUtf8(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    // Almost all text is ASCII: skip it eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i == n) break;
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // The allowed range of the second byte depends on the lead byte: that is
    // how overlong forms, surrogates and code points above U+10FFFF are
    // excluded (the table of RFC 3629, section 4).
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead == 0xE0) {
      length = 3;
      low = 0xA0;
    } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
      length = 3;
    } else if (lead == 0xED) {
      length = 3;
      high = 0x9F;
    } else if (lead == 0xF0) {
      length = 4;
      low = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
      length = 4;
    } else if (lead == 0xF4) {
      length = 4;
      high = 0x8F;
    } else {
      return i;
    }
    if (i + length > n) return i;
    if (byte(i + 1) < low || byte(i + 1) > high) return i;
    for (std::size_t k = 2; k < length; ++k) {
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return i;
    }
    i += length;
  }
  return std::nullopt;
}

bool HasC1Byte(std::string_view text) {
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x80 && b <= 0x9F) return true;
  }
  return false;
}

TextEncoding ChooseSingleByteEncoding(bool has_c1_byte, std::int64_t bare_cr_breaks,
                                      std::int64_t lf_breaks) {
  if (!has_c1_byte) return TextEncoding::kLatin1;
  return bare_cr_breaks > lf_breaks ? TextEncoding::kMacRoman : TextEncoding::kWindows1252;
}

char32_t SingleByteCodePoint(TextEncoding encoding, unsigned char byte) {
  if (byte < 0x80) return byte;
  const int i = byte - 0x80;
  if (encoding == TextEncoding::kMacRoman) return kMacRomanHigh[i];
  if (encoding == TextEncoding::kWindows1252 && byte <= 0x9F) return kWindows1252C1[i];
  return byte;
}

void AppendAsUtf8(std::string_view text, TextEncoding encoding, std::string& out) {
  const std::array<Utf8Char, 128>* table = Utf8Table(encoding);
  if (table == nullptr) {
    out.append(text);
    return;
  }
  out.reserve(out.size() + text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    // Copy runs of ASCII in one go: most text is ASCII.
    std::size_t j = i;
    while (j < text.size() && static_cast<unsigned char>(text[j]) < 0x80) ++j;
    out.append(text, i, j - i);
    if (j == text.size()) break;
    const Utf8Char& c = (*table)[static_cast<unsigned char>(text[j]) - 0x80];
    out.append(c.bytes.data(), c.size);
    i = j + 1;
  }
}

std::string ToUtf8(std::string_view text, TextEncoding encoding) {
  std::string out;
  AppendAsUtf8(text, encoding, out);
  return out;
}

}  // namespace analytics
