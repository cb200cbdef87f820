#include "api/ingest_decoder.h"

#include <cstring>

namespace analytics::api {
namespace {

// Wire types (protobuf encoding spec).
constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLengthDelimited = 2;
constexpr int kStartGroup = 3;
constexpr int kEndGroup = 4;
constexpr int kFixed32 = 5;

using Request = ::customer_analytics::v1::IngestTransactionsRequest;
constexpr std::uint32_t kLinesField = Request::kLinesFieldNumber;
constexpr std::uint32_t kLastField = Request::kLastFieldNumber;
constexpr std::uint32_t kSourceField = Request::kSourceFieldNumber;
using Line = ::customer_analytics::v1::OrderLine;
// OrderLine's strings are its fields line_id (1) to product_name; WireLine
// keeps field n at texts[n - 1].
constexpr std::uint32_t kFirstTextField = Line::kLineIdFieldNumber;
constexpr std::uint32_t kLastTextField = Line::kProductNameFieldNumber;
static_assert(kFirstTextField == 1 && kLastTextField == kWireTextCount);
constexpr std::uint32_t kSalesField = Line::kSalesFieldNumber;
constexpr std::uint32_t kQuantityField = Line::kQuantityFieldNumber;
constexpr std::uint32_t kDiscountField = Line::kDiscountFieldNumber;
constexpr std::uint32_t kProfitField = Line::kProfitFieldNumber;

// Groups nest; protobuf's parser gives up at this depth, and so do we.
constexpr int kMaxGroupDepth = 100;

}  // namespace

// A cursor over the bytes. Each read checks the end, so malformed bytes are
// a failed read, never a read past the message.
class IngestMessageReader::Cursor {
 public:
  Cursor(const char* begin, const char* end) : p_(begin), end_(end) {}

  bool AtEnd() const { return p_ == end_; }
  const char* position() const { return p_; }

  // Up to ten bytes, as protobuf reads a varint.
  bool Varint(std::uint64_t& value) {
    if (p_ < end_ && static_cast<unsigned char>(*p_) < 0x80) {  // one byte: most
      value = static_cast<unsigned char>(*p_++);
      return true;
    }
    std::uint64_t result = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const auto byte = static_cast<unsigned char>(*p_++);
      result |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (byte < 0x80) {
        value = result;
        return true;
      }
    }
    return false;
  }

  // A tag: field number and wire type. Field number 0 is malformed.
  // As protobuf reads one: at most five bytes (a longer tag is malformed),
  // of which it keeps the low 32 bits.
  bool Tag(std::uint32_t& field, int& type) {
    std::uint32_t tag32 = 0;
    for (int i = 0;; ++i) {
      if (i == 5 || p_ == end_) return false;
      const auto byte = static_cast<unsigned char>(*p_++);
      tag32 |= static_cast<std::uint32_t>(byte & 0x7f) << (7 * i);
      if (byte < 0x80) break;
    }
    field = tag32 >> 3;
    type = static_cast<int>(tag32 & 7);
    return field != 0;
  }

  // A length-delimited payload.
  bool Bytes(std::string_view& bytes) {
    std::uint64_t size = 0;
    if (!Varint(size) || size > static_cast<std::uint64_t>(end_ - p_)) return false;
    bytes = std::string_view(p_, size);
    p_ += size;
    return true;
  }

  bool Fixed64(std::uint64_t& value) {
    if (end_ - p_ < 8) return false;
    std::memcpy(&value, p_, 8);  // little-endian, as the wire is (x86, ARM)
    p_ += 8;
    return true;
  }

  bool Skip(std::size_t bytes) {
    if (static_cast<std::size_t>(end_ - p_) < bytes) return false;
    p_ += bytes;
    return true;
  }

  // Skips a field whose tag was just read.
  bool SkipField(std::uint32_t field, int type, int depth = 0) {
    std::uint64_t ignored = 0;
    std::string_view bytes;
    switch (type) {
      case kVarint:
        return Varint(ignored);
      case kFixed64:
        return Skip(8);
      case kLengthDelimited:
        return Bytes(bytes);
      case kFixed32:
        return Skip(4);
      case kStartGroup:
        if (depth >= kMaxGroupDepth) return false;
        for (;;) {
          std::uint32_t inner = 0;
          int inner_type = 0;
          if (!Tag(inner, inner_type)) return false;
          if (inner_type == kEndGroup) return inner == field;
          if (!SkipField(inner, inner_type, depth + 1)) return false;
        }
      default:  // an end-group without its start, or wire types 6 and 7
        return false;
    }
  }

 private:
  const char* p_;
  const char* end_;
};

IngestMessageReader::IngestMessageReader(std::string_view bytes)
    : cursor_(std::make_unique<Cursor>(bytes.data(), bytes.data() + bytes.size())) {}

IngestMessageReader::~IngestMessageReader() = default;

bool IngestMessageReader::Fail() {
  ok_ = false;
  done_ = true;
  return false;
}

bool IngestMessageReader::Next(WireLine& line) {
  Cursor& in = *cursor_;
  while (!done_) {
    if (in.AtEnd()) {
      done_ = true;
      return false;
    }
    std::uint32_t field = 0;
    int type = 0;
    if (!in.Tag(field, type)) return Fail();
    if (field == kLinesField && type == kLengthDelimited) {
      std::string_view bytes;
      if (!in.Bytes(bytes)) return Fail();
      return ReadLine(bytes, line) || Fail();
    }
    if (field == kLastField && type == kVarint) {
      // A bool: any non-zero varint is true, and a later occurrence wins.
      std::uint64_t value = 0;
      if (!in.Varint(value)) return Fail();
      last_ = value != 0;
      continue;
    }
    if (!in.SkipField(field, type)) return Fail();
  }
  return false;
}

bool IngestMessageReader::FindSource(std::string_view bytes, std::string_view& source) {
  source = {};
  Cursor in(bytes.data(), bytes.data() + bytes.size());
  // Top-level fields only: each line is skipped by its length, unread.
  while (!in.AtEnd()) {
    std::uint32_t field = 0;
    int type = 0;
    if (!in.Tag(field, type)) return false;
    if (field == kSourceField && type == kLengthDelimited) {
      // A later occurrence wins, as for any proto3 field.
      if (!in.Bytes(source)) return false;
    } else if (!in.SkipField(field, type)) {
      return false;
    }
  }
  return true;
}

bool IngestMessageReader::ReadLine(std::string_view bytes, WireLine& line) {
  line = WireLine();
  Cursor in(bytes.data(), bytes.data() + bytes.size());
  while (!in.AtEnd()) {
    std::uint32_t field = 0;
    int type = 0;
    if (!in.Tag(field, type)) return false;
    if (field <= kLastTextField && type == kLengthDelimited) {
      if (!in.Bytes(line.texts[field - kFirstTextField])) return false;
    } else if ((field == kSalesField || field == kDiscountField || field == kProfitField) &&
               type == kFixed64) {
      std::uint64_t bits = 0;
      if (!in.Fixed64(bits)) return false;
      double value = 0;
      std::memcpy(&value, &bits, sizeof value);
      (field == kSalesField      ? line.sales
       : field == kDiscountField ? line.discount
                                 : line.profit) = value;
    } else if (field == kQuantityField && type == kVarint) {
      std::uint64_t value = 0;
      if (!in.Varint(value)) return false;
      line.quantity = static_cast<std::int64_t>(value);
    } else if (!in.SkipField(field, type)) {
      return false;
    }
  }
  return true;
}

}  // namespace analytics::api
