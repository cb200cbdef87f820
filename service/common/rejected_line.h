// Why an input line was not loaded. Ingest and CSV import both report the
// first rejected lines back to the caller with these.
#pragma once

#include <cstdint>
#include <string>

namespace analytics {

struct RejectedLine {
  std::int64_t line_number = 0;  // 1-based position in the stream or file
  std::string field;             // field or column at fault; empty when none
  std::string reason;

  friend bool operator==(const RejectedLine&, const RejectedLine&) = default;
};

// How many rejected lines a reply lists (the counts are always complete).
inline constexpr std::size_t kMaxReportedRejections = 100;

}  // namespace analytics
