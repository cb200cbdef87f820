#include "import/column_map.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace analytics {
namespace {

struct ColumnSpec {
  Column column;
  std::string_view name;
  bool required;
  // Normalized spellings; the normalized canonical name is always accepted.
  std::array<std::string_view, 6> aliases;
};

// Order matches enum Column.
constexpr std::array<ColumnSpec, kColumnCount> kSpecs = {{
    {Column::kRowId, "Row ID", false, {"rowid", "lineid", "linekey", "lineitemid", "rownumber"}},
    {Column::kOrderId, "Order ID", true, {"orderid", "ordernumber", "orderno"}},
    {Column::kOrderDate, "Order Date", true, {"orderdate", "date", "purchasedate", "orderday"}},
    {Column::kShipDate, "Ship Date", false, {"shipdate", "shippingdate", "shippeddate"}},
    {Column::kShipMode,
     "Ship Mode",
     false,
     {"shipmode", "shippingmode", "shipmethod", "shippingmethod"}},
    {Column::kCustomerId,
     "Customer ID",
     true,
     {"customerid", "customerno", "customernumber", "clientid"}},
    {Column::kCustomerName, "Customer Name", false, {"customername", "clientname"}},
    {Column::kSegment, "Segment", false, {"segment", "customersegment"}},
    {Column::kCountry, "Country", false, {"country", "countryregion"}},
    {Column::kCity, "City", false, {"city"}},
    {Column::kState, "State", false, {"state", "stateprovince", "province"}},
    {Column::kPostalCode, "Postal Code", false, {"postalcode", "zip", "zipcode", "postcode"}},
    {Column::kRegion, "Region", false, {"region"}},
    {Column::kProductId, "Product ID", false, {"productid", "sku", "productcode"}},
    {Column::kCategory, "Category", false, {"category", "productcategory"}},
    {Column::kSubCategory, "Sub-Category", false, {"subcategory", "productsubcategory"}},
    {Column::kProductName, "Product Name", false, {"productname", "productdescription"}},
    {Column::kSales, "Sales", true, {"sales", "revenue", "amount", "salesamount", "saleamount"}},
    {Column::kQuantity, "Quantity", false, {"quantity", "qty", "units", "quantityordered"}},
    {Column::kDiscount, "Discount", false, {"discount", "discountrate"}},
    {Column::kProfit, "Profit", false, {"profit"}},
}};

const ColumnSpec& Spec(Column column) { return kSpecs[static_cast<std::size_t>(column)]; }

}  // namespace

std::string_view CanonicalColumnName(Column column) { return Spec(column).name; }

bool IsRequiredColumn(Column column) { return Spec(column).required; }

std::string NormalizeHeaderName(std::string_view header) {
  std::string out;
  out.reserve(header.size());
  for (const char c : header) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<Column> ColumnForHeader(std::string_view header) {
  const std::string normalized = NormalizeHeaderName(header);
  if (normalized.empty()) return std::nullopt;
  for (const ColumnSpec& spec : kSpecs) {
    if (normalized == NormalizeHeaderName(spec.name)) return spec.column;
    for (std::string_view alias : spec.aliases) {
      if (!alias.empty() && normalized == alias) return spec.column;
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> ColumnAliases(Column column) {
  std::vector<std::string_view> out;
  for (std::string_view alias : Spec(column).aliases) {
    if (!alias.empty()) out.push_back(alias);
  }
  return out;
}

absl::StatusOr<ColumnMap> MapHeader(const std::vector<std::string_view>& header) {
  ColumnMap map;
  map.index.fill(-1);
  map.field_count = header.size();
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::optional<Column> column = ColumnForHeader(header[i]);
    if (!column) {
      map.unknown.push_back(static_cast<int>(i));
      continue;
    }
    int& slot = map.index[static_cast<std::size_t>(*column)];
    if (slot >= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("header columns ", slot + 1, " (\"", std::string(header[slot]), "\") and ",
                       i + 1, " (\"", std::string(header[i]), "\") both mean ",
                       std::string(CanonicalColumnName(*column)), "; remove or rename one"));
    }
    slot = static_cast<int>(i);
  }
  std::vector<std::string> missing;
  for (const ColumnSpec& spec : kSpecs) {
    if (spec.required && !map.Has(spec.column)) missing.emplace_back(spec.name);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "missing required column", missing.size() > 1 ? "s" : "", ": ",
        absl::StrJoin(missing, ", "), " (header matching ignores case, spaces and punctuation)"));
  }
  return map;
}

}  // namespace analytics
