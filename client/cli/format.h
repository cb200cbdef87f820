// Text output of analytics-cli: number formatting and tables.
//
// Humans get aligned tables with thousands separators; scripts get CSV with
// plain numbers. Both come from one Table so that the two views of a result
// can never disagree: each cell carries its display text and its raw text.
// Money is always printed from the exact `*_micros` integers, never from the
// convenience doubles, so a table shows the same digits the store holds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace analytics::cli {

// Inserts ',' every three digits of the integer part of a plain decimal:
// "-1234567.891" -> "-1,234,567.891". Text that is not a number is returned
// unchanged.
std::string GroupThousands(std::string_view number);

// 1234567 -> "1,234,567".
std::string FormatCount(std::int64_t value);

// Exact amount from micro-units, at least two decimals and no trailing zeros
// beyond them: 1234567890000 -> "1,234,567.89", 1500 -> "0.0015".
std::string FormatMoney(std::int64_t micros);
// The same without separators, for CSV: "1234567.89".
std::string FormatMoneyRaw(std::int64_t micros);

// Fixed decimals with separators: (1234.5, 2) -> "1,234.50".
std::string FormatDecimal(double value, int decimals);
// Fixed decimals without separators: (1234.5, 2) -> "1234.50".
std::string FormatDecimalRaw(double value, int decimals);

// A fraction as a percentage: (0.1234, 1) -> "12.3%".
std::string FormatFractionPercent(double fraction, int decimals = 1);
// A change already in percent, signed: 12.34 -> "+12.3%", -5 -> "-5.0%".
std::string FormatChangePercent(double percent);

// 1536 -> "1.5 KiB"; below 1 KiB in bytes ("512 B").
std::string FormatBytes(std::int64_t bytes);

// Quotes a CSV field when it holds a comma, quote, CR or LF (RFC 4180).
std::string CsvField(std::string_view text);

// Display width of UTF-8 text, counted in code points (no wide characters in
// the data this tool prints matter enough for a width table).
std::size_t DisplayWidth(std::string_view text);

enum class Align { kLeft, kRight };

struct Column {
  // Table heading; a column with an empty heading appears in the CSV only.
  std::string header;
  std::string csv_name;  // CSV header, snake_case
  Align align = Align::kLeft;
};

struct Cell {
  std::string display;  // table text
  std::string raw;      // CSV text
};

// A plain-text cell whose display and raw texts are the same.
Cell Text(std::string text);
Cell Count(std::int64_t value);
Cell Money(std::int64_t micros);
Cell Decimal(double value, int decimals);
Cell Percent(double fraction, int decimals = 1);

class Table {
 public:
  explicit Table(std::vector<Column> columns);

  // Rows shorter than the column list are padded with empty cells.
  void AddRow(std::vector<Cell> cells);
  // A summary row (for example the totals): shown under a rule in the table,
  // left out of the CSV, which holds data rows only.
  void AddFooter(std::vector<Cell> cells);

  // Header, dashed rule, rows; columns two spaces apart, trailing spaces
  // trimmed; every line ends with '\n'.
  std::string Render() const;
  // Header line of csv_names, then one line per data row.
  std::string RenderCsv() const;

  std::size_t row_count() const { return rows_.size(); }

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
  std::vector<std::vector<Cell>> footers_;
};

// "Label  value" lines with the labels padded to one width.
std::string RenderPairs(const std::vector<std::pair<std::string, std::string>>& pairs);

}  // namespace analytics::cli
