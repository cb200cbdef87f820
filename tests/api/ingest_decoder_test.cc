// IngestMessageReader against protobuf's generated parser: on random
// messages, messages with unknown, repeated and mistyped fields, and every
// truncation, both must agree on whether the bytes are a valid message and,
// if so, on every line's fields.
#include "api/ingest_decoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/unknown_field_set.h"

namespace analytics::api {
namespace {

// The lines protobuf parses from `bytes`, or nothing when it cannot.
std::optional<std::vector<WireLine>> ParsedByProtobuf(const std::string& bytes,
                                                      v1::IngestTransactionsRequest& request) {
  if (!request.ParseFromString(bytes)) return std::nullopt;
  std::vector<WireLine> lines;
  for (const v1::OrderLine& line : request.lines()) lines.push_back(WireLineOf(line));
  return lines;
}

std::optional<std::vector<WireLine>> ReadDirectly(const std::string& bytes) {
  IngestMessageReader reader(bytes);
  std::vector<WireLine> lines;
  WireLine line;
  while (reader.Next(line)) lines.push_back(line);
  if (!reader.ok()) return std::nullopt;
  return lines;
}

bool SameDouble(double a, double b) {
  return std::isnan(a) ? std::isnan(b) : std::memcmp(&a, &b, sizeof a) == 0;
}

void ExpectSame(const std::vector<WireLine>& expected, const std::vector<WireLine>& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    for (std::size_t t = 0; t < expected[i].texts.size(); ++t) {
      EXPECT_EQ(expected[i].texts[t], actual[i].texts[t]) << "line " << i << " field " << t + 1;
    }
    EXPECT_TRUE(SameDouble(expected[i].sales, actual[i].sales)) << "line " << i;
    EXPECT_TRUE(SameDouble(expected[i].discount, actual[i].discount)) << "line " << i;
    EXPECT_TRUE(SameDouble(expected[i].profit, actual[i].profit)) << "line " << i;
    EXPECT_EQ(expected[i].quantity, actual[i].quantity) << "line " << i;
  }
}

// Both readers on the same bytes: same verdict, same lines.
void ExpectAgree(const std::string& bytes) {
  v1::IngestTransactionsRequest request;
  const std::optional<std::vector<WireLine>> expected = ParsedByProtobuf(bytes, request);
  const std::optional<std::vector<WireLine>> actual = ReadDirectly(bytes);
  ASSERT_EQ(expected.has_value(), actual.has_value()) << "on " << bytes.size() << " bytes";
  if (expected) ExpectSame(*expected, *actual);
}

std::string RandomText(std::mt19937_64& random) {
  static const std::vector<std::string> pieces = {
      "a", "Z", "0", "-", "/", " ", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "Row"};
  std::string text;
  const int length = std::uniform_int_distribution<int>(0, 3)(random) == 0
                         ? std::uniform_int_distribution<int>(100, 300)(random)  // 2-byte sizes
                         : std::uniform_int_distribution<int>(0, 12)(random);
  for (int i = 0; i < length; ++i) text += pieces[random() % pieces.size()];
  return text;
}

double RandomDouble(std::mt19937_64& random) {
  switch (random() % 6) {
    case 0:
      return 0;
    case 1:
      return -0.0;
    case 2:
      return std::numeric_limits<double>::quiet_NaN();
    case 3:
      return std::numeric_limits<double>::infinity();
    default:
      return std::uniform_real_distribution<double>(-1e6, 1e6)(random);
  }
}

v1::OrderLine RandomLine(std::mt19937_64& random) {
  v1::OrderLine line;
  const google::protobuf::Descriptor* descriptor = line.GetDescriptor();
  const google::protobuf::Reflection* reflection = line.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (random() % 4 == 0) continue;  // left at its default
    switch (field->cpp_type()) {
      case google::protobuf::FieldDescriptor::CPPTYPE_STRING:
        reflection->SetString(&line, field, RandomText(random));
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE:
        reflection->SetDouble(&line, field, RandomDouble(random));
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_INT64:
        reflection->SetInt64(&line, field, static_cast<std::int64_t>(random()));
        break;
      default:
        ADD_FAILURE() << "OrderLine has a field of a type the reader does not know: "
                      << field->name();
    }
  }
  return line;
}

// The reader knows OrderLine's fields by number; a field added to the
// message without teaching the reader fails here.
TEST(IngestMessageReader, KnowsEveryOrderLineField) {
  const google::protobuf::Descriptor* descriptor = v1::OrderLine::descriptor();
  EXPECT_EQ(descriptor->field_count(), 21);
  for (int number = 1; number <= 17; ++number) {
    const google::protobuf::FieldDescriptor* field = descriptor->FindFieldByNumber(number);
    ASSERT_NE(field, nullptr) << number;
    EXPECT_EQ(field->type(), google::protobuf::FieldDescriptor::TYPE_STRING) << field->name();
  }
  EXPECT_EQ(descriptor->FindFieldByNumber(18)->name(), "sales");
  EXPECT_EQ(descriptor->FindFieldByNumber(19)->type(),
            google::protobuf::FieldDescriptor::TYPE_INT64);
  EXPECT_EQ(descriptor->FindFieldByNumber(20)->name(), "discount");
  EXPECT_EQ(descriptor->FindFieldByNumber(21)->name(), "profit");
}

TEST(IngestMessageReader, ReadsRandomMessagesAsProtobufDoes) {
  std::mt19937_64 random(20261202);
  for (int round = 0; round < 300; ++round) {
    v1::IngestTransactionsRequest request;
    const int lines = static_cast<int>(random() % 20);
    for (int i = 0; i < lines; ++i) *request.add_lines() = RandomLine(random);
    ExpectAgree(request.SerializeAsString());
  }
}

TEST(IngestMessageReader, SkipsUnknownFieldsAndTakesTheLastOfARepeatedOne) {
  std::mt19937_64 random(7);
  v1::IngestTransactionsRequest request;
  for (int i = 0; i < 3; ++i) *request.add_lines() = RandomLine(random);
  v1::OrderLine& line = *request.mutable_lines(1);
  line.set_order_id("first");
  google::protobuf::UnknownFieldSet* unknown = line.GetReflection()->MutableUnknownFields(&line);
  unknown->AddVarint(99, 12345);
  unknown->AddFixed32(98, 7);
  unknown->AddLengthDelimited(97, "ignored");
  unknown->AddGroup(96)->AddVarint(1, 1);
  unknown->AddLengthDelimited(2, "second");  // order_id again: the later one wins
  unknown->AddVarint(6, 5);                  // customer_id with a varint: not a string, skipped
  unknown->AddLengthDelimited(19, "x");      // quantity as bytes: skipped
  request.GetReflection()->MutableUnknownFields(&request)->AddVarint(50, 1);
  const std::string bytes = request.SerializeAsString();
  ExpectAgree(bytes);
  const std::optional<std::vector<WireLine>> lines = ReadDirectly(bytes);
  ASSERT_TRUE(lines);
  EXPECT_EQ((*lines)[1].texts[1], "second");
}

// Every prefix of a message: protobuf rejects the cut ones, and accepts
// those that end between two fields; the reader must say the same.
TEST(IngestMessageReader, AgreesOnEveryTruncation) {
  std::mt19937_64 random(11);
  v1::IngestTransactionsRequest request;
  for (int i = 0; i < 4; ++i) *request.add_lines() = RandomLine(random);
  const std::string bytes = request.SerializeAsString();
  for (std::size_t size = 0; size <= bytes.size(); ++size) ExpectAgree(bytes.substr(0, size));
}

TEST(IngestMessageReader, RejectsGarbage) {
  const google::protobuf::LogSilencer quiet;  // protobuf logs each invalid UTF-8 string
  std::mt19937_64 random(13);
  int malformed = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(random() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    v1::IngestTransactionsRequest request;
    const bool protobuf_reads = request.ParseFromString(bytes);
    const bool reader_reads = ReadDirectly(bytes).has_value();
    // Protobuf also fails on invalid UTF-8, which the reader leaves to
    // validation: the reader may accept more, never less.
    if (protobuf_reads) {
      EXPECT_TRUE(reader_reads);
      ExpectAgree(bytes);
    }
    malformed += reader_reads ? 0 : 1;
  }
  EXPECT_GT(malformed, 1000);  // the garbage was mostly garbage
}

// Validation sees what the reader read: texts are views into the message.
TEST(IngestMessageReader, LinesValidateAsTheirParsedForm) {
  std::mt19937_64 random(17);
  for (int round = 0; round < 200; ++round) {
    v1::IngestTransactionsRequest request;
    v1::OrderLine& proto = *request.add_lines();
    proto = RandomLine(random);
    if (round % 2 == 0) {
      proto.set_order_id("O" + std::to_string(round));
      proto.set_customer_id("C");
      proto.set_order_date("2024-02-29");
      proto.set_sales(12.5);
      proto.set_discount(0.25);
      proto.set_profit(-1);
      proto.set_quantity(3);
    }
    const std::string bytes = request.SerializeAsString();
    IngestMessageReader reader(bytes);
    WireLine wire;
    ASSERT_TRUE(reader.Next(wire));
    LineKeyAssigner direct_keys;
    LineKeyAssigner parsed_keys;
    std::string key;
    OrderLineView view;
    const std::optional<LineError> direct = LineFromWire(wire, direct_keys, key, view);
    OrderLine parsed;
    const std::optional<LineError> expected = OrderLineFromProto(proto, parsed_keys, parsed);
    ASSERT_EQ(direct.has_value(), expected.has_value());
    if (direct) {
      EXPECT_EQ(direct->field, expected->field);
      EXPECT_EQ(direct->reason, expected->reason);
    } else {
      OrderLine converted;
      AssignLine(view, converted);
      EXPECT_EQ(converted, parsed);
    }
  }
}

}  // namespace
}  // namespace analytics::api
