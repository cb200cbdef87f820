// The order-line field table (common/line_fields.h) against the API's
// generated OrderLine: the table's order is the field numbers, its names the
// field names and its kinds the field types, so the code that iterates the
// table (the wire reader, conversions, error messages) reads and names the
// fields the API defines.
#include "common/line_fields.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "api/convert.h"
#include "customer_analytics/v1/resources.pb.h"

namespace analytics {
namespace {

using google::protobuf::FieldDescriptor;

TEST(LineFieldsTest, TableMatchesTheApisOrderLine) {
  const google::protobuf::Descriptor* line = customer_analytics::v1::OrderLine::descriptor();
  ASSERT_EQ(static_cast<std::size_t>(line->field_count()), kLineFields.size());
  for (std::size_t i = 0; i < kLineFields.size(); ++i) {
    const LineFieldSpec& spec = kLineFields[i];
    SCOPED_TRACE(std::string(spec.name));
    const FieldDescriptor* field = line->FindFieldByName(std::string(spec.name));
    ASSERT_NE(field, nullptr);
    EXPECT_EQ(field->number(), static_cast<int>(i) + 1);
    switch (spec.kind) {
      case FieldKind::kText:
      case FieldKind::kDay:
        EXPECT_EQ(field->type(), FieldDescriptor::TYPE_STRING);
        EXPECT_LE(static_cast<std::size_t>(field->number()), api::kWireTextCount);
        break;
      case FieldKind::kMicros:
        EXPECT_EQ(field->type(), FieldDescriptor::TYPE_DOUBLE);
        break;
      case FieldKind::kCount:
        EXPECT_EQ(field->type(), FieldDescriptor::TYPE_INT64);
        break;
    }
  }
}

TEST(LineFieldsTest, TextArraysAgree) {
  OrderLine line;
  int n = 0;
  for (std::string OrderLine::*text : kOrderLineTexts) line.*text = std::to_string(n++);
  const OrderLineView view = ViewOf(line);
  for (std::size_t i = 0; i < kLineTextCount; ++i) {
    EXPECT_EQ(view.*kOrderLineViewTexts[i], std::to_string(i));
    EXPECT_EQ(TextIndex(kLineTexts[i]), static_cast<int>(i));
    EXPECT_EQ(TextIndex(kOrderLineViewTexts[i]), static_cast<int>(i));
  }
  // Every text member of OrderLine is in the list once.
  for (std::size_t i = 0; i < kLineTextCount; ++i) {
    for (std::size_t j = i + 1; j < kLineTextCount; ++j) {
      EXPECT_FALSE(kOrderLineTexts[i] == kOrderLineTexts[j]) << i << " " << j;
    }
  }
  EXPECT_EQ(kLineTextCount, 15u);
  EXPECT_EQ(TextIndex(LineField::kSales), -1);
}

TEST(LineFieldsTest, CsvHeadersAndAliasesAreDistinct) {
  std::set<std::string_view> seen;
  int required = 0;
  for (const LineFieldSpec& spec : kLineFields) {
    EXPECT_FALSE(spec.csv_header.empty()) << spec.name;
    required += spec.csv_required ? 1 : 0;
    for (std::string_view alias : spec.csv_aliases) {
      if (alias.empty()) continue;
      EXPECT_TRUE(seen.insert(alias).second) << alias;
    }
  }
  EXPECT_EQ(required, 4);  // order id, order date, customer id, sales
}

}  // namespace
}  // namespace analytics
