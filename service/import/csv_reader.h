// An incremental RFC 4180 tokenizer: bytes in, records out.
//
// Input arrives in chunks cut anywhere (inside a quoted field, between CR and
// LF), so all tokenizer state lives in the object and a record is handed to
// the sink as soon as its last byte is seen. Memory is bounded by the limits
// below, not by the input: a record is the largest thing ever held.
//
// Dialect: ',' separates fields; a field starting with '"' is quoted, may hold
// ',', line breaks and doubled quotes ("" -> "); CR, LF and CRLF all end a
// record (Mac, Unix and Windows exports). Leniencies, chosen because real
// exports do this: a '"' inside an unquoted field is kept as a literal
// character; empty lines are skipped. Text after a closing quote ("ab"c) is
// kept but flags the record as malformed, for the caller to reject.
// Fatal errors (the rest of the input cannot be trusted): a quoted field still
// open at the end of input, and a field, record or field count over a limit.
// Line numbers are physical lines (1-based), counting CR, LF and CRLF as one
// break each, including breaks inside quoted fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace analytics {

struct CsvLimits {
  // Far above any real text field; low enough that a runaway quote or a
  // hostile file fails fast instead of exhausting memory.
  std::size_t max_field_bytes = std::size_t{1} << 20;   // 1 MiB
  std::size_t max_record_bytes = std::size_t{4} << 20;  // 4 MiB
  std::size_t max_fields = 1024;
};

// One record, valid only during the sink call that receives it.
class CsvRecord {
 public:
  CsvRecord(std::int64_t line, std::string_view bytes, const std::vector<std::size_t>& ends,
            std::string_view malformed, int malformed_field)
      : line_(line),
        bytes_(bytes),
        ends_(ends),
        malformed_(malformed),
        malformed_field_(malformed_field) {}

  // Physical line on which the record starts.
  std::int64_t line() const { return line_; }
  std::size_t size() const { return ends_.size(); }
  // Every field's bytes, back to back (what the fields are views into).
  std::string_view bytes() const { return bytes_; }
  std::string_view operator[](std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
    return bytes_.substr(begin, ends_[i] - begin);
  }
  // Why the record is malformed (empty when it is not), and the 0-based
  // field concerned.
  std::string_view malformed() const { return malformed_; }
  int malformed_field() const { return malformed_field_; }

 private:
  std::int64_t line_;
  std::string_view bytes_;
  const std::vector<std::size_t>& ends_;
  std::string_view malformed_;
  int malformed_field_;
};

class CsvReader {
 public:
  // A non-OK status from the sink stops the reader and is returned as is.
  using Sink = absl::FunctionRef<absl::Status(const CsvRecord&)>;

  explicit CsvReader(CsvLimits limits = {}) : limits_(limits) {}

  // Tokenizes `chunk`, calling `sink` for each record it completes. After a
  // non-OK status the reader is spent: every later call returns it again.
  absl::Status Feed(std::string_view chunk, Sink sink);

  // End of input: completes a last record without a final line break, or
  // fails when a quoted field is still open.
  absl::Status Finish(Sink sink);

  // Line breaks seen so far (blank lines and breaks inside quoted fields
  // included): lone CRs, and LFs or CRLFs. The line-end style is evidence for
  // the file's encoding (bare CR = classic Mac). A CR whose LF is still to
  // come in the next chunk counts as a lone CR until then.
  std::int64_t bare_cr_breaks() const { return bare_cr_breaks_; }
  std::int64_t lf_breaks() const { return lf_breaks_; }

 private:
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };

  absl::Status Append(std::string_view bytes);
  absl::Status EndField();
  absl::Status EndRecord(Sink sink);
  void CountBreak(char c);
  void StartRecordIfNeeded();

  CsvLimits limits_;
  absl::Status failure_;
  State state_ = State::kFieldStart;
  std::string bytes_;              // the current record's field bytes, concatenated
  std::vector<std::size_t> ends_;  // end offset in bytes_ of each completed field
  std::size_t field_start_ = 0;    // offset in bytes_ of the field being read
  bool record_started_ = false;
  std::int64_t record_line_ = 0;
  std::int64_t quote_line_ = 0;   // where the open quoted field started
  std::int64_t line_ = 1;         // physical line of the next byte
  bool previous_was_cr_ = false;  // so that CRLF counts as one break
  std::int64_t bare_cr_breaks_ = 0;
  std::int64_t lf_breaks_ = 0;
  std::string malformed_;
  int malformed_field_ = -1;
};

}  // namespace analytics
