#include "common/line_batch.h"

#include <utility>

namespace analytics {
namespace {

constexpr char kFormatVersion = 1;

void PutVarint(std::string& out, std::uint64_t value) {
  char buffer[10];
  int n = 0;
  while (value >= 0x80) {
    buffer[n++] = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  buffer[n++] = static_cast<char>(value);
  out.append(buffer, n);
}

void PutSigned(std::string& out, std::int64_t value) {
  PutVarint(out,
            (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
}

bool GetVarint(std::string_view& in, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool GetSigned(std::string_view& in, std::int64_t& value) {
  std::uint64_t raw = 0;
  if (!GetVarint(in, raw)) return false;
  value = static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
  return true;
}

}  // namespace

OrderLineView ViewOf(const OrderLine& line) {
  OrderLineView view;
  for (std::size_t i = 0; i < kOrderLineTexts.size(); ++i) {
    view.*kOrderLineViewTexts[i] = line.*kOrderLineTexts[i];
  }
  view.order_date = line.order_date;
  view.ship_date = line.ship_date;
  view.sales = line.sales;
  view.quantity = line.quantity;
  view.discount = line.discount;
  view.profit = line.profit;
  return view;
}

void AssignLine(const OrderLineView& view, OrderLine& line) {
  for (std::size_t i = 0; i < kOrderLineTexts.size(); ++i) {
    line.*kOrderLineTexts[i] = view.*kOrderLineViewTexts[i];
  }
  line.order_date = view.order_date;
  line.ship_date = view.ship_date;
  line.sales = view.sales;
  line.quantity = view.quantity;
  line.discount = view.discount;
  line.profit = view.profit;
}

void LineBatch::Clear() {
  bytes_.assign(1, kFormatVersion);
  lines_ = 0;
}

void LineBatch::Add(const OrderLineView& line) {
  for (std::string_view OrderLineView::*field : kOrderLineViewTexts) {
    const std::string_view text = line.*field;
    PutVarint(bytes_, text.size());
    bytes_.append(text);
  }
  PutSigned(bytes_, line.order_date);
  bytes_.push_back(line.ship_date.has_value() ? 1 : 0);
  if (line.ship_date) PutSigned(bytes_, *line.ship_date);
  PutSigned(bytes_, line.sales);
  PutSigned(bytes_, line.quantity);
  PutSigned(bytes_, line.discount);
  PutSigned(bytes_, line.profit);
  ++lines_;
}

LineBatchReader::LineBatchReader(std::string_view bytes) : rest_(bytes) {
  if (rest_.empty() || rest_.front() != kFormatVersion) {
    Fail();
  } else {
    rest_.remove_prefix(1);
  }
}

bool LineBatchReader::Fail() {
  if (status_.ok()) status_ = absl::DataLossError("a line batch is damaged");
  rest_ = {};
  return false;
}

bool LineBatchReader::Next(OrderLineView& line) {
  if (rest_.empty()) return false;
  for (std::string_view OrderLineView::*field : kOrderLineViewTexts) {
    std::uint64_t size = 0;
    if (!GetVarint(rest_, size) || size > rest_.size()) return Fail();
    line.*field = rest_.substr(0, size);
    rest_.remove_prefix(size);
  }
  std::int64_t order_date = 0;
  if (!GetSigned(rest_, order_date) || rest_.empty()) return Fail();
  line.order_date = static_cast<Day>(order_date);
  const char has_ship_date = rest_.front();
  rest_.remove_prefix(1);
  line.ship_date.reset();
  if (has_ship_date == 1) {
    std::int64_t ship_date = 0;
    if (!GetSigned(rest_, ship_date)) return Fail();
    line.ship_date = static_cast<Day>(ship_date);
  } else if (has_ship_date != 0) {
    return Fail();
  }
  if (!GetSigned(rest_, line.sales) || !GetSigned(rest_, line.quantity) ||
      !GetSigned(rest_, line.discount) || !GetSigned(rest_, line.profit)) {
    return Fail();
  }
  return true;
}

bool LineBatchReader::Next(OrderLine& line) {
  OrderLineView view;
  if (!Next(view)) return false;
  AssignLine(view, line);
  return true;
}

bool LineSource::NextBatch(LineBatch& batch) {
  batch.Clear();
  OrderLine line;
  while (batch.line_count() < kLinesPerBatch && Next(line)) batch.Add(line);
  return !batch.empty();
}

}  // namespace analytics
