// libFuzzer target: the IngestTransactions wire reader (api/ingest_decoder.h)
// on whatever bytes a client can send as one message, against protobuf's
// generated parser. Properties: the reader never reads past the bytes;
// whenever protobuf parses the message, the reader reads it too, with the
// same lines field by field and the same `last`; whenever the reader
// refuses it, so does protobuf. The reader may accept what protobuf refuses
// only for invalid UTF-8 in a text (it leaves that to the line's validation,
// which rejects the one line): the bytes must then be well-formed.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "api/ingest_decoder.h"
#include "customer_analytics/v1/analytics_service.pb.h"
#include "google/protobuf/unknown_field_set.h"

namespace {

using analytics::api::IngestMessageReader;
using analytics::api::WireLine;

bool SameDouble(double a, double b) {
  return std::isnan(a) ? std::isnan(b) : std::memcmp(&a, &b, sizeof a) == 0;
}

bool SameLine(const WireLine& expected, const WireLine& actual) {
  return expected.texts == actual.texts && SameDouble(expected.sales, actual.sales) &&
         SameDouble(expected.discount, actual.discount) &&
         SameDouble(expected.profit, actual.profit) && expected.quantity == actual.quantity;
}

// Whether `bytes` are well-formed protobuf wire data, each `lines` entry
// included, whatever their texts hold: what protobuf then refuses can only
// be a text's UTF-8 (also in a value a later occurrence of its field
// replaces, which the reader never looks at).
bool WellFormed(std::string_view bytes) {
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields.field(i);
    if (field.number() != 1 ||
        field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    google::protobuf::UnknownFieldSet line;
    if (!line.ParseFromString(field.length_delimited())) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A copy of its own, exactly as long as the input: ASan then catches a read
  // one byte past the message.
  const std::vector<char> bytes(data, data + size);
  const std::string_view view(bytes.data(), bytes.size());

  IngestMessageReader reader(view);
  std::vector<WireLine> lines;
  WireLine line;
  while (reader.Next(line)) lines.push_back(line);

  ::customer_analytics::v1::IngestTransactionsRequest parsed;
  const bool protobuf_ok = parsed.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  if (!reader.ok()) {
    if (protobuf_ok) std::abort();  // refused what protobuf reads
    return 0;
  }
  if (!protobuf_ok) {
    if (!WellFormed(view)) std::abort();  // accepted malformed bytes
    return 0;
  }
  if (reader.last() != parsed.last()) std::abort();
  if (lines.size() != static_cast<std::size_t>(parsed.lines_size())) std::abort();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!SameLine(analytics::api::WireLineOf(parsed.lines(static_cast<int>(i))), lines[i])) {
      std::abort();
    }
  }
  return 0;
}
