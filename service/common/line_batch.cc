#include "common/line_batch.h"

#include <cstring>
#include <utility>

#include "common/text_hash.h"

namespace analytics {
namespace {

constexpr char kFormatVersion = 2;
constexpr char kFirstFormatVersion = 1;  // every text spelled out

// Raw writes into room made beforehand: a line's twenty-odd appends, each
// checking capacity and calling memcpy, were the encoder's main cost.
char* PutVarintRaw(char* out, std::uint64_t value) {
  while (value >= 0x80) {
    *out++ = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}

char* PutSignedRaw(char* out, std::int64_t value) {
  return PutVarintRaw(
      out, (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
}

bool GetVarint(std::string_view& in, std::uint64_t& value) {
  if (!in.empty() && static_cast<std::uint8_t>(in.front()) < 0x80) {  // most are one byte
    value = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    return true;
  }
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
  magnitudes_ = {};
}

void LineBatch::Add(const OrderLineView& line) {
  constexpr std::size_t kMaxVarint = 10;
  // Fifteen lengths, six numbers and the ship date's presence byte at most.
  std::size_t most = (kOrderLineViewTexts.size() + 6) * kMaxVarint + 1;
  for (std::string_view OrderLineView::*field : kOrderLineViewTexts) most += (line.*field).size();
  const std::size_t start = bytes_.size();
  bytes_.resize(start + most);
  char* const begin = bytes_.data();
  char* out = begin + start;
  for (std::size_t i = 0; i < kOrderLineViewTexts.size(); ++i) {
    const std::string_view text = line.*kOrderLineViewTexts[i];
    Span& previous = previous_[i];
    if (lines_ > 0 && SameText(text, std::string_view(begin + previous.offset, previous.size))) {
      *out++ = 0;
      continue;
    }
    out = PutVarintRaw(out, text.size() + 1);
    previous = {static_cast<std::size_t>(out - begin), text.size()};
    if (!text.empty()) std::memcpy(out, text.data(), text.size());
    out += text.size();
  }
  out = PutSignedRaw(out, line.order_date);
  *out++ = line.ship_date.has_value() ? 1 : 0;
  if (line.ship_date) out = PutSignedRaw(out, *line.ship_date);
  out = PutSignedRaw(out, line.sales);
  out = PutSignedRaw(out, line.quantity);
  out = PutSignedRaw(out, line.discount);
  out = PutSignedRaw(out, line.profit);
  bytes_.resize(static_cast<std::size_t>(out - begin));
  ++lines_;
  magnitudes_.Add(line.sales, line.profit, line.quantity);
}

LineBatchReader::LineBatchReader(std::string_view bytes) : rest_(bytes) {
  if (rest_.empty() || (rest_.front() != kFormatVersion && rest_.front() != kFirstFormatVersion)) {
    Fail();
  } else {
    version_ = rest_.front();
    rest_.remove_prefix(1);
  }
}

absl::Status AddBatchMagnitudes(std::string_view bytes, MagnitudeTotals& totals) {
  const absl::Status damaged = absl::DataLossError("a line batch is damaged");
  if (bytes.empty() || (bytes.front() != kFormatVersion && bytes.front() != kFirstFormatVersion)) {
    return damaged;
  }
  const bool marks = bytes.front() == kFormatVersion;  // 0: "same as the line before's"
  bytes.remove_prefix(1);
  bool first = true;
  while (!bytes.empty()) {
    for (std::size_t i = 0; i < kOrderLineViewTexts.size(); ++i) {
      std::uint64_t size = 0;
      if (!GetVarint(bytes, size)) return damaged;
      if (marks) {
        if (size == 0) {
          if (first) return damaged;
          continue;
        }
        --size;
      }
      if (size > bytes.size()) return damaged;
      bytes.remove_prefix(size);
    }
    first = false;
    std::int64_t day = 0;
    if (!GetSigned(bytes, day) || bytes.empty()) return damaged;
    const char has_ship_date = bytes.front();
    bytes.remove_prefix(1);
    if (has_ship_date == 1) {
      if (!GetSigned(bytes, day)) return damaged;
    } else if (has_ship_date != 0) {
      return damaged;
    }
    std::int64_t sales = 0;
    std::int64_t quantity = 0;
    std::int64_t discount = 0;
    std::int64_t profit = 0;
    if (!GetSigned(bytes, sales) || !GetSigned(bytes, quantity) || !GetSigned(bytes, discount) ||
        !GetSigned(bytes, profit)) {
      return damaged;
    }
    totals.Add(sales, profit, quantity);
  }
  return absl::OkStatus();
}

bool LineBatchReader::Fail() {
  if (status_.ok()) status_ = absl::DataLossError("a line batch is damaged");
  rest_ = {};
  return false;
}

bool LineBatchReader::Next(OrderLineView& out) {
  if (rest_.empty()) return false;
  OrderLineView& line = current_;
  repeated_ = 0;
  for (std::size_t i = 0; i < kOrderLineViewTexts.size(); ++i) {
    std::uint64_t size = 0;
    if (!GetVarint(rest_, size)) return Fail();
    if (version_ == kFormatVersion) {
      if (size == 0) {  // the same as the line before's: left as it is
        if (first_) return Fail();
        repeated_ |= 1u << i;
        continue;
      }
      --size;
    }
    if (size > rest_.size()) return Fail();
    line.*kOrderLineViewTexts[i] = rest_.substr(0, size);
    rest_.remove_prefix(size);
  }
  first_ = false;
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
  out = line;
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
