// Character encodings of imported CSV files, and their conversion to UTF-8.
//
// The service stores and serves UTF-8 only. Spreadsheet exports arrive either
// as UTF-8 (with or without a byte-order mark) or in a legacy single-byte
// encoding, which we take to be ISO-8859-1 (Latin-1): every byte is a valid
// Latin-1 character, so Latin-1 decoding can never fail, while random
// non-ASCII bytes are almost never valid UTF-8. That asymmetry is what makes
// "UTF-8 if the whole file is valid UTF-8, else Latin-1" a safe detection rule.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace analytics {

enum class TextEncoding { kAuto, kUtf8, kLatin1 };

// "auto", "UTF-8" or "Latin-1", for messages.
std::string_view TextEncodingName(TextEncoding encoding);

// The UTF-8 byte-order mark some editors put at the start of a file.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Offset of the first byte that is not part of a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF, no
// truncated sequence at the end), or nullopt when `text` is valid UTF-8.
std::optional<std::size_t> FindInvalidUtf8(std::string_view text);

// Appends `text`, read as Latin-1, to `out` as UTF-8.
void AppendLatin1AsUtf8(std::string_view text, std::string& out);

// `text` in `encoding` (kUtf8 or kLatin1; kAuto is treated as kUtf8) as UTF-8.
// UTF-8 input is copied unchanged: it is validated where it enters.
std::string ToUtf8(std::string_view text, TextEncoding encoding);

// Longest prefix of `text` of at most `max_bytes` that does not end inside a
// UTF-8 multi-byte sequence: for quoting input in messages.
std::string_view Utf8SafePrefix(std::string_view text, std::size_t max_bytes);

}  // namespace analytics
