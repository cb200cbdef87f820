#include "import/column_map.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace analytics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

struct AliasCase {
  std::string header;
  std::optional<Column> expected;
  friend void PrintTo(const AliasCase& c, std::ostream* out) { *out << c.header; }
};

class HeaderAliasTest : public ::testing::TestWithParam<AliasCase> {};

TEST_P(HeaderAliasTest, Maps) {
  EXPECT_EQ(ColumnForHeader(GetParam().header), GetParam().expected) << GetParam().header;
}

INSTANTIATE_TEST_SUITE_P(
    Aliases, HeaderAliasTest,
    ::testing::Values(
        AliasCase{"Row ID", Column::kLineKey}, AliasCase{"row_id", Column::kLineKey},
        AliasCase{"line_id", Column::kLineKey}, AliasCase{"Order ID", Column::kOrderId},
        AliasCase{"order_id", Column::kOrderId}, AliasCase{"ORDER-ID", Column::kOrderId},
        AliasCase{"Order Date", Column::kOrderDate}, AliasCase{"date", Column::kOrderDate},
        AliasCase{"Customer ID", Column::kCustomerId},
        AliasCase{" customer_id ", Column::kCustomerId},
        AliasCase{"Customer Name", Column::kCustomerName}, AliasCase{"Segment", Column::kSegment},
        AliasCase{"Country", Column::kCountry}, AliasCase{"Country/Region", Column::kCountry},
        AliasCase{"State", Column::kState}, AliasCase{"State/Province", Column::kState},
        AliasCase{"City", Column::kCity}, AliasCase{"Postal Code", Column::kPostalCode},
        AliasCase{"zip", Column::kPostalCode}, AliasCase{"Region", Column::kRegion},
        AliasCase{"Product ID", Column::kProductId}, AliasCase{"Category", Column::kCategory},
        AliasCase{"Sub-Category", Column::kSubCategory},
        AliasCase{"subcategory", Column::kSubCategory},
        AliasCase{"Product Name", Column::kProductName}, AliasCase{"Ship Mode", Column::kShipMode},
        AliasCase{"Ship Date", Column::kShipDate}, AliasCase{"Sales", Column::kSales},
        AliasCase{"revenue", Column::kSales}, AliasCase{"Amount", Column::kSales},
        AliasCase{"Quantity", Column::kQuantity}, AliasCase{"qty", Column::kQuantity},
        AliasCase{"Discount", Column::kDiscount}, AliasCase{"Profit", Column::kProfit},
        AliasCase{"Notes", std::nullopt}, AliasCase{"", std::nullopt},
        AliasCase{"---", std::nullopt}, AliasCase{"Customer", std::nullopt}));

TEST(ColumnMapTest, Normalization) {
  EXPECT_EQ(NormalizeHeaderName(" Sub-Category "), "subcategory");
  EXPECT_EQ(NormalizeHeaderName("Country/Region"), "countryregion");
  EXPECT_EQ(NormalizeHeaderName("\xEF\xBB\xBFRow_ID"), "rowid");
}

TEST(ColumnMapTest, MapsIndexesAndListsUnknownColumns) {
  absl::StatusOr<ColumnMap> map =
      MapHeader({"Notes", "order id", "Date", "customer", "Customer ID", "Sales"});
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ((*map)[Column::kOrderId], 1);
  EXPECT_EQ((*map)[Column::kOrderDate], 2);
  EXPECT_EQ((*map)[Column::kCustomerId], 4);
  EXPECT_EQ((*map)[Column::kSales], 5);
  EXPECT_FALSE(map->Has(Column::kProfit));
  EXPECT_THAT(map->unknown, ElementsAre(0, 3));
  EXPECT_EQ(map->field_count, 6u);
}

TEST(ColumnMapTest, MissingRequiredColumnsAreNamedTogether) {
  absl::StatusOr<ColumnMap> map = MapHeader({"Row ID", "Order Date", "Profit"});
  EXPECT_EQ(map.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(map.status().message(), HasSubstr("Order ID, Customer ID, Sales"));
  EXPECT_THAT(map.status().message(), Not(HasSubstr("Order Date")));
}

TEST(ColumnMapTest, TwoHeadersForOneColumnIsAnError) {
  absl::StatusOr<ColumnMap> map =
      MapHeader({"Order ID", "Order Date", "Customer ID", "Sales", "revenue"});
  EXPECT_EQ(map.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(map.status().message(), HasSubstr("both mean Sales"));
}

TEST(ColumnMapTest, EveryColumnHasAUniqueCanonicalName) {
  for (std::size_t i = 0; i < kColumnCount; ++i) {
    const Column column = static_cast<Column>(i);
    EXPECT_EQ(ColumnForHeader(CanonicalColumnName(column)), column);
    for (std::string_view alias : ColumnAliases(column)) {
      EXPECT_EQ(ColumnForHeader(alias), column) << alias;
    }
  }
}

}  // namespace
}  // namespace analytics
