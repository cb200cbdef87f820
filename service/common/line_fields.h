// The order line's fields, listed once.
//
// kLineFields is the one list of the fields of an order line: each field's
// name in the API (which is also how messages name it), its kind, where a
// text lives in OrderLine and OrderLineView, and how a CSV header names it.
// Code that handles every field, or every text, iterates this table instead
// of listing the fields again: the line batch codec, the API's conversion
// and wire reader, the CSV column map and the import spool. The table's
// order is the API's (customer_analytics.v1.OrderLine field numbers 1-21;
// tests/api/line_fields_test.cc checks it against the generated
// descriptor). The SQL for the stored table belongs to store/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/order_line.h"

namespace analytics {

enum class LineField : std::uint8_t {
  kLineKey,
  kOrderId,
  kOrderDate,
  kShipDate,
  kShipMode,
  kCustomerId,
  kCustomerName,
  kSegment,
  kCountry,
  kRegion,
  kState,
  kCity,
  kPostalCode,
  kProductId,
  kCategory,
  kSubCategory,
  kProductName,
  kSales,
  kQuantity,
  kDiscount,
  kProfit,
};
inline constexpr std::size_t kLineFieldCount = static_cast<std::size_t>(LineField::kProfit) + 1;

constexpr std::size_t FieldIndex(LineField field) { return static_cast<std::size_t>(field); }

enum class FieldKind : std::uint8_t {
  kText,    // a string, empty when not given
  kDay,     // a calendar day (ship_date: optional)
  kMicros,  // an amount or fraction in micro-units
  kCount,   // a whole number
};

struct LineFieldSpec {
  LineField field;
  // The API's OrderLine field name ("sub_category"); error messages name
  // the field this way on every write path.
  std::string_view name;
  FieldKind kind;
  // For texts: the member in either form of a line; null otherwise.
  std::string OrderLine::*text = nullptr;
  std::string_view OrderLineView::*view_text = nullptr;
  // The canonical CSV header ("Sub-Category") and whether a CSV file must
  // have the column (the fields every figure needs).
  std::string_view csv_header;
  bool csv_required = false;
  // Other spellings of the CSV header, normalized (csv column map: lower
  // case letters and digits only); the normalized canonical header is
  // always accepted too.
  std::array<std::string_view, 6> csv_aliases{};
};

// clang-format off
inline constexpr std::array<LineFieldSpec, kLineFieldCount> kLineFields = {{
    {LineField::kLineKey, "line_id", FieldKind::kText, &OrderLine::line_key,
     &OrderLineView::line_key, "Row ID", false,
     {"rowid", "lineid", "linekey", "lineitemid", "rownumber"}},
    {LineField::kOrderId, "order_id", FieldKind::kText, &OrderLine::order_id,
     &OrderLineView::order_id, "Order ID", true, {"orderid", "ordernumber", "orderno"}},
    {LineField::kOrderDate, "order_date", FieldKind::kDay, nullptr, nullptr, "Order Date", true,
     {"orderdate", "date", "purchasedate", "orderday"}},
    {LineField::kShipDate, "ship_date", FieldKind::kDay, nullptr, nullptr, "Ship Date", false,
     {"shipdate", "shippingdate", "shippeddate"}},
    {LineField::kShipMode, "ship_mode", FieldKind::kText, &OrderLine::ship_mode,
     &OrderLineView::ship_mode, "Ship Mode", false,
     {"shipmode", "shippingmode", "shipmethod", "shippingmethod"}},
    {LineField::kCustomerId, "customer_id", FieldKind::kText, &OrderLine::customer_id,
     &OrderLineView::customer_id, "Customer ID", true,
     {"customerid", "customerno", "customernumber", "clientid"}},
    {LineField::kCustomerName, "customer_name", FieldKind::kText, &OrderLine::customer_name,
     &OrderLineView::customer_name, "Customer Name", false, {"customername", "clientname"}},
    {LineField::kSegment, "segment", FieldKind::kText, &OrderLine::segment,
     &OrderLineView::segment, "Segment", false, {"segment", "customersegment"}},
    {LineField::kCountry, "country", FieldKind::kText, &OrderLine::country,
     &OrderLineView::country, "Country", false, {"country", "countryregion"}},
    {LineField::kRegion, "region", FieldKind::kText, &OrderLine::region, &OrderLineView::region,
     "Region", false, {"region"}},
    {LineField::kState, "state", FieldKind::kText, &OrderLine::state, &OrderLineView::state,
     "State", false, {"state", "stateprovince", "province"}},
    {LineField::kCity, "city", FieldKind::kText, &OrderLine::city, &OrderLineView::city, "City",
     false, {"city"}},
    {LineField::kPostalCode, "postal_code", FieldKind::kText, &OrderLine::postal_code,
     &OrderLineView::postal_code, "Postal Code", false,
     {"postalcode", "zip", "zipcode", "postcode"}},
    {LineField::kProductId, "product_id", FieldKind::kText, &OrderLine::product_id,
     &OrderLineView::product_id, "Product ID", false, {"productid", "sku", "productcode"}},
    {LineField::kCategory, "category", FieldKind::kText, &OrderLine::category,
     &OrderLineView::category, "Category", false, {"category", "productcategory"}},
    {LineField::kSubCategory, "sub_category", FieldKind::kText, &OrderLine::sub_category,
     &OrderLineView::sub_category, "Sub-Category", false, {"subcategory", "productsubcategory"}},
    {LineField::kProductName, "product_name", FieldKind::kText, &OrderLine::product_name,
     &OrderLineView::product_name, "Product Name", false, {"productname", "productdescription"}},
    {LineField::kSales, "sales", FieldKind::kMicros, nullptr, nullptr, "Sales", true,
     {"sales", "revenue", "amount", "salesamount", "saleamount"}},
    {LineField::kQuantity, "quantity", FieldKind::kCount, nullptr, nullptr, "Quantity", false,
     {"quantity", "qty", "units", "quantityordered"}},
    {LineField::kDiscount, "discount", FieldKind::kMicros, nullptr, nullptr, "Discount", false,
     {"discount", "discountrate"}},
    {LineField::kProfit, "profit", FieldKind::kMicros, nullptr, nullptr, "Profit", false,
     {"profit"}},
}};
// clang-format on

constexpr const LineFieldSpec& SpecOf(LineField field) { return kLineFields[FieldIndex(field)]; }
constexpr std::string_view LineFieldName(LineField field) { return SpecOf(field).name; }

namespace line_fields_internal {

constexpr bool TableInEnumOrder() {
  for (std::size_t i = 0; i < kLineFields.size(); ++i) {
    if (FieldIndex(kLineFields[i].field) != i) return false;
    if ((kLineFields[i].kind == FieldKind::kText) != (kLineFields[i].text != nullptr)) return false;
    if ((kLineFields[i].text == nullptr) != (kLineFields[i].view_text == nullptr)) return false;
  }
  return true;
}
static_assert(TableInEnumOrder(), "kLineFields: one row per LineField, in enum order");

constexpr std::size_t CountTexts() {
  std::size_t n = 0;
  for (const LineFieldSpec& spec : kLineFields) n += spec.kind == FieldKind::kText ? 1 : 0;
  return n;
}

}  // namespace line_fields_internal

// The text fields, in table order: every piece of code that handles all of
// them alike (the line batch codec, conversions, the import spool) uses
// this order.
inline constexpr std::size_t kLineTextCount = line_fields_internal::CountTexts();
inline constexpr std::array<LineField, kLineTextCount> kLineTexts = [] {
  std::array<LineField, kLineTextCount> out{};
  std::size_t n = 0;
  for (const LineFieldSpec& spec : kLineFields) {
    if (spec.kind == FieldKind::kText) out[n++] = spec.field;
  }
  return out;
}();
namespace line_fields_internal {

// The text fields' `member` (a member pointer into one form of a line), in
// kLineTexts order.
template <typename Member>
constexpr std::array<Member, kLineTextCount> TextMembers(Member LineFieldSpec::*member) {
  std::array<Member, kLineTextCount> out{};
  for (std::size_t i = 0; i < kLineTextCount; ++i) out[i] = SpecOf(kLineTexts[i]).*member;
  return out;
}

}  // namespace line_fields_internal

inline constexpr std::array<std::string OrderLine::*, kLineTextCount> kOrderLineTexts =
    line_fields_internal::TextMembers(&LineFieldSpec::text);
inline constexpr std::array<std::string_view OrderLineView::*, kLineTextCount> kOrderLineViewTexts =
    line_fields_internal::TextMembers(&LineFieldSpec::view_text);

// The place of a text field in kLineTexts (and the other text arrays);
// -1 for a field that is not a text.
constexpr int TextIndex(LineField field) {
  for (std::size_t i = 0; i < kLineTexts.size(); ++i) {
    if (kLineTexts[i] == field) return static_cast<int>(i);
  }
  return -1;
}
constexpr int TextIndex(std::string_view OrderLineView::*field) {
  for (std::size_t i = 0; i < kOrderLineViewTexts.size(); ++i) {
    if (kOrderLineViewTexts[i] == field) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace analytics
