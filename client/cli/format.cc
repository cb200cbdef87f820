#include "cli/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/money.h"

namespace analytics::cli {
namespace {

std::string Fixed(double value, int decimals) {
  // Avoid "-0.00" for values that round to zero.
  const double scale = std::pow(10.0, decimals);
  if (std::round(value * scale) == 0) value = 0;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string Pad(const std::string& text, std::size_t width, Align align) {
  const std::size_t w = DisplayWidth(text);
  if (w >= width) return text;
  const std::string fill(width - w, ' ');
  return align == Align::kLeft ? text + fill : fill + text;
}

void TrimRight(std::string& line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
}

}  // namespace

std::string GroupThousands(std::string_view number) {
  std::size_t start = 0;
  if (!number.empty() && (number[0] == '-' || number[0] == '+')) start = 1;
  std::size_t end = start;
  while (end < number.size() && number[end] >= '0' && number[end] <= '9') ++end;
  const std::size_t digits = end - start;
  if (digits == 0 || (end < number.size() && number[end] != '.')) return std::string(number);
  std::string out(number.substr(0, start));
  for (std::size_t i = 0; i < digits; ++i) {
    if (i > 0 && (digits - i) % 3 == 0) out.push_back(',');
    out.push_back(number[start + i]);
  }
  out.append(number.substr(end));
  return out;
}

std::string FormatCount(std::int64_t value) { return GroupThousands(std::to_string(value)); }

std::string FormatMoney(std::int64_t micros) { return GroupThousands(FormatMoneyRaw(micros)); }

std::string FormatMoneyRaw(std::int64_t micros) { return analytics::FormatMicros(micros, 2); }

std::string FormatDecimal(double value, int decimals) {
  return GroupThousands(FormatDecimalRaw(value, decimals));
}

std::string FormatDecimalRaw(double value, int decimals) { return Fixed(value, decimals); }

std::string FormatFractionPercent(double fraction, int decimals) {
  return Fixed(fraction * 100.0, decimals) + "%";
}

std::string FormatChangePercent(double percent) {
  std::string text = Fixed(percent, 1);
  if (text[0] != '-' && text != "0.0") text.insert(0, "+");
  return text + "%";
}

std::string FormatBytes(std::int64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1024.0 && unit < 3) {
    value /= 1024.0;
    ++unit;
  }
  return Fixed(value, 1) + " " + kUnits[unit];
}

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::size_t DisplayWidth(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

Cell Text(std::string text) { return Cell{text, text}; }
Cell Count(std::int64_t value) { return Cell{FormatCount(value), std::to_string(value)}; }
Cell Money(std::int64_t micros) { return Cell{FormatMoney(micros), FormatMoneyRaw(micros)}; }
Cell Decimal(double value, int decimals) {
  return Cell{FormatDecimal(value, decimals), FormatDecimalRaw(value, decimals)};
}
Cell Percent(double fraction, int decimals) {
  // CSV keeps the fraction itself, with enough digits to recompute shares.
  return Cell{FormatFractionPercent(fraction, decimals), FormatDecimalRaw(fraction, 6)};
}

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::AddRow(std::vector<Cell> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

void Table::AddFooter(std::vector<Cell> cells) {
  cells.resize(columns_.size());
  footers_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<std::size_t> widths(columns_.size());
  auto shown = [&](std::size_t c) { return !columns_[c].header.empty(); };
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = DisplayWidth(columns_[c].header);
    for (const auto* rows : {&rows_, &footers_}) {
      for (const auto& row : *rows) widths[c] = std::max(widths[c], DisplayWidth(row[c].display));
    }
  }
  auto line = [&](const std::vector<std::string>& texts) {
    std::string out;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      if (!shown(c)) continue;
      if (!out.empty()) out += "  ";
      out += Pad(texts[c], widths[c], columns_[c].align);
    }
    TrimRight(out);
    return out + "\n";
  };
  auto rule = [&] {
    std::string out;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      if (!shown(c)) continue;
      if (!out.empty()) out += "  ";
      out += std::string(widths[c], '-');
    }
    return out + "\n";
  };
  auto displays = [](const std::vector<Cell>& row) {
    std::vector<std::string> texts;
    for (const Cell& cell : row) texts.push_back(cell.display);
    return texts;
  };
  std::vector<std::string> headers;
  for (const Column& column : columns_) headers.push_back(column.header);
  std::string out = line(headers) + rule();
  for (const auto& row : rows_) out += line(displays(row));
  if (!footers_.empty()) {
    out += rule();
    for (const auto& row : footers_) out += line(displays(row));
  }
  return out;
}

std::string Table::RenderCsv() const {
  std::string out;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    if (c > 0) out += ",";
    out += CsvField(columns_[c].csv_name);
  }
  out += "\n";
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += ",";
      out += CsvField(row[c].raw);
    }
    out += "\n";
  }
  return out;
}

std::string RenderPairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::size_t width = 0;
  for (const auto& [label, value] : pairs) width = std::max(width, DisplayWidth(label));
  std::string out;
  for (const auto& [label, value] : pairs) {
    std::string line = Pad(label, width, Align::kLeft) + "  " + value;
    TrimRight(line);
    out += line + "\n";
  }
  return out;
}

}  // namespace analytics::cli
