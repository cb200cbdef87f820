// Import progress rendering and throttling, driven by a fake clock.
#include "cli/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace analytics::cli {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

TEST(ProgressTest, BarWithTotal) {
  const ProgressSnapshot s{.bytes = 5 * 1024 * 1024,
                           .lines = 12345,
                           .total_bytes = 20 * 1024 * 1024,
                           .elapsed_seconds = 2.0};
  EXPECT_EQ(RenderProgressBar(s, 8),
            "[##......]  25%  5.0 MiB / 20.0 MiB  12,345 lines  2.5 MiB/s  ETA 6s");
}

TEST(ProgressTest, BarWithoutTotalHasNoPercentOrEta) {
  const ProgressSnapshot s{
      .bytes = 2048, .lines = 10, .total_bytes = std::nullopt, .elapsed_seconds = 1.0};
  EXPECT_EQ(RenderProgressBar(s), "2.0 KiB  10 lines  2.0 KiB/s");
}

TEST(ProgressTest, PlainLine) {
  const ProgressSnapshot s{.bytes = 1024, .lines = 3, .total_bytes = 4096, .elapsed_seconds = 0};
  EXPECT_EQ(RenderProgressLine(s), "sent 1.0 KiB of 4.0 KiB (25%), 3 lines");
}

TEST(LineCounterTest, CountsEveryLineEndingAcrossChunks) {
  LineCounter lf;
  lf.Add("a,b\nc,");
  lf.Add("d\n");
  EXPECT_EQ(lf.lines(), 2);
  LineCounter crlf;  // "\r\n" split over two chunks is one line end
  crlf.Add("a\r\nb\r");
  EXPECT_EQ(crlf.lines(), 2);
  crlf.Add("\nc\r\n");
  EXPECT_EQ(crlf.lines(), 3);
  LineCounter cr;  // old Mac exports end lines with a lone "\r"
  cr.Add("a\rb\rc\r");
  EXPECT_EQ(cr.lines(), 3);
  LineCounter none;
  none.Add("");
  EXPECT_EQ(none.lines(), 0);
}

TEST(LineCounterTest, EveryStyleAndEveryCutGivesTheSameCount) {
  // Three records (the header and two lines), the last without a line end,
  // in each line-end style, cut into two chunks at every offset.
  for (const std::string_view end : {"\r", "\n", "\r\n"}) {
    const std::string file = absl::StrCat("Order ID,Sales", std::string(end), "O1,1",
                                          std::string(end), std::string(end), "O2,2");
    for (std::size_t cut = 0; cut <= file.size(); ++cut) {
      LineCounter counter;
      counter.Add(std::string_view(file).substr(0, cut));
      counter.Add(std::string_view(file).substr(cut));
      EXPECT_EQ(counter.lines(), 4) << "cut at " << cut;  // 3 records + 1 blank line
    }
  }
  // Byte by byte, Superstore style: bare CRs, and a CRLF at the very end.
  LineCounter bytewise;
  for (const char c : std::string_view("h\ra\rb\rc\r\n")) bytewise.Add(std::string_view(&c, 1));
  EXPECT_EQ(bytewise.lines(), 4);
  LineCounter unended;  // a line in progress counts, once
  unended.Add("a\nb");
  EXPECT_EQ(unended.lines(), 2);
  unended.Add("c");
  EXPECT_EQ(unended.lines(), 2);
  unended.Add("\n");
  EXPECT_EQ(unended.lines(), 2);
}

TEST(ProgressTest, Eta) {
  EXPECT_EQ(FormatEta(0), "0s");
  EXPECT_EQ(FormatEta(5.2), "6s");
  EXPECT_EQ(FormatEta(125), "2m05s");
  EXPECT_EQ(FormatEta(3725), "1h02m");
}

TEST(ProgressTest, PlainOutputIsThrottledAndFinishesOnce) {
  Clock::time_point now{};
  std::ostringstream out;
  ImportProgress progress(out, /*interactive=*/false, 1000, [&] { return now; });
  progress.Update(100, 1);  // too soon: nothing
  EXPECT_EQ(out.str(), "");
  now += std::chrono::seconds(6);
  progress.Update(500, 5);
  EXPECT_EQ(out.str(), "import: sent 500 B of 1000 B (50%), 5 lines, 83 B/s\n");
  now += std::chrono::seconds(1);
  progress.Update(600, 6);  // within the interval again
  progress.Finish();
  progress.Finish();
  EXPECT_EQ(out.str(),
            "import: sent 500 B of 1000 B (50%), 5 lines, 83 B/s\n"
            "import: sent 600 B of 1000 B (60%), 6 lines, 85 B/s\n");
}

TEST(ProgressTest, InteractiveOutputRedrawsInPlace) {
  Clock::time_point now{};
  std::ostringstream out;
  ImportProgress progress(out, /*interactive=*/true, 1000, [&] { return now; });
  now += std::chrono::milliseconds(150);
  progress.Update(1000, 9);
  progress.Finish();
  const std::string text = out.str();
  EXPECT_EQ(text.front(), '\r');
  EXPECT_THAT(text, HasSubstr("100%"));
  EXPECT_THAT(text, HasSubstr("\x1b[K"));
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace analytics::cli
