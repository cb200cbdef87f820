// Helpers shared by the import tests: run a whole CsvImport over bytes fed in
// chosen pieces, and collect what it accepted.
#pragma once

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/line_batch.h"
#include "common/order_line.h"
#include "gtest/gtest.h"
#include "import/csv_import.h"

namespace analytics::testing {

struct ImportResult {
  absl::Status feed_status;  // first non-OK Feed, if any
  absl::StatusOr<CsvImportSummary> summary = absl::UnknownError("not finished");
  std::vector<OrderLine> lines;  // AcceptedLines after a good Finish
};

// Every line of `source`, which must end normally.
inline std::vector<OrderLine> Collect(LineSource& source) {
  std::vector<OrderLine> lines;
  OrderLine line;
  while (source.Next(line)) lines.push_back(line);
  EXPECT_TRUE(source.status().ok()) << source.status();
  return lines;
}

// Feeds `bytes` cut at each offset in `cuts` (ascending), then finishes.
inline ImportResult ImportWithCuts(std::string_view bytes, const CsvImportOptions& options,
                                   const std::vector<std::size_t>& cuts) {
  ImportResult result;
  CsvImport import(options);
  std::size_t begin = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(bytes.size());
  for (const std::size_t end : ends) {
    absl::Status status = import.Feed(bytes.substr(begin, end - begin));
    begin = end;
    if (!status.ok()) {
      result.feed_status = status;
      result.summary = status;
      return result;
    }
  }
  result.summary = import.Finish();
  if (result.summary.ok()) result.lines = Collect(*import.AcceptedLines());
  return result;
}

inline ImportResult Import(std::string_view bytes, const CsvImportOptions& options = {}) {
  return ImportWithCuts(bytes, options, {});
}

// Feeds in pieces of `piece` bytes.
inline ImportResult ImportInPieces(std::string_view bytes, const CsvImportOptions& options,
                                   std::size_t piece) {
  std::vector<std::size_t> cuts;
  for (std::size_t at = piece; at < bytes.size(); at += piece) cuts.push_back(at);
  return ImportWithCuts(bytes, options, cuts);
}

// Like ImportWithCuts (in pieces of `piece` bytes), streaming: the lines come
// from TakeLines after every Feed and after Finish. The options must allow
// streaming (encoding and date order given).
inline ImportResult ImportStreamed(std::string_view bytes, CsvImportOptions options,
                                   std::size_t piece) {
  options.stream_lines = true;
  ImportResult result;
  CsvImport import(options);
  EXPECT_TRUE(import.streaming());
  std::vector<LineBatch> batches;
  const auto take = [&] {
    import.TakeLines(batches);
    for (const LineBatch& batch : batches) {
      EXPECT_LE(batch.line_count(), kLinesPerBatch);
      LineBatchReader reader(batch.bytes());
      OrderLine line;
      while (reader.Next(line)) result.lines.push_back(line);
      EXPECT_TRUE(reader.status().ok()) << reader.status();
    }
    batches.clear();
  };
  for (std::size_t begin = 0; begin < bytes.size(); begin += piece) {
    absl::Status status = import.Feed(bytes.substr(begin, piece));
    if (!status.ok()) {
      result.feed_status = status;
      result.summary = status;
      return result;
    }
    take();
  }
  result.summary = import.Finish();
  take();
  // Streamed lines are not spooled as well.
  if (result.summary.ok()) {
    EXPECT_TRUE(Collect(*import.AcceptedLines()).empty());
  }
  return result;
}

inline std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace analytics::testing
