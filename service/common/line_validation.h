// What every write path accepts as an order line, and how a rejection
// quotes the input back.
//
// The CSV import, IngestTransactions and the demo generator each parse
// their own input (CSV text, protobuf doubles, generated numbers) into an
// OrderLineView; ValidateLine is the one set of rules on the parsed values
// that every line passes before it can reach the store, so a line is
// accepted or refused the same way whichever way it comes in (README
// "Values"). Parsing errors (a text that is not a number or a date) are the
// parser's own and come first.
//
// Rejection reasons are built from fixed text plus input quoted by
// QuoteInput, and every reported reason and field name is cut by
// CutForReply: a reply listing rejected lines is bounded by
// kMaxReportedRejections x (kMaxRejectionFieldBytes +
// kMaxRejectionReasonBytes + a few bytes of framing) -- about 40 KiB --
// whatever the input (a 1 MB date quoted back a hundred times would be
// 100 MB, more than a client accepts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/civil_day.h"
#include "common/line_batch.h"
#include "common/line_fields.h"
#include "common/money.h"

namespace analytics {

// Largest quantity on one line: anything above is a typo or an amount in
// the wrong column.
inline constexpr std::int64_t kMaxQuantity = 1'000'000'000;

struct LineProblem {
  LineField field;  // named by LineFieldName (common/line_fields.h)
  std::string reason;
};

// True when `text` is empty or only spaces and tabs (what a spreadsheet
// leaves in a cleared cell): not an id.
bool IsBlank(std::string_view text);

// The rules, in field order; the first broken one:
// - order_id, customer_id: not blank;
// - order_date: a day of the years kMinYear..kMaxYear; ship_date the same
//   when present;
// - sales, profit: magnitude at most kMaxAbsMicros (10^12 units);
// - quantity: 0..kMaxQuantity;
// - discount: a fraction, 0..kMicrosPerUnit (0 to 100 %).
std::optional<LineProblem> ValidateLine(const OrderLineView& line);

// Input quoted back in messages: at most kQuotedInputBytes of it, cut on a
// UTF-8 character boundary, in double quotes, `..."` marking a cut.
inline constexpr std::size_t kQuotedInputBytes = 64;
std::string QuoteInput(std::string_view text);

// Longest prefix of `text` of at most `max_bytes` that does not end inside a
// UTF-8 multi-byte sequence.
std::string_view Utf8SafePrefix(std::string_view text, std::size_t max_bytes);

// Bounds of what a reply reports per rejected line.
inline constexpr std::size_t kMaxRejectionReasonBytes = 256;
inline constexpr std::size_t kMaxRejectionFieldBytes = 128;
// `text` itself when it has at most `max_bytes`, else a UTF-8-safe prefix
// ending in "..." of at most `max_bytes` in all (max_bytes >= 3).
std::string CutForReply(std::string_view text, std::size_t max_bytes);

}  // namespace analytics
