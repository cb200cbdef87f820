// Upload progress of `analytics-cli import` on stderr.
//
// On a terminal it redraws one line in place — a bar with bytes, lines, rate
// and ETA — at most ten times a second. Elsewhere (CI logs, pipes) carriage
// returns would make a mess, so it prints a plain line every few seconds and
// a last line when the upload ends. The clock is injected so that tests can
// drive time without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace analytics::cli {

struct ProgressSnapshot {
  std::int64_t bytes = 0;
  std::int64_t lines = 0;
  std::optional<std::int64_t> total_bytes;  // unknown for stdin
  double elapsed_seconds = 0;
};

// Counts physical lines in a byte stream fed in chunks of any size: "\n",
// "\r\n" and a lone "\r" (old Mac exports) each end one line, also when a
// chunk boundary splits "\r\n". A line started but not yet ended counts
// too, so that a file without a final line end is not one short.
class LineCounter {
 public:
  void Add(std::string_view chunk);
  std::int64_t lines() const { return ended_ + (in_line_ ? 1 : 0); }

 private:
  std::int64_t ended_ = 0;
  bool last_was_cr_ = false;
  bool in_line_ = false;  // bytes since the last line end
};

// "[#######.............]  35%  12.3 MiB / 35.0 MiB  120,345 lines  4.1 MiB/s  ETA 6s"
// (without the bar and percentage when the total is unknown).
std::string RenderProgressBar(const ProgressSnapshot& snapshot, int bar_width = 24);
// "sent 12.3 MiB of 35.0 MiB (35%), 120,345 lines, 4.1 MiB/s"
std::string RenderProgressLine(const ProgressSnapshot& snapshot);
// "3s", "2m05s", "1h02m"
std::string FormatEta(double seconds);

class ImportProgress {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  ImportProgress(
      std::ostream& out, bool interactive, std::optional<std::int64_t> total_bytes,
      Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Records the totals sent so far; prints when the throttle interval passed.
  void Update(std::int64_t bytes, std::int64_t lines);
  // Prints the final state once (on a terminal, ends the redrawn line).
  void Finish();

 private:
  ProgressSnapshot Snapshot() const;
  void Print();

  std::ostream& out_;
  const bool interactive_;
  const std::optional<std::int64_t> total_bytes_;
  const Clock clock_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
  std::int64_t bytes_ = 0;
  std::int64_t lines_ = 0;
  bool finished_ = false;
};

}  // namespace analytics::cli
