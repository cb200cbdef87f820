// The tokenizer alone: dialect, line numbers, limits, and independence from
// where chunks are cut.
#include "import/csv_reader.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace analytics {
namespace {

using ::testing::HasSubstr;

struct Row {
  std::int64_t line = 0;
  std::vector<std::string> fields;
  std::string malformed;
  friend bool operator==(const Row&, const Row&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Row& row) {
    out << "{line " << row.line << ":";
    for (const std::string& field : row.fields) out << " [" << field << "]";
    return out << (row.malformed.empty() ? "" : " malformed") << "}";
  }
};

struct Parsed {
  absl::Status status;
  std::vector<Row> rows;
};

Parsed Parse(std::string_view input, const std::vector<std::size_t>& cuts, CsvLimits limits = {}) {
  Parsed parsed;
  CsvReader reader(limits);
  const auto sink = [&](const CsvRecord& record) {
    Row row{record.line(), {}, std::string(record.malformed())};
    for (std::size_t i = 0; i < record.size(); ++i) row.fields.emplace_back(record[i]);
    parsed.rows.push_back(std::move(row));
    return absl::OkStatus();
  };
  std::size_t begin = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(input.size());
  for (const std::size_t end : ends) {
    parsed.status = reader.Feed(input.substr(begin, end - begin), sink);
    begin = end;
    if (!parsed.status.ok()) return parsed;
  }
  parsed.status = reader.Finish(sink);
  return parsed;
}

struct DialectCase {
  std::string name;
  std::string input;
  std::vector<Row> expected;
  friend void PrintTo(const DialectCase& c, std::ostream* out) { *out << c.name; }
};

class DialectTest : public ::testing::TestWithParam<DialectCase> {};

TEST_P(DialectTest, ParsesTheSameWhereverTheInputIsCut) {
  const DialectCase& c = GetParam();
  const Parsed whole = Parse(c.input, {});
  ASSERT_TRUE(whole.status.ok()) << whole.status;
  EXPECT_EQ(whole.rows, c.expected);
  for (std::size_t cut = 0; cut <= c.input.size(); ++cut) {
    const Parsed split = Parse(c.input, {cut});
    ASSERT_TRUE(split.status.ok()) << "cut at " << cut << ": " << split.status;
    EXPECT_EQ(split.rows, c.expected) << "cut at " << cut;
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t cut = 1; cut < c.input.size(); ++cut) every_byte.push_back(cut);
  EXPECT_EQ(Parse(c.input, every_byte).rows, c.expected) << "one byte at a time";
}

INSTANTIATE_TEST_SUITE_P(
    Csv, DialectTest,
    ::testing::Values(
        DialectCase{"Lf", "a,b\n1,2\n", {{1, {"a", "b"}, ""}, {2, {"1", "2"}, ""}}},
        DialectCase{"CrLf", "a,b\r\n1,2\r\n", {{1, {"a", "b"}, ""}, {2, {"1", "2"}, ""}}},
        DialectCase{"BareCr",
                    "a,b\r1,2\r3,4",
                    {{1, {"a", "b"}, ""}, {2, {"1", "2"}, ""}, {3, {"3", "4"}, ""}}},
        DialectCase{"MixedEnds",
                    "a\r\nb\rc\nd",
                    {{1, {"a"}, ""}, {2, {"b"}, ""}, {3, {"c"}, ""}, {4, {"d"}, ""}}},
        DialectCase{"NoFinalBreak", "a,b\n1,2", {{1, {"a", "b"}, ""}, {2, {"1", "2"}, ""}}},
        DialectCase{"QuotedComma", "\"x, y\",z\n", {{1, {"x, y", "z"}, ""}}},
        DialectCase{"DoubledQuotes",
                    "\"Message Book, 4\"\" X 5\"\"\"\n",
                    {{1, {"Message Book, 4\" X 5\""}, ""}}},
        DialectCase{
            "EmbeddedLf", "\"a\nb\",c\nd,e\n", {{1, {"a\nb", "c"}, ""}, {3, {"d", "e"}, ""}}},
        DialectCase{"EmbeddedCrLf",
                    "\"a\r\nb\",c\r\nd,e\r\n",
                    {{1, {"a\r\nb", "c"}, ""}, {3, {"d", "e"}, ""}}},
        DialectCase{
            "EmbeddedCrLines", "\"a\r\rb\",c\rd\r", {{1, {"a\r\rb", "c"}, ""}, {4, {"d"}, ""}}},
        DialectCase{"EmptyFields", "a,,c\n,\n", {{1, {"a", "", "c"}, ""}, {2, {"", ""}, ""}}},
        DialectCase{"TrailingComma", "a,b,\n", {{1, {"a", "b", ""}, ""}}},
        DialectCase{"EmptyQuoted", "\"\",x\n\"\"\n", {{1, {"", "x"}, ""}, {2, {""}, ""}}},
        DialectCase{
            "BlankLinesSkipped", "\n\r\na\n\n\r\rb\n\n\n", {{3, {"a"}, ""}, {7, {"b"}, ""}}},
        DialectCase{
            "QuoteInsideUnquotedIsLiteral", "5\" binder,x\n", {{1, {"5\" binder", "x"}, ""}}},
        DialectCase{"TextAfterClosingQuote",
                    "\"ab\"c,d\n",
                    {{1, {"abc", "d"}, "text after the closing quote of a quoted field"}}},
        DialectCase{"QuotedAtEnd", "a,\"b\"", {{1, {"a", "b"}, ""}}},
        DialectCase{"MultiByteUtf8",
                    "caf\xC3\xA9,\"\xE2\x82\xAC 5\"\n",
                    {{1, {"caf\xC3\xA9", "\xE2\x82\xAC 5"}, ""}}}),
    [](const ::testing::TestParamInfo<DialectCase>& info) { return info.param.name; });

TEST(CsvReaderTest, MalformedRecordNamesTheField) {
  CsvReader reader;
  int malformed_field = -2;
  ASSERT_TRUE(reader
                  .Feed("x,\"ab\"c\n",
                        [&](const CsvRecord& record) {
                          malformed_field = record.malformed_field();
                          return absl::OkStatus();
                        })
                  .ok());
  EXPECT_EQ(malformed_field, 1);
}

TEST(CsvReaderTest, UnterminatedQuoteAtEndIsAnErrorNamingItsLine) {
  const Parsed parsed = Parse("a,b\n1,\"never\nclosed\n", {});
  EXPECT_EQ(parsed.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status.message(), HasSubstr("line 2"));
  EXPECT_THAT(parsed.status.message(), HasSubstr("never closed"));
  ASSERT_EQ(parsed.rows.size(), 1u);
}

TEST(CsvReaderTest, FieldOverTheLimitIsAnErrorAsSoonAsItIsSeen) {
  CsvLimits limits;
  limits.max_field_bytes = 8;
  EXPECT_TRUE(Parse("12345678,x\n", {}, limits).status.ok());
  const Parsed unquoted = Parse("a\n123456789,x\n", {}, limits);
  EXPECT_EQ(unquoted.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unquoted.status.message(), HasSubstr("line 2"));
  const Parsed quoted = Parse("\"12345\n6789", {}, limits);
  EXPECT_THAT(quoted.status.message(), HasSubstr("may never be closed"));
}

TEST(CsvReaderTest, TooManyFieldsIsAnError) {
  CsvLimits limits;
  limits.max_fields = 3;
  EXPECT_TRUE(Parse("a,b,c\n", {}, limits).status.ok());
  const Parsed parsed = Parse("a,b,c,d\n", {}, limits);
  EXPECT_EQ(parsed.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status.message(), HasSubstr("more than 3 fields"));
}

TEST(CsvReaderTest, RecordOverTheLimitIsAnError) {
  CsvLimits limits;
  limits.max_field_bytes = 4;
  limits.max_record_bytes = 10;
  EXPECT_TRUE(Parse("abcd,efgh,ij\n", {}, limits).status.ok());
  EXPECT_THAT(Parse("abcd,efgh,ijk\n", {}, limits).status.message(), HasSubstr("record longer"));
}

TEST(CsvReaderTest, ErrorsAreSticky) {
  CsvLimits limits;
  limits.max_fields = 1;
  CsvReader reader(limits);
  const auto sink = [](const CsvRecord&) { return absl::OkStatus(); };
  EXPECT_FALSE(reader.Feed("a,b\n", sink).ok());
  EXPECT_FALSE(reader.Feed("c\n", sink).ok());
  EXPECT_FALSE(reader.Finish(sink).ok());
}

TEST(CsvReaderTest, SinkErrorStopsTheReader) {
  CsvReader reader;
  int calls = 0;
  const auto sink = [&](const CsvRecord&) {
    ++calls;
    return absl::CancelledError("stop");
  };
  EXPECT_EQ(reader.Feed("a\nb\nc\n", sink).code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace analytics
