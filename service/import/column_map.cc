#include "import/column_map.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace analytics {

std::string_view CanonicalColumnName(Column column) { return SpecOf(column).csv_header; }

bool IsRequiredColumn(Column column) { return SpecOf(column).csv_required; }

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
  for (const LineFieldSpec& spec : kLineFields) {
    if (normalized == NormalizeHeaderName(spec.csv_header)) return spec.field;
    for (std::string_view alias : spec.csv_aliases) {
      if (!alias.empty() && normalized == alias) return spec.field;
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> ColumnAliases(Column column) {
  std::vector<std::string_view> out;
  for (std::string_view alias : SpecOf(column).csv_aliases) {
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
  for (const LineFieldSpec& spec : kLineFields) {
    if (spec.csv_required && !map.Has(spec.field)) missing.emplace_back(spec.csv_header);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "missing required column", missing.size() > 1 ? "s" : "", ": ",
        absl::StrJoin(missing, ", "), " (header matching ignores case, spaces and punctuation)"));
  }
  return map;
}

}  // namespace analytics
