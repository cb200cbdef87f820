#include "import/csv_reader.h"

#include "absl/strings/str_cat.h"

namespace analytics {
namespace {

bool IsBreak(char c) { return c == '\r' || c == '\n'; }

}  // namespace

void CsvReader::CountBreak(char c) {
  if (c == '\r') {
    ++line_;
    ++bare_cr_breaks_;
    previous_was_cr_ = true;
  } else {
    if (previous_was_cr_) {
      --bare_cr_breaks_;  // that CR was the start of a CRLF
    } else {
      ++line_;
    }
    ++lf_breaks_;
    previous_was_cr_ = false;
  }
}

void CsvReader::StartRecordIfNeeded() {
  if (record_started_) return;
  record_started_ = true;
  record_line_ = line_;
}

absl::Status CsvReader::Append(std::string_view bytes) {
  if (bytes.empty()) return absl::OkStatus();
  previous_was_cr_ = false;
  bytes_.append(bytes);
  if (bytes_.size() - field_start_ > limits_.max_field_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", record_line_, ", field ", ends_.size() + 1, ": field longer than ",
        limits_.max_field_bytes, " bytes (the limit)",
        state_ == State::kQuoted
            ? absl::StrCat("; its quote opened on line ", quote_line_, " may never be closed")
            : ""));
  }
  if (bytes_.size() > limits_.max_record_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("line ", record_line_, ": record longer than ",
                                                   limits_.max_record_bytes, " bytes (the limit)"));
  }
  return absl::OkStatus();
}

absl::Status CsvReader::EndField() {
  if (ends_.size() >= limits_.max_fields) {
    return absl::InvalidArgumentError(absl::StrCat("line ", record_line_, ": more than ",
                                                   limits_.max_fields,
                                                   " fields in one record (the limit)"));
  }
  ends_.push_back(bytes_.size());
  field_start_ = bytes_.size();
  return absl::OkStatus();
}

absl::Status CsvReader::EndRecord(Sink sink) {
  if (absl::Status s = EndField(); !s.ok()) return s;
  absl::Status status = sink(CsvRecord(record_line_, bytes_, ends_, malformed_, malformed_field_));
  bytes_.clear();
  ends_.clear();
  field_start_ = 0;
  record_started_ = false;
  malformed_.clear();
  malformed_field_ = -1;
  state_ = State::kFieldStart;
  return status;
}

absl::Status CsvReader::Feed(std::string_view chunk, Sink sink) {
  if (!failure_.ok()) return failure_;
  const auto fail = [&](absl::Status status) {
    failure_ = status;
    return status;
  };
  std::size_t i = 0;
  const std::size_t n = chunk.size();
  while (i < n) {
    const char c = chunk[i];
    switch (state_) {
      case State::kFieldStart:
        if (IsBreak(c)) {
          // A break before any byte of a record is an empty line: skipped.
          if (record_started_) {
            if (absl::Status s = EndRecord(sink); !s.ok()) return fail(s);
          }
          CountBreak(c);
          ++i;
          continue;
        }
        StartRecordIfNeeded();
        if (c == '"') {
          previous_was_cr_ = false;
          state_ = State::kQuoted;
          quote_line_ = line_;
          ++i;
          continue;
        }
        if (c == ',') {
          previous_was_cr_ = false;
          if (absl::Status s = EndField(); !s.ok()) return fail(s);
          ++i;
          continue;
        }
        state_ = State::kUnquoted;
        continue;  // the byte is re-read as the start of an unquoted field
      case State::kUnquoted: {
        // Copy the run of ordinary bytes in one go: this is the hot loop.
        std::size_t j = i;
        while (j < n && chunk[j] != ',' && !IsBreak(chunk[j])) ++j;
        if (absl::Status s = Append(chunk.substr(i, j - i)); !s.ok()) return fail(s);
        i = j;
        if (i == n) break;
        if (chunk[i] == ',') {
          previous_was_cr_ = false;
          if (absl::Status s = EndField(); !s.ok()) return fail(s);
          state_ = State::kFieldStart;
        } else {
          if (absl::Status s = EndRecord(sink); !s.ok()) return fail(s);
          CountBreak(chunk[i]);
        }
        ++i;
        continue;
      }
      case State::kQuoted: {
        std::size_t j = i;
        while (j < n && chunk[j] != '"' && !IsBreak(chunk[j])) ++j;
        if (absl::Status s = Append(chunk.substr(i, j - i)); !s.ok()) return fail(s);
        i = j;
        if (i == n) break;
        if (chunk[i] == '"') {
          previous_was_cr_ = false;
          state_ = State::kQuoteInQuoted;
        } else {
          // A line break inside quotes is data, but still a physical line.
          const char line_break = chunk[i];
          const bool was_cr = previous_was_cr_;
          if (absl::Status s = Append(chunk.substr(i, 1)); !s.ok()) return fail(s);
          previous_was_cr_ = was_cr;
          CountBreak(line_break);
        }
        ++i;
        continue;
      }
      case State::kQuoteInQuoted:
        if (c == '"') {
          // A doubled quote inside a quoted field is one literal quote.
          if (absl::Status s = Append("\""); !s.ok()) return fail(s);
          state_ = State::kQuoted;
          ++i;
        } else if (c == ',') {
          previous_was_cr_ = false;
          if (absl::Status s = EndField(); !s.ok()) return fail(s);
          state_ = State::kFieldStart;
          ++i;
        } else if (IsBreak(c)) {
          if (absl::Status s = EndRecord(sink); !s.ok()) return fail(s);
          CountBreak(c);
          ++i;
        } else {
          if (malformed_.empty()) {
            malformed_ = "text after the closing quote of a quoted field";
            malformed_field_ = static_cast<int>(ends_.size());
          }
          state_ = State::kUnquoted;
        }
        continue;
    }
  }
  return absl::OkStatus();
}

absl::Status CsvReader::Finish(Sink sink) {
  if (!failure_.ok()) return failure_;
  if (state_ == State::kQuoted) {
    failure_ = absl::InvalidArgumentError(absl::StrCat(
        "line ", quote_line_, ": quoted field never closed (unterminated quote at end of file)"));
    return failure_;
  }
  if (record_started_) {
    if (absl::Status s = EndRecord(sink); !s.ok()) {
      failure_ = s;
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace analytics
