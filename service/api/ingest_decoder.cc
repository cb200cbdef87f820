#include "api/ingest_decoder.h"

#include <cstring>

#include "google/protobuf/wire_format_lite.h"

namespace analytics::api {
namespace {

using google::protobuf::internal::WireFormatLite;

constexpr int kLinesField = 1;  // IngestTransactionsRequest.lines
// OrderLine's fields: 1-17 texts, then these.
constexpr int kLastTextField = 17;
constexpr int kSalesField = 18;
constexpr int kQuantityField = 19;
constexpr int kDiscountField = 20;
constexpr int kProfitField = 21;

const std::uint8_t* Bytes(std::string_view bytes) {
  return reinterpret_cast<const std::uint8_t*>(bytes.data());
}

// Protobuf's streams count in int: a message is far smaller (gRPC's
// receive limit), but clamp rather than overflow.
int Size(std::string_view bytes) {
  return bytes.size() > static_cast<std::size_t>(INT32_MAX) ? INT32_MAX
                                                            : static_cast<int>(bytes.size());
}

}  // namespace

IngestMessageReader::IngestMessageReader(std::string_view bytes)
    : in_(Bytes(bytes), Size(bytes)), size_(Size(bytes)) {
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) Fail();
}

bool IngestMessageReader::Fail() {
  ok_ = false;
  done_ = true;
  return false;
}

bool IngestMessageReader::Next(WireLine& line) {
  while (!done_) {
    if (in_.ExpectAtEnd()) {
      done_ = true;
      return false;
    }
    const std::uint32_t tag = in_.ReadTag();
    if (tag == 0) return Fail();
    if (WireFormatLite::GetTagFieldNumber(tag) == kLinesField &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      std::uint32_t length = 0;
      if (!in_.ReadVarint32(&length)) return Fail();
      return ReadLine(length, line) || Fail();
    }
    if (!WireFormatLite::SkipField(&in_, tag)) return Fail();
  }
  return false;
}

bool IngestMessageReader::ReadLine(std::uint32_t length, WireLine& line) {
  if (length > static_cast<std::uint32_t>(size_ - in_.CurrentPosition())) return false;
  line = WireLine();
  const auto limit = in_.PushLimit(static_cast<int>(length));
  while (in_.BytesUntilLimit() > 0) {
    const std::uint32_t tag = in_.ReadTag();
    if (tag == 0) return false;
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const WireFormatLite::WireType type = WireFormatLite::GetTagWireType(tag);
    if (field >= 1 && field <= kLastTextField &&
        type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      std::uint32_t size = 0;
      if (!in_.ReadVarint32(&size)) return false;
      std::string_view& text = line.texts[field - 1];
      if (size == 0) {
        text = {};
        continue;
      }
      const void* data = nullptr;
      int available = 0;
      if (!in_.GetDirectBufferPointer(&data, &available) ||
          static_cast<std::uint32_t>(available) < size) {
        return false;
      }
      text = std::string_view(static_cast<const char*>(data), size);
      if (!in_.Skip(static_cast<int>(size))) return false;
    } else if ((field == kSalesField || field == kDiscountField || field == kProfitField) &&
               type == WireFormatLite::WIRETYPE_FIXED64) {
      std::uint64_t bits = 0;
      if (!in_.ReadLittleEndian64(&bits)) return false;
      double value = 0;
      std::memcpy(&value, &bits, sizeof value);
      (field == kSalesField      ? line.sales
       : field == kDiscountField ? line.discount
                                 : line.profit) = value;
    } else if (field == kQuantityField && type == WireFormatLite::WIRETYPE_VARINT) {
      std::uint64_t value = 0;
      if (!in_.ReadVarint64(&value)) return false;
      line.quantity = static_cast<std::int64_t>(value);
    } else if (!WireFormatLite::SkipField(&in_, tag)) {
      return false;
    }
  }
  in_.PopLimit(limit);
  return true;
}

}  // namespace analytics::api
