// libFuzzer target: the whole CSV import (import/csv_import.h) — header
// matching, encoding detection, date order detection, money and quantity
// parsing, rejection reports, the spool — fed in chunks cut by the first byte,
// with options from the second. Checks that the summary adds up and that the
// accepted lines read back are exactly as many as reported.
#include <cstdlib>
#include <iterator>

#include "fuzz/fuzz_input.h"
#include "import/csv_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  analytics::fuzz::FuzzInput input(data, size);
  const std::size_t chunk = 1 + input.Byte() % 128;
  const std::uint8_t flags = input.Byte();
  analytics::CsvImportOptions options;
  options.date_order = static_cast<analytics::DateOrder>(flags % 4);
  constexpr analytics::TextEncoding kEncodings[] = {
      analytics::TextEncoding::kAuto, analytics::TextEncoding::kUtf8,
      analytics::TextEncoding::kLatin1, analytics::TextEncoding::kWindows1252,
      analytics::TextEncoding::kMacRoman};
  options.encoding = kEncodings[(flags >> 2) % std::size(kEncodings)];
  options.skip_invalid = (flags & 0x10) != 0;
  analytics::CsvImport import(options);
  const std::string_view bytes = input.Rest();
  for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
    if (!import.Feed(bytes.substr(pos, chunk)).ok()) return 0;
  }
  absl::StatusOr<analytics::CsvImportSummary> summary = import.Finish();
  if (!summary.ok()) return 0;
  if (summary->accepted + summary->rejected != summary->lines_read) std::abort();
  std::unique_ptr<analytics::LineSource> lines = import.AcceptedLines();
  analytics::OrderLine line;
  std::int64_t read_back = 0;
  while (lines->Next(line)) ++read_back;
  if (read_back != summary->accepted) std::abort();
  return 0;
}
