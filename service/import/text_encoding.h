// Character encodings of imported CSV files, and their conversion to UTF-8.
//
// The service stores and serves UTF-8 only. Spreadsheet exports arrive either
// as UTF-8 (with or without a byte-order mark) or in one of three legacy
// single-byte encodings: ISO-8859-1 (Latin-1), Windows-1252 (what Excel on
// Windows writes) and Mac Roman (what classic Mac applications wrote, often
// with bare-CR line ends). Every byte string is valid text in all three, so
// their decoding can never fail, while random non-ASCII bytes are almost never
// valid UTF-8. That asymmetry is what makes "UTF-8 if the whole file is valid
// UTF-8" a safe first detection rule.
//
// Telling the three single-byte encodings apart (ChooseSingleByteEncoding):
// bytes 0x80-0x9F are C1 control characters in Latin-1, which never occur in
// real text, while in Windows-1252 they are curly quotes, dashes, the euro
// sign, Š/š/Ž/ž/Œ/œ/Ÿ, and in Mac Roman they are accented letters (é is 0x8E,
// ö 0x9A, ü 0x9F, ä 0x8A, à 0x88). So a file with such a byte is not Latin-1;
// of the other two, Mac Roman goes with bare-CR line ends (classic Mac OS)
// and Windows-1252 with CRLF or LF. A file without such a byte is read as
// Latin-1, which is also right for Windows-1252 text that happens to use none
// of those characters (the two agree on every other byte); Mac Roman text
// without them is then misread, which only an explicit encoding can fix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace analytics {

enum class TextEncoding { kAuto, kUtf8, kLatin1, kWindows1252, kMacRoman };

// "auto", "UTF-8", "Latin-1", "Windows-1252" or "Mac Roman", for messages.
std::string_view TextEncodingName(TextEncoding encoding);

// Latin-1, Windows-1252 or Mac Roman: every byte is one character.
bool IsSingleByteEncoding(TextEncoding encoding);

// The UTF-8 byte-order mark some editors put at the start of a file.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Offset of the first byte that is not part of a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF, no
// truncated sequence at the end), or nullopt when `text` is valid UTF-8.
std::optional<std::size_t> FindInvalidUtf8(std::string_view text);
// True when every byte is below 0x80: text that is the same in every
// supported encoding, and valid UTF-8.
bool IsAscii(std::string_view text);

// Whether `text` holds a byte in 0x80-0x9F (see the top of this file).
bool HasC1Byte(std::string_view text);

// The single-byte encoding of a file that is not UTF-8, from what was seen in
// the whole file: whether any byte was in 0x80-0x9F, and how many line breaks
// were a lone CR and how many contained an LF (LF or CRLF). Mac Roman needs
// the bare CRs to be the majority rather than all: real exports mix in the odd
// CRLF (the Superstore file's last line ends with one).
TextEncoding ChooseSingleByteEncoding(bool has_c1_byte, std::int64_t bare_cr_breaks,
                                      std::int64_t lf_breaks);

// The Unicode code point of `byte` in single-byte `encoding`. Windows-1252's
// five unassigned bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the C1 control
// of the same value, as the WHATWG Encoding Standard does, so that decoding
// never fails. Mac Roman follows Apple's table (0xDB is the euro sign, 0xF0 the
// Apple logo U+F8FF in the private use area).
char32_t SingleByteCodePoint(TextEncoding encoding, unsigned char byte);

// Appends `text` to `out` as UTF-8: decoded when `encoding` is a single-byte
// one, else (kUtf8, kAuto) appended unchanged, as UTF-8 input is validated
// where it enters.
void AppendAsUtf8(std::string_view text, TextEncoding encoding, std::string& out);

// `text` in `encoding` as UTF-8 (see AppendAsUtf8).
std::string ToUtf8(std::string_view text, TextEncoding encoding);

}  // namespace analytics
