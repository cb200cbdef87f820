#include "import/spooled_line.h"

#include <cstring>
#include <type_traits>

namespace analytics {
namespace {

template <typename T>
void Put(std::string& out, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

void PutDate(std::string& out, const DateText& date) {
  Put<std::uint8_t>(out, date.year_first ? 1 : 0);
  Put<std::int32_t>(out, date.first);
  Put<std::int32_t>(out, date.second);
  Put<std::int32_t>(out, date.year);
}

// Reads fixed-size values and length-prefixed strings in order; any overrun
// marks the whole decode as failed.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}

  template <typename T>
  T Get() {
    T value{};
    if (!Need(sizeof value)) return value;
    std::memcpy(&value, bytes_.data() + position_, sizeof value);
    position_ += sizeof value;
    return value;
  }
  std::string_view GetText() {
    const auto length = Get<std::uint32_t>();
    if (!Need(length)) return {};
    const std::string_view text = bytes_.substr(position_, length);
    position_ += length;
    return text;
  }
  DateText GetDate() {
    DateText date;
    date.year_first = Get<std::uint8_t>() != 0;
    date.first = Get<std::int32_t>();
    date.second = Get<std::int32_t>();
    date.year = Get<std::int32_t>();
    return date;
  }
  bool ok() const { return ok_ && position_ == bytes_.size(); }

 private:
  bool Need(std::size_t n) {
    if (!ok_ || bytes_.size() - position_ < n) ok_ = false;
    return ok_;
  }

  std::string_view bytes_;
  std::size_t position_ = 0;
  bool ok_ = true;
};

// Every text field goes through here with the encoding decided for the whole
// file, whatever was known when the line was spooled.
void AssignText(std::string_view raw, TextEncoding encoding, std::string& out) {
  out.clear();
  AppendAsUtf8(raw, encoding, out);
}

}  // namespace

void EncodeRawLine(const RawLine& line, std::string& out) {
  out.clear();
  for (std::string_view text : line.text) {
    Put<std::uint32_t>(out, static_cast<std::uint32_t>(text.size()));
    out.append(text);
  }
  PutDate(out, line.order_date);
  Put<std::uint8_t>(out, line.ship_date ? 1 : 0);
  if (line.ship_date) PutDate(out, *line.ship_date);
  Put<std::int64_t>(out, line.sales);
  Put<std::int64_t>(out, line.quantity);
  Put<std::int64_t>(out, line.discount);
  Put<std::int64_t>(out, line.profit);
}

absl::StatusOr<RawLine> DecodeRawLine(std::string_view bytes) {
  Cursor cursor(bytes);
  RawLine line;
  for (std::string_view& text : line.text) text = cursor.GetText();
  line.order_date = cursor.GetDate();
  if (cursor.Get<std::uint8_t>() != 0) line.ship_date = cursor.GetDate();
  line.sales = cursor.Get<std::int64_t>();
  line.quantity = cursor.Get<std::int64_t>();
  line.discount = cursor.Get<std::int64_t>();
  line.profit = cursor.Get<std::int64_t>();
  if (!cursor.ok()) return absl::DataLossError("import spool: malformed record");
  return line;
}

absl::Status ToOrderLineView(const RawLine& raw, TextEncoding encoding, DateOrder order,
                             std::string_view source, LineKeyAssigner& keys,
                             ConvertedTexts& converted, OrderLineView& line) {
  const bool as_is = !IsSingleByteEncoding(encoding);  // UTF-8 already
  for (std::size_t i = 0; i < kLineTextCount; ++i) {
    if (as_is) {
      line.*kOrderLineViewTexts[i] = raw.text[i];
    } else {
      AssignText(raw.text[i], encoding, converted.texts[i]);
      line.*kOrderLineViewTexts[i] = converted.texts[i];
    }
  }
  if (line.line_key.empty()) {
    converted.key = keys.NextKey(line.order_id, line.product_id);
    line.line_key = converted.key;
  } else if (!source.empty()) {
    SourcedKey(source, line.line_key, converted.key);
    line.line_key = converted.key;
  }
  // Dates were checked against `order` before spooling; failing here means
  // the order changed under us, which is a bug, not bad input.
  absl::StatusOr<Day> order_date = ResolveDate(raw.order_date, order);
  if (!order_date.ok()) return order_date.status();
  line.order_date = *order_date;
  line.ship_date.reset();
  if (raw.ship_date) {
    absl::StatusOr<Day> ship_date = ResolveDate(*raw.ship_date, order);
    if (!ship_date.ok()) return ship_date.status();
    line.ship_date = *ship_date;
  }
  line.sales = raw.sales;
  line.quantity = raw.quantity;
  line.discount = raw.discount;
  line.profit = raw.profit;
  return absl::OkStatus();
}

absl::Status ToOrderLine(const RawLine& raw, TextEncoding encoding, DateOrder order,
                         std::string_view source, LineKeyAssigner& keys, OrderLine& line) {
  ConvertedTexts converted;
  OrderLineView view;
  if (absl::Status s = ToOrderLineView(raw, encoding, order, source, keys, converted, view);
      !s.ok()) {
    return s;
  }
  AssignLine(view, line);
  return absl::OkStatus();
}

}  // namespace analytics
