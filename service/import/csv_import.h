// CSV import: a retail export file in, validated order lines out.
//
// CsvImport is the gRPC-free core of the ImportCsv call. The caller feeds the
// file's bytes as they arrive, calls Finish, and then, depending on the
// summary and its own policy, streams AcceptedLines() into the store. The
// caller owns atomicity: by default it writes nothing when any line was
// rejected, with skip_invalid it writes the accepted lines; the summary
// counts both either way.
//
// What is accepted (README "Loading your data" is the user-facing version):
// - RFC 4180 CSV with CR, LF or CRLF line ends (see csv_reader.h).
// - UTF-8 (a leading byte-order mark is dropped), Latin-1, Windows-1252 or
//   Mac Roman. In kAuto the file is UTF-8 if every field is valid UTF-8 (or
//   it starts with a byte-order mark); otherwise, if any byte is in
//   0x80-0x9F, Mac Roman when most line breaks are bare CRs, else
//   Windows-1252; otherwise Latin-1 (text_encoding.h says why). The decision
//   covers the whole file, lines already spooled included. Output text is
//   always UTF-8. With an explicit kUtf8, invalid UTF-8 is a fatal error.
// - A header row whose names are matched loosely (see column_map.h); order
//   id, order date, customer id and sales are required.
// - Dates as described in date_parser.h; in kAuto the day/month order is
//   decided from every order and ship date of the file.
// - Sales, profit and discount as plain decimals (ParseDecimalMicros, after
//   trimming spaces and tabs); discount must lie in 0..1; quantity a whole
//   number >= 0. Empty profit, discount and quantity mean 0; an empty order
//   id, customer id, order date or sales rejects the line.
//
// Line keys: the "Row ID" column's text when the file has that column and the
// field is not empty ("<source>:<Row ID>" with a source); otherwise the default key of
// common/line_key.h
// ("<order id>/<product id>/<n>", n counting accepted lines with that pair in
// file order). A Row ID seen twice in one file rejects the later line: it
// would silently replace the earlier one. (Repeats are found at Finish,
// row_id_set.h says why.)
//
// Records whose fields are all empty (blank lines, ",,,,") are skipped and
// not counted. Line numbers are physical lines of the file, header = 1.
//
// Memory: the parser holds one record at a time (a field is capped at 1 MiB,
// a record at 4 MiB and 1024 fields: a larger one is a fatal error, so a
// runaway quote cannot exhaust memory); accepted lines wait in an anonymous
// temporary file (spool.h), so the file's size never becomes memory. What
// does grow with the file is bookkeeping of keys: the set of Row IDs (for
// duplicates, ~40 bytes per line, row_id_set.h) and, without Row IDs,
// LineKeyAssigner's prefix fingerprints while reading AcceptedLines (~35
// bytes per line, sized once from the accepted count, common/line_key.h).
// A 1,000,000-line file peaks at 70 MiB RSS with Row IDs and 42 MiB without
// (large_import_test).
//
// A CsvImport is used by one thread at a time; the sources AcceptedLines()
// returns are independent of each other and of the import.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/line_batch.h"
#include "common/order_line.h"
#include "common/rejected_line.h"
#include "import/date_parser.h"
#include "import/text_encoding.h"

namespace analytics {

struct CsvImportOptions {
  DateOrder date_order = DateOrder::kAuto;
  TextEncoding encoding = TextEncoding::kAuto;
  // Only advice to the caller (write the accepted lines even when some were
  // rejected); the import itself validates and counts the same way.
  bool skip_invalid = false;
  // Hand the accepted lines out as they are read (TakeLines) instead of
  // spooling them for AcceptedLines(), so that the caller can write them
  // while the file still arrives. Possible only when the encoding and the
  // date order are given (in kAuto a line's final form is known only once
  // the whole file was seen) and skip_invalid is off (a repeated Row ID is
  // only found at the end, when its line was handed out already: the caller
  // must then write nothing, which all-or-nothing does). Otherwise this is
  // ignored (see streaming()).
  bool stream_lines = false;
  // Key namespace for the Row IDs (common/line_key.h); empty: none. The
  // caller checks it (CheckSource).
  std::string source;
};

struct CsvImportSummary {
  std::int64_t lines_read = 0;  // data records, header and blank lines excluded
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  // The first kMaxReportedRejections, in file order: line_number = physical
  // line where the record starts, field = the column's header as written
  // (empty when the whole record is at fault), reason.
  std::vector<RejectedLine> rejected_lines;
  std::vector<std::string> unknown_columns;     // header columns ignored
  TextEncoding encoding = TextEncoding::kUtf8;  // the one actually used
  DateOrder date_order = DateOrder::kYmd;       // the one actually used
};

class CsvImport {
 public:
  explicit CsvImport(CsvImportOptions options);
  ~CsvImport();
  CsvImport(const CsvImport&) = delete;
  CsvImport& operator=(const CsvImport&) = delete;

  // Feeds the next bytes; chunks may be cut anywhere. A non-OK status is
  // fatal for the whole import (missing required columns, invalid UTF-8 in
  // UTF-8 mode, a field over the size limit, ...) and is returned again by
  // every later call.
  absl::Status Feed(std::string_view chunk);

  // End of input. Fatal errors: no header (empty file), a quote left open,
  // dates whose day/month order cannot be decided in kAuto. Calling it again
  // returns the same result.
  absl::StatusOr<CsvImportSummary> Finish();

  // After a successful Finish: the accepted lines in file order, read back
  // from the spool. Each call starts again from the first line; before a
  // successful Finish the source is empty. Sources keep the spool alive and
  // may outlive this object. Empty when streaming().
  std::unique_ptr<LineSource> AcceptedLines();

  // True when accepted lines are handed out by TakeLines (stream_lines,
  // both encoding and date order given, skip_invalid off).
  bool streaming() const;
  // Streaming: appends the lines accepted since the last call to `batches`,
  // in file order, as full batches of kLinesPerBatch lines (the last, partial
  // one only after Finish). A line handed out may still be rejected at
  // Finish (a repeated Row ID); the caller commits the lines only when the
  // summary rejects none.
  void TakeLines(std::vector<LineBatch>& batches);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace analytics
