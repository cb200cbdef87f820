// An accepted line as the importer spools it: validated, but with its text
// still in the file's bytes and its dates still split into numbers.
//
// Both conversions wait for the end of the file because both depend on it:
// the encoding (one invalid UTF-8 byte anywhere makes the whole file a
// single-byte encoding, including lines already spooled, and which one depends
// on bytes and line ends anywhere in the file) and the day/month order
// (decided from all dates). Numbers are parsed before spooling: their meaning never changes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/line_batch.h"
#include "common/line_fields.h"
#include "common/line_key.h"
#include "common/money.h"
#include "common/order_line.h"
#include "import/date_parser.h"
#include "import/text_encoding.h"

namespace analytics {

struct RawLine {
  // Views into the CSV record (when encoding) or the spool record
  // (decoded), in kLineTexts order (common/line_fields.h): the Row ID in
  // the line key's place.
  std::array<std::string_view, kLineTextCount> text;
  DateText order_date;
  std::optional<DateText> ship_date;
  Micros sales = 0;
  std::int64_t quantity = 0;
  Micros discount = 0;
  Micros profit = 0;

  // A text field's view (`field` must be a text: TextIndex >= 0).
  std::string_view& operator[](LineField field) {
    return text[static_cast<std::size_t>(TextIndex(field))];
  }
  std::string_view operator[](LineField field) const {
    return text[static_cast<std::size_t>(TextIndex(field))];
  }
};

// Replaces `out` with the spool form of `line`.
void EncodeRawLine(const RawLine& line, std::string& out);

// Reads back EncodeRawLine's output; the views point into `bytes`.
absl::StatusOr<RawLine> DecodeRawLine(std::string_view bytes);

// Where a line's texts go when they cannot stay in the raw line's bytes
// (converted from a single-byte encoding, or the default key); reused from
// line to line.
struct ConvertedTexts {
  std::array<std::string, kLineTextCount> texts;
  std::string key;
};

// Converts to the service's form: text to UTF-8 from `encoding`, dates in
// `order`, and the line key (the Row ID when present, in the namespace
// `source` when one is given (common/line_key.h), else the default key from
// `keys`, which must see the file's lines in order). The view's texts point
// into `raw`'s bytes (UTF-8 needs no conversion) or into `converted`.
absl::Status ToOrderLineView(const RawLine& raw, TextEncoding encoding, DateOrder order,
                             std::string_view source, LineKeyAssigner& keys,
                             ConvertedTexts& converted, OrderLineView& line);
// The same into an OrderLine of its own.
absl::Status ToOrderLine(const RawLine& raw, TextEncoding encoding, DateOrder order,
                         std::string_view source, LineKeyAssigner& keys, OrderLine& line);

}  // namespace analytics
