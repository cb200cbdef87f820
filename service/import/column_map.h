// Which CSV column holds which order-line field.
//
// Header names are matched loosely because every export spells them
// differently: case, spaces and punctuation are ignored ("Sub-Category",
// "sub_category" and "SubCategory" are the same) and common aliases are known
// ("revenue" and "amount" mean Sales, "zip" means Postal Code). Columns that
// match nothing are ignored and reported, so a typo in an optional column is
// visible rather than silently losing data. The four fields every figure
// needs (order id, order date, customer id, sales) are required.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/line_fields.h"

namespace analytics {

// A CSV column is the order-line field it holds (common/line_fields.h has
// each field's header and aliases); the Row ID column is kLineKey.
using Column = LineField;
inline constexpr std::size_t kColumnCount = kLineFieldCount;

// The canonical header name ("Order ID"), as the documentation lists it.
std::string_view CanonicalColumnName(Column column);

bool IsRequiredColumn(Column column);

// Lower-cased ASCII letters and digits of `header`, all else dropped:
// "Sub-Category " -> "subcategory".
std::string NormalizeHeaderName(std::string_view header);

// The column a header name means, or nullopt when it is unknown.
std::optional<Column> ColumnForHeader(std::string_view header);

// Every alias (normalized) of `column`, canonical first: for docs and tests.
std::vector<std::string_view> ColumnAliases(Column column);

struct ColumnMap {
  // Field index of each column in a record; -1 when the file lacks it.
  std::array<int, kColumnCount> index;
  // Field indexes whose header matched no column.
  std::vector<int> unknown;
  std::size_t field_count = 0;

  int operator[](Column column) const { return index[static_cast<std::size_t>(column)]; }
  bool Has(Column column) const { return (*this)[column] >= 0; }
};

// Maps a header record. InvalidArgument naming every missing required column
// at once, or naming two headers that mean the same column.
absl::StatusOr<ColumnMap> MapHeader(const std::vector<std::string_view>& header);

}  // namespace analytics
