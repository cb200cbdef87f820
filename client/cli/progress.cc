#include "cli/progress.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "cli/format.h"

namespace analytics::cli {
namespace {

constexpr auto kInteractiveInterval = std::chrono::milliseconds(100);
constexpr auto kPlainInterval = std::chrono::seconds(5);

std::string Rate(const ProgressSnapshot& s) {
  if (s.elapsed_seconds <= 0) return "";
  return FormatBytes(static_cast<std::int64_t>(static_cast<double>(s.bytes) / s.elapsed_seconds)) +
         "/s";
}

}  // namespace

void LineCounter::Add(std::string_view chunk) {
  for (const char c : chunk) {
    const bool is_break = c == '\r' || c == '\n';
    // The LF of a CRLF was counted with its CR, even in an earlier chunk.
    if (c == '\r' || (c == '\n' && !last_was_cr_)) ++ended_;
    last_was_cr_ = c == '\r';
    in_line_ = !is_break;
  }
}

std::string FormatEta(double seconds) {
  const std::int64_t total = static_cast<std::int64_t>(std::ceil(std::max(seconds, 0.0)));
  const std::int64_t h = total / 3600, m = total / 60 % 60, s = total % 60;
  auto two = [](std::int64_t v) { return absl::StrCat(v < 10 ? "0" : "", v); };
  if (h > 0) return absl::StrCat(h, "h", two(m), "m");
  if (m > 0) return absl::StrCat(m, "m", two(s), "s");
  return absl::StrCat(s, "s");
}

std::string RenderProgressBar(const ProgressSnapshot& s, int bar_width) {
  std::string out;
  if (s.total_bytes && *s.total_bytes > 0) {
    const double fraction =
        std::clamp(static_cast<double>(s.bytes) / static_cast<double>(*s.total_bytes), 0.0, 1.0);
    const int filled = static_cast<int>(fraction * bar_width);
    absl::StrAppend(&out, "[", std::string(filled, '#'), std::string(bar_width - filled, '.'), "] ",
                    std::string(fraction < 0.095   ? 2
                                : fraction < 0.995 ? 1
                                                   : 0,
                                ' '),
                    static_cast<int>(fraction * 100), "%  ", FormatBytes(s.bytes), " / ",
                    FormatBytes(*s.total_bytes));
  } else {
    absl::StrAppend(&out, FormatBytes(s.bytes));
  }
  absl::StrAppend(&out, "  ", FormatCount(s.lines), " lines");
  const std::string rate = Rate(s);
  if (!rate.empty()) absl::StrAppend(&out, "  ", rate);
  if (s.total_bytes && s.bytes > 0 && s.elapsed_seconds > 0) {
    const double remaining = static_cast<double>(*s.total_bytes - s.bytes) * s.elapsed_seconds /
                             static_cast<double>(s.bytes);
    absl::StrAppend(&out, "  ETA ", FormatEta(remaining));
  }
  return out;
}

std::string RenderProgressLine(const ProgressSnapshot& s) {
  std::string out = absl::StrCat("sent ", FormatBytes(s.bytes));
  if (s.total_bytes && *s.total_bytes > 0) {
    absl::StrAppend(&out, " of ", FormatBytes(*s.total_bytes), " (",
                    static_cast<int>(100.0 * static_cast<double>(s.bytes) /
                                     static_cast<double>(*s.total_bytes)),
                    "%)");
  }
  absl::StrAppend(&out, ", ", FormatCount(s.lines), " lines");
  const std::string rate = Rate(s);
  if (!rate.empty()) absl::StrAppend(&out, ", ", rate);
  return out;
}

ImportProgress::ImportProgress(std::ostream& out, bool interactive,
                               std::optional<std::int64_t> total_bytes, Clock clock)
    : out_(out),
      interactive_(interactive),
      total_bytes_(total_bytes),
      clock_(std::move(clock)),
      start_(clock_()),
      last_print_(start_) {}

void ImportProgress::Update(std::int64_t bytes, std::int64_t lines) {
  bytes_ = bytes;
  lines_ = lines;
  const auto now = clock_();
  const auto interval = interactive_ ? std::chrono::steady_clock::duration(kInteractiveInterval)
                                     : std::chrono::steady_clock::duration(kPlainInterval);
  if (now - last_print_ < interval) return;
  last_print_ = now;
  Print();
}

void ImportProgress::Finish() {
  if (finished_) return;
  finished_ = true;
  Print();
  if (interactive_) out_ << "\n";
  out_.flush();
}

ProgressSnapshot ImportProgress::Snapshot() const {
  return ProgressSnapshot{
      .bytes = bytes_,
      .lines = lines_,
      .total_bytes = total_bytes_,
      .elapsed_seconds = std::chrono::duration<double>(clock_() - start_).count(),
  };
}

void ImportProgress::Print() {
  const ProgressSnapshot snapshot = Snapshot();
  if (interactive_) {
    // Return to column 0 and clear the rest of the previous, maybe longer, line.
    out_ << "\r" << RenderProgressBar(snapshot) << "\x1b[K";
  } else {
    out_ << "import: " << RenderProgressLine(snapshot) << "\n";
  }
  out_.flush();
}

}  // namespace analytics::cli
