#include "import/csv_import.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/line_key.h"
#include "common/line_validation.h"
#include "import/column_map.h"
#include "import/csv_reader.h"
#include "import/row_id_set.h"
#include "import/spool.h"
#include "import/spooled_line.h"

namespace analytics {
namespace {

std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Text for messages when the file's encoding may not be known yet (header
// names are matched in this form too: they are ASCII in practice).
std::string Displayable(std::string_view raw) {
  return FindInvalidUtf8(raw) ? ToUtf8(raw, TextEncoding::kLatin1) : std::string(raw);
}

// Why a field rejects its line.
struct Problem {
  Column column;
  std::string reason;
};

class EmptySource final : public LineSource {
 public:
  bool Next(OrderLine&) override { return false; }
};

// Reads the spool back as OrderLines.
class SpooledLineSource final : public LineSource {
 public:
  // `left_out`: records (by place, ascending) to skip; may be null.
  SpooledLineSource(std::shared_ptr<const Spool> spool, TextEncoding encoding, DateOrder order,
                    std::string source, std::shared_ptr<const std::vector<std::int64_t>> left_out)
      : reader_(spool),
        encoding_(encoding),
        order_(order),
        source_(std::move(source)),
        keys_(static_cast<std::size_t>(spool->records())),
        left_out_(std::move(left_out)) {}

  // A spool that cannot be read back (disk failure) ends the stream early;
  // status() then says why, so that the store commits nothing.
  bool Next(OrderLine& line) override {
    OrderLineView view;
    if (!NextView(view)) return false;
    AssignLine(view, line);
    return true;
  }

  bool NextBatch(LineBatch& batch) override {
    batch.Clear();
    OrderLineView view;
    while (batch.line_count() < kLinesPerBatch && NextView(view)) batch.Add(view);
    return !batch.empty();
  }

  absl::Status status() const override { return status_; }

 private:
  // The view points into the spool's buffer and converted_: valid until the
  // next call.
  bool NextView(OrderLineView& line) {
    if (!status_.ok()) return false;
    std::string_view record;
    for (;;) {
      absl::StatusOr<bool> more = reader_.Next(record);
      if (!more.ok()) {
        status_ = more.status();
        return false;
      }
      if (!*more) return false;
      const std::int64_t place = place_++;
      if (left_out_ == nullptr || skipped_ == left_out_->size() ||
          (*left_out_)[skipped_] != place) {
        break;
      }
      ++skipped_;
    }
    absl::StatusOr<RawLine> raw = DecodeRawLine(record);
    if (!raw.ok()) {
      status_ = raw.status();
      return false;
    }
    status_ = ToOrderLineView(*raw, encoding_, order_, source_, keys_, converted_, line);
    return status_.ok();
  }

  SpoolReader reader_;
  TextEncoding encoding_;
  DateOrder order_;
  std::string source_;
  LineKeyAssigner keys_;
  ConvertedTexts converted_;
  std::shared_ptr<const std::vector<std::int64_t>> left_out_;
  std::int64_t place_ = 0;   // records read so far
  std::size_t skipped_ = 0;  // left_out_ entries passed
  absl::Status status_;
};

}  // namespace

struct CsvImport::State {
  explicit State(CsvImportOptions opts)
      : options(opts),
        streaming(opts.stream_lines && !opts.skip_invalid && opts.encoding != TextEncoding::kAuto &&
                  opts.date_order != DateOrder::kAuto),
        encoding(opts.encoding) {}

  absl::Status Feed(std::string_view chunk);
  absl::Status FeedBody(std::string_view bytes);
  absl::Status ResolveBom();
  absl::Status OnRecord(const CsvRecord& record);
  absl::Status OnHeader(const CsvRecord& record);
  absl::Status OnData(const CsvRecord& record);
  absl::Status CheckEncoding(const CsvRecord& record);
  std::optional<Problem> Validate(const CsvRecord& record, RawLine& raw);
  std::optional<Problem> CheckRules(const RawLine& raw) const;
  std::optional<Problem> ParseDateField(Column column, std::string_view text, std::int64_t line,
                                        std::optional<DateText>& out);
  void Reject(std::int64_t line, int field_index, std::string reason);
  // At Finish: rejects the lines that repeat an earlier line's Row ID.
  void RejectRepeatedRowIds();
  absl::StatusOr<CsvImportSummary> Finish();

  const CsvImportOptions options;
  const bool streaming;
  absl::Status failure;
  std::optional<CsvImportSummary> summary;  // set by a successful Finish

  // The first bytes, held until we know whether they are a byte-order mark.
  bool bom_resolved = false;
  bool has_bom = false;
  std::string head;

  // The caller's choice, or kUtf8 after a byte-order mark; kAuto until
  // Finish decides from the evidence below, gathered from every field.
  TextEncoding encoding;
  bool invalid_utf8 = false;  // some field is not valid UTF-8
  bool has_c1_byte = false;   // some field holds a byte in 0x80-0x9F
  CsvReader reader;
  std::vector<std::string> header;  // raw bytes
  std::optional<ColumnMap> columns;
  DateOrderDetector dates;
  RowIdSet row_ids;
  // Accepted lines (by place) that a repeated Row ID rejected at Finish:
  // AcceptedLines() leaves them out.
  std::shared_ptr<const std::vector<std::int64_t>> left_out;
  std::shared_ptr<Spool> spool;
  std::string encoded;  // reused for every spooled line
  // Streaming: the lines accepted and not taken yet, and the default keys
  // (assigned in file order, as AcceptedLines() does).
  std::vector<LineBatch> ready;
  LineBatch filling;
  LineKeyAssigner keys;
  ConvertedTexts converted;  // reused for every streamed line

  std::int64_t lines_read = 0;
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  std::vector<RejectedLine> rejections;  // raw bytes, converted by Finish
};

absl::Status CsvImport::State::Feed(std::string_view chunk) {
  if (summary) return absl::FailedPreconditionError("CSV import: Feed after Finish");
  if (!failure.ok()) return failure;
  if (!bom_resolved) {
    // A mark split across chunks must still be recognised: wait for three
    // bytes, or for the first byte that rules the mark out.
    const std::size_t take = std::min(chunk.size(), kUtf8Bom.size() - head.size());
    head.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
    if (head.size() < kUtf8Bom.size() && kUtf8Bom.starts_with(head)) return absl::OkStatus();
    if (absl::Status s = ResolveBom(); !s.ok()) return s;
  }
  return FeedBody(chunk);
}

absl::Status CsvImport::State::ResolveBom() {
  bom_resolved = true;
  std::string_view bytes = head;
  // In a file declared single-byte these bytes are characters (Latin-1
  // "ï»¿"): keep them.
  if (!IsSingleByteEncoding(options.encoding) && bytes.starts_with(kUtf8Bom)) {
    has_bom = true;
    encoding = TextEncoding::kUtf8;
    bytes.remove_prefix(kUtf8Bom.size());
  }
  absl::Status status = FeedBody(bytes);
  head.clear();
  return status;
}

absl::Status CsvImport::State::FeedBody(std::string_view bytes) {
  absl::Status status =
      reader.Feed(bytes, [this](const CsvRecord& record) { return OnRecord(record); });
  if (!status.ok()) failure = status;
  return status;
}

absl::Status CsvImport::State::OnRecord(const CsvRecord& record) {
  return columns ? OnData(record) : OnHeader(record);
}

absl::Status CsvImport::State::CheckEncoding(const CsvRecord& record) {
  if (IsSingleByteEncoding(encoding)) return absl::OkStatus();  // any byte is valid
  // Most records are all ASCII: no evidence, nothing invalid. One pass over
  // the record instead of one call per field.
  if (IsAscii(record.bytes())) return absl::OkStatus();
  if (encoding == TextEncoding::kAuto) {
    // Only evidence here: Finish decides for the whole file, and lines
    // already spooled are converted with that decision when read back. Bytes
    // that turn out to be UTF-8 continuation bytes also count as 0x80-0x9F:
    // they matter only once the file is known not to be UTF-8, and then they
    // are characters of the single-byte encoding like any other byte.
    for (std::size_t i = 0; i < record.size() && !(invalid_utf8 && has_c1_byte); ++i) {
      const std::string_view field = record[i];
      if (!has_c1_byte) has_c1_byte = HasC1Byte(field);
      if (!invalid_utf8) invalid_utf8 = FindInvalidUtf8(field).has_value();
    }
    return absl::OkStatus();
  }
  for (std::size_t i = 0; i < record.size(); ++i) {
    const std::string_view field = record[i];
    const std::optional<std::size_t> bad = FindInvalidUtf8(field);
    if (!bad) continue;
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(field[*bad]));
    // A ragged row can have more fields than the header has names.
    const std::string where = !columns ? std::string("header")
                              : i < header.size()
                                  ? absl::StrCat("column \"", Displayable(header[i]), "\"")
                                  : absl::StrCat("field ", i + 1);
    return absl::InvalidArgumentError(
        absl::StrCat("line ", record.line(), ", ", where, ": invalid UTF-8 (byte ", byte, ")",
                     has_bom && options.encoding == TextEncoding::kAuto
                         ? "; the file starts with a UTF-8 byte-order mark but is not UTF-8"
                         : "",
                     "; if the file is not UTF-8, import it with its encoding (Latin-1, "
                     "Windows-1252 or Mac Roman) or auto"));
  }
  return absl::OkStatus();
}

absl::Status CsvImport::State::OnHeader(const CsvRecord& record) {
  if (absl::Status s = CheckEncoding(record); !s.ok()) return s;
  std::vector<std::string> display;
  for (std::size_t i = 0; i < record.size(); ++i) {
    header.emplace_back(record[i]);
    display.push_back(Displayable(record[i]));
  }
  absl::StatusOr<ColumnMap> map =
      MapHeader(std::vector<std::string_view>(display.begin(), display.end()));
  if (!map.ok()) return map.status();
  columns = *std::move(map);
  return absl::OkStatus();
}

void CsvImport::State::Reject(std::int64_t line, int field_index, std::string reason) {
  ++rejected;
  if (rejections.size() >= kMaxReportedRejections) return;
  // Cut here to bound memory, and again at Finish after conversion to UTF-8
  // (which can lengthen single-byte text) to bound the reply.
  rejections.push_back(RejectedLine{
      .line_number = line,
      .field = field_index >= 0 && static_cast<std::size_t>(field_index) < header.size()
                   ? CutForReply(header[field_index], kMaxRejectionFieldBytes)
                   : std::string(),
      .reason = CutForReply(reason, kMaxRejectionReasonBytes)});
}

std::optional<Problem> CsvImport::State::ParseDateField(Column column, std::string_view text,
                                                        std::int64_t line,
                                                        std::optional<DateText>& out) {
  out.reset();
  text = TrimBlanks(text);
  if (text.empty()) {
    if (IsRequiredColumn(column)) {
      return Problem{column, absl::StrCat("empty; ", std::string(CanonicalColumnName(column)),
                                          " is required")};
    }
    return std::nullopt;
  }
  absl::StatusOr<DateText> parts = SplitDate(text);
  if (!parts.ok()) return Problem{column, std::string(parts.status().message())};
  if (options.date_order == DateOrder::kAuto) {
    if (PossibleOrders(*parts) == 0) {
      return Problem{column,
                     absl::StrCat(QuoteInput(text), " is not an existing date, ",
                                  parts->year_first ? "year-first" : "day-first or month-first")};
    }
    dates.Observe(*parts, line);
  } else if (absl::StatusOr<Day> day = ResolveDate(*parts, options.date_order); !day.ok()) {
    return Problem{column, absl::StrCat(QuoteInput(text), ": ", day.status().message())};
  }
  out = *parts;
  return std::nullopt;
}

std::optional<Problem> CsvImport::State::Validate(const CsvRecord& record, RawLine& raw) {
  const auto field = [&](Column column) -> std::string_view {
    const int index = (*columns)[column];
    return index < 0 ? std::string_view() : record[static_cast<std::size_t>(index)];
  };
  for (std::size_t i = 0; i < kLineTextCount; ++i) raw.text[i] = field(kLineTexts[i]);

  const auto required_text = [&](Column column) -> std::optional<Problem> {
    if (!TrimBlanks(field(column)).empty()) return std::nullopt;
    return Problem{
        column, absl::StrCat("empty; ", std::string(CanonicalColumnName(column)), " is required")};
  };
  const auto money = [&](Column column, Micros& out) -> std::optional<Problem> {
    const std::string_view text = TrimBlanks(field(column));
    out = 0;
    if (text.empty()) {
      if (!IsRequiredColumn(column)) return std::nullopt;
      return Problem{column, absl::StrCat("empty; ", std::string(CanonicalColumnName(column)),
                                          " is required")};
    }
    absl::StatusOr<Micros> value = ParseDecimalMicros(text);
    if (!value.ok()) {
      // The parser quotes the whole text; keep long junk out of replies.
      return Problem{column, text.size() <= kQuotedInputBytes
                                 ? std::string(value.status().message())
                                 : absl::StrCat("not a plain decimal number: ", QuoteInput(text))};
    }
    out = *value;
    return std::nullopt;
  };

  if (auto p = required_text(Column::kOrderId)) return p;
  std::optional<DateText> order_date;
  if (auto p = ParseDateField(Column::kOrderDate, field(Column::kOrderDate), record.line(),
                              order_date)) {
    return p;
  }
  raw.order_date = *order_date;
  if (auto p = required_text(Column::kCustomerId)) return p;
  if (auto p = money(Column::kSales, raw.sales)) return p;
  if (auto p = ParseDateField(Column::kShipDate, field(Column::kShipDate), record.line(),
                              raw.ship_date)) {
    return p;
  }

  raw.quantity = 0;
  if (const std::string_view text = TrimBlanks(field(Column::kQuantity)); !text.empty()) {
    std::int64_t value = 0;
    bool ok = true;
    for (const char c : text) {
      if (c < '0' || c > '9' || value > kMaxQuantity) {
        ok = false;
        break;
      }
      value = value * 10 + (c - '0');
    }
    if (!ok || value > kMaxQuantity) {
      return Problem{
          Column::kQuantity,
          absl::StrCat(QuoteInput(text), " is not a whole number from 0 to ", kMaxQuantity)};
    }
    raw.quantity = value;
  }

  if (auto p = money(Column::kDiscount, raw.discount)) return p;
  if (auto p = money(Column::kProfit, raw.profit)) return p;
  return CheckRules(raw);
}

std::optional<Problem> CsvImport::State::CheckRules(const RawLine& raw) const {
  // The rules every write path shares (common/line_validation.h), on the
  // parsed values. Ids are checked in the file's bytes: blanks are the same
  // bytes in every encoding read here. In kAuto a date is checked as read
  // in any order it exists in; every order gives a day DayFromYmd accepted.
  const auto any_day = [&](const DateText& parts) -> Day {
    for (const DateOrder order : {DateOrder::kYmd, DateOrder::kDmy, DateOrder::kMdy}) {
      if (options.date_order != DateOrder::kAuto && order != options.date_order) continue;
      if (absl::StatusOr<Day> day = ResolveDate(parts, order); day.ok()) return *day;
    }
    return 0;  // unreachable: the parse accepted the date in some order
  };
  OrderLineView view;
  view.order_id = raw[LineField::kOrderId];
  view.customer_id = raw[LineField::kCustomerId];
  view.order_date = any_day(raw.order_date);
  if (raw.ship_date) view.ship_date = any_day(*raw.ship_date);
  view.sales = raw.sales;
  view.quantity = raw.quantity;
  view.discount = raw.discount;
  view.profit = raw.profit;
  const std::optional<LineProblem> problem = ValidateLine(view);
  if (!problem) return std::nullopt;
  return Problem{problem->field, problem->reason};
}

absl::Status CsvImport::State::OnData(const CsvRecord& record) {
  bool all_empty = true;
  for (std::size_t i = 0; i < record.size() && all_empty; ++i) all_empty = record[i].empty();
  if (all_empty) return absl::OkStatus();

  ++lines_read;
  if (absl::Status s = CheckEncoding(record); !s.ok()) return s;
  if (!record.malformed().empty()) {
    Reject(record.line(), record.malformed_field(), std::string(record.malformed()));
    return absl::OkStatus();
  }
  if (record.size() != columns->field_count) {
    Reject(record.line(), -1,
           absl::StrCat("has ", record.size(), " field", record.size() == 1 ? "" : "s",
                        " but the header has ", columns->field_count));
    return absl::OkStatus();
  }
  RawLine raw;
  if (std::optional<Problem> problem = Validate(record, raw)) {
    Reject(record.line(), (*columns)[problem->column], std::move(problem->reason));
    return absl::OkStatus();
  }
  // Repeats are looked for at the end (row_id_set.h): the line counts as
  // accepted until then. `accepted` is its place among accepted lines.
  if (const std::string_view row_id = raw[LineField::kLineKey]; !row_id.empty()) {
    row_ids.Add(row_id, record.line(), accepted);
  }
  if (streaming) {
    OrderLineView line;
    if (absl::Status s = ToOrderLineView(raw, encoding, options.date_order, options.source, keys,
                                         converted, line);
        !s.ok()) {
      return s;
    }
    filling.Add(line);
    if (filling.line_count() == kLinesPerBatch) ready.push_back(std::move(filling));
    ++accepted;
    return absl::OkStatus();
  }
  if (spool == nullptr) {
    absl::StatusOr<std::shared_ptr<Spool>> created = Spool::Create();
    if (!created.ok()) return created.status();
    spool = *std::move(created);
  }
  EncodeRawLine(raw, encoded);
  if (absl::Status s = spool->Append(encoded); !s.ok()) return s;
  ++accepted;
  return absl::OkStatus();
}

void CsvImport::State::RejectRepeatedRowIds() {
  RowIdSet::Repeats repeats = row_ids.FindRepeats(kMaxReportedRejections);
  if (repeats.tags.empty()) return;
  const int column = (*columns)[Column::kLineKey];
  for (const RowIdSet::Repeat& repeat : repeats.first) {
    rejections.push_back(
        RejectedLine{.line_number = repeat.line,
                     .field = column >= 0 && static_cast<std::size_t>(column) < header.size()
                                  ? CutForReply(header[column], kMaxRejectionFieldBytes)
                                  : std::string(),
                     .reason = absl::StrCat("duplicate Row ID ", QuoteInput(repeat.id),
                                            " (first on line ", repeat.first_line, ")")});
  }
  // In file order, the first kMaxReportedRejections of both kinds: those
  // found as lines arrived are complete up to where their list filled up,
  // and any later one is not among the first.
  std::stable_sort(
      rejections.begin(), rejections.end(),
      [](const RejectedLine& a, const RejectedLine& b) { return a.line_number < b.line_number; });
  if (rejections.size() > kMaxReportedRejections) rejections.resize(kMaxReportedRejections);
  const auto count = static_cast<std::int64_t>(repeats.tags.size());
  rejected += count;
  accepted -= count;
  left_out = std::make_shared<const std::vector<std::int64_t>>(std::move(repeats.tags));
}

absl::StatusOr<CsvImportSummary> CsvImport::State::Finish() {
  if (summary) return *summary;
  if (!failure.ok()) return failure;
  const auto fail = [this](absl::Status status) {
    failure = status;
    return status;
  };
  if (!bom_resolved) {
    if (absl::Status s = ResolveBom(); !s.ok()) return s;
  }
  if (absl::Status s = reader.Finish([this](const CsvRecord& record) { return OnRecord(record); });
      !s.ok()) {
    return fail(s);
  }
  if (!columns) return fail(absl::InvalidArgumentError("empty file: no header line"));

  CsvImportSummary result;
  if (encoding != TextEncoding::kAuto) {
    result.encoding = encoding;
  } else if (!invalid_utf8) {
    result.encoding = TextEncoding::kUtf8;
  } else {
    result.encoding =
        ChooseSingleByteEncoding(has_c1_byte, reader.bare_cr_breaks(), reader.lf_breaks());
  }
  if (options.date_order == DateOrder::kAuto) {
    absl::StatusOr<DateOrder> decided = dates.Decide();
    if (!decided.ok()) return fail(decided.status());
    result.date_order = *decided;
  } else {
    result.date_order = options.date_order;
  }
  if (spool != nullptr) {
    if (absl::Status s = spool->Flush(); !s.ok()) return fail(s);
  }
  if (!filling.empty()) ready.push_back(std::move(filling));
  RejectRepeatedRowIds();
  result.lines_read = lines_read;
  result.accepted = accepted;
  result.rejected = rejected;
  for (const RejectedLine& rejection : rejections) {
    result.rejected_lines.push_back(
        {rejection.line_number,
         CutForReply(ToUtf8(rejection.field, result.encoding), kMaxRejectionFieldBytes),
         CutForReply(ToUtf8(rejection.reason, result.encoding), kMaxRejectionReasonBytes)});
  }
  // At most 1024 (the fields of a record), each cut like a rejection's field.
  for (const int index : columns->unknown) {
    result.unknown_columns.push_back(
        CutForReply(ToUtf8(header[index], result.encoding), kMaxRejectionFieldBytes));
  }
  summary = result;
  return result;
}

CsvImport::CsvImport(CsvImportOptions options) : state_(std::make_unique<State>(options)) {}

CsvImport::~CsvImport() = default;

absl::Status CsvImport::Feed(std::string_view chunk) { return state_->Feed(chunk); }

absl::StatusOr<CsvImportSummary> CsvImport::Finish() { return state_->Finish(); }

bool CsvImport::streaming() const { return state_->streaming; }

void CsvImport::TakeLines(std::vector<LineBatch>& batches) {
  for (LineBatch& batch : state_->ready) batches.push_back(std::move(batch));
  state_->ready.clear();
}

std::unique_ptr<LineSource> CsvImport::AcceptedLines() {
  if (!state_->summary || state_->spool == nullptr) return std::make_unique<EmptySource>();
  return std::make_unique<SpooledLineSource>(state_->spool, state_->summary->encoding,
                                             state_->summary->date_order, state_->options.source,
                                             state_->left_out);
}

}  // namespace analytics
