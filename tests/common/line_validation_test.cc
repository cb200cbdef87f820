// The shared line rules (common/line_validation.h), the reply-size cuts and
// the store's magnitude bound arithmetic (common/magnitude_totals.h).
#include "common/line_validation.h"

#include <gtest/gtest.h>

#include <limits>

#include "common/line_batch.h"
#include "common/magnitude_totals.h"
#include "demo/demo_generator.h"

namespace analytics {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

OrderLineView GoodLine() {
  OrderLineView line;
  line.order_id = "O1";
  line.customer_id = "C1";
  line.order_date = *ParseIsoDay("2024-03-01");
  line.sales = 10 * kMicrosPerUnit;
  line.quantity = 2;
  line.discount = 200'000;
  line.profit = -3 * kMicrosPerUnit;
  return line;
}

std::optional<LineField> ProblemOf(const OrderLineView& line) {
  const std::optional<LineProblem> problem = ValidateLine(line);
  if (!problem) return std::nullopt;
  return problem->field;
}

TEST(ValidateLine, AcceptsAGoodLineAndEveryDocumentedExtreme) {
  EXPECT_EQ(ProblemOf(GoodLine()), std::nullopt);
  OrderLineView line = GoodLine();
  line.sales = kMaxAbsMicros;
  line.profit = -kMaxAbsMicros;
  line.quantity = kMaxQuantity;
  line.discount = kMicrosPerUnit;
  line.order_date = *DayFromYmd(kMinYear, 1, 1);
  line.ship_date = *DayFromYmd(kMaxYear, 12, 31);
  EXPECT_EQ(ProblemOf(line), std::nullopt);
  line.sales = -kMaxAbsMicros;
  line.profit = kMaxAbsMicros;
  line.quantity = 0;
  line.discount = 0;
  EXPECT_EQ(ProblemOf(line), std::nullopt);
}

TEST(ValidateLine, BlankIdsAreRefused) {
  for (const std::string_view blank : {"", " ", "   ", "\t", " \t "}) {
    OrderLineView line = GoodLine();
    line.order_id = blank;
    EXPECT_EQ(ProblemOf(line), LineField::kOrderId) << "[" << blank << "]";
    line = GoodLine();
    line.customer_id = blank;
    EXPECT_EQ(ProblemOf(line), LineField::kCustomerId) << "[" << blank << "]";
  }
  OrderLineView line = GoodLine();
  line.order_id = " O1 ";
  EXPECT_EQ(ProblemOf(line), std::nullopt);
}

TEST(ValidateLine, EveryLimitIsOneStepWide) {
  const auto with = [](auto edit) {
    OrderLineView line = GoodLine();
    edit(line);
    return ProblemOf(line);
  };
  EXPECT_EQ(with([](auto& l) { l.sales = kMaxAbsMicros + 1; }), LineField::kSales);
  EXPECT_EQ(with([](auto& l) { l.sales = -kMaxAbsMicros - 1; }), LineField::kSales);
  EXPECT_EQ(with([](auto& l) { l.sales = kInt64Min; }), LineField::kSales);
  EXPECT_EQ(with([](auto& l) { l.profit = kMaxAbsMicros + 1; }), LineField::kProfit);
  EXPECT_EQ(with([](auto& l) { l.profit = kInt64Min; }), LineField::kProfit);
  EXPECT_EQ(with([](auto& l) { l.quantity = kMaxQuantity + 1; }), LineField::kQuantity);
  EXPECT_EQ(with([](auto& l) { l.quantity = std::int64_t{1} << 62; }), LineField::kQuantity);
  EXPECT_EQ(with([](auto& l) { l.quantity = -1; }), LineField::kQuantity);
  EXPECT_EQ(with([](auto& l) { l.discount = -1; }), LineField::kDiscount);
  EXPECT_EQ(with([](auto& l) { l.discount = kMicrosPerUnit + 1; }), LineField::kDiscount);
  EXPECT_EQ(with([](auto& l) { l.order_date = *DayFromYmd(kMinYear, 1, 1) - 1; }),
            LineField::kOrderDate);
  EXPECT_EQ(with([](auto& l) { l.order_date = *DayFromYmd(kMaxYear, 12, 31) + 1; }),
            LineField::kOrderDate);
  EXPECT_EQ(with([](auto& l) { l.ship_date = *DayFromYmd(kMaxYear, 12, 31) + 1; }),
            LineField::kShipDate);
}

TEST(ValidateLine, ReasonsNameTheValueAndStayShort) {
  OrderLineView line = GoodLine();
  line.quantity = std::int64_t{1} << 62;
  const std::optional<LineProblem> problem = ValidateLine(line);
  ASSERT_TRUE(problem);
  EXPECT_EQ(LineFieldName(problem->field), "quantity");
  EXPECT_NE(problem->reason.find("4611686018427387904"), std::string::npos) << problem->reason;
  EXPECT_LE(problem->reason.size(), kMaxRejectionReasonBytes);
}

TEST(ValidateLine, EveryDemoLinePassesTheSharedRules) {
  for (const std::uint64_t seed : {0u, 7u, 42u}) {
    DemoGenerator generator({.seed = seed,
                             .line_count = 20'000,
                             .customer_count = 300,
                             .end_day = *ParseIsoDay("2024-06-30"),
                             .span_days = 3650});
    OrderLine line;
    std::int64_t lines = 0;
    while (generator.Next(line)) {
      ++lines;
      const std::optional<LineProblem> problem = ValidateLine(ViewOf(line));
      ASSERT_FALSE(problem) << "seed " << seed << " line " << lines << ": "
                            << LineFieldName(problem->field) << " " << problem->reason;
    }
    EXPECT_EQ(lines, 20'000);
  }
}

TEST(QuoteInput, CutsLongInputOnACharacterBoundary) {
  EXPECT_EQ(QuoteInput("abc"), "\"abc\"");
  const std::string megabyte(1 << 20, 'x');
  const std::string quoted = QuoteInput(megabyte);
  EXPECT_EQ(quoted, "\"" + std::string(kQuotedInputBytes, 'x') + "...\"");
  // A euro sign (3 bytes) across the cut is left out whole.
  const std::string euros = std::string(kQuotedInputBytes - 1, 'a') + "\xE2\x82\xAC" + "tail";
  EXPECT_EQ(QuoteInput(euros), "\"" + std::string(kQuotedInputBytes - 1, 'a') + "...\"");
}

TEST(CutForReply, NeverLongerThanItsLimit) {
  EXPECT_EQ(CutForReply("short", 10), "short");
  EXPECT_EQ(CutForReply("0123456789", 10), "0123456789");
  EXPECT_EQ(CutForReply("0123456789A", 10), "0123456...");
  const std::string long_text(5 << 20, 'y');
  EXPECT_EQ(CutForReply(long_text, kMaxRejectionReasonBytes).size(), kMaxRejectionReasonBytes);
  // Multi-byte characters: the cut backs off to a boundary, still within.
  std::string accents;
  for (int i = 0; i < 1000; ++i) accents += "\xC3\xA9";
  const std::string cut = CutForReply(accents, 100);
  EXPECT_LE(cut.size(), 100u);
  EXPECT_EQ(cut.substr(cut.size() - 3), "...");
  EXPECT_EQ((cut.size() - 3) % 2, 0u);
}

TEST(ParseIsoDay, QuotesAMegabyteDateShortly) {
  const absl::StatusOr<Day> day = ParseIsoDay(std::string(1 << 20, '9'));
  ASSERT_FALSE(day.ok());
  EXPECT_LT(day.status().message().size(), 200u);
}

TEST(MagnitudeTotals, SumsMagnitudesAndSeesTheLimitExactly) {
  MagnitudeTotals totals;
  totals.Add(-5, 7, 3);
  totals.Add(5, -7, 0);
  EXPECT_EQ(totals.sales(), 10u);
  EXPECT_EQ(totals.profit(), 14u);
  EXPECT_EQ(totals.quantity(), 3u);
  EXPECT_EQ(totals.Exceeded(), std::nullopt);

  // Exactly INT64_MAX fits; one more micro does not.
  MagnitudeTotals at_limit;
  at_limit.Add(kInt64Max, -kInt64Max, kInt64Max);
  EXPECT_EQ(at_limit.Exceeded(), std::nullopt);
  MagnitudeTotals over = at_limit;
  over.Add(0, 0, 1);
  EXPECT_EQ(over.Exceeded(), MagnitudeTotals::Field::kQuantity);
  over = at_limit;
  over.Add(0, -1, 0);
  EXPECT_EQ(over.Exceeded(), MagnitudeTotals::Field::kProfit);
  over = at_limit;
  over.Add(-1, 0, 0);
  EXPECT_EQ(over.Exceeded(), MagnitudeTotals::Field::kSales);

  // INT64_MIN's magnitude (2^63) is past the limit on its own, and sums far
  // past 2^64 neither wrap nor come back under it.
  MagnitudeTotals minimum;
  minimum.Add(kInt64Min, 0, 0);
  EXPECT_EQ(minimum.sales(), std::uint64_t{1} << 63);
  EXPECT_EQ(minimum.Exceeded(), MagnitudeTotals::Field::kSales);
  MagnitudeTotals huge;
  for (int i = 0; i < 1000; ++i) huge.Add(kInt64Min, kInt64Min, kInt64Max);
  EXPECT_EQ(huge.sales(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(huge.Exceeded(), MagnitudeTotals::Field::kSales);
}

TEST(MagnitudeTotals, NineLinesAtTheMaximumFitAndTenDoNot) {
  MagnitudeTotals totals;
  for (int i = 0; i < 9; ++i) totals.Add(kMaxAbsMicros, -kMaxAbsMicros, kMaxQuantity);
  EXPECT_EQ(totals.Exceeded(), std::nullopt);
  // The largest total the bound allows: 9 x 10^12 units + the rest.
  const Micros rest = kInt64Max - 9 * kMaxAbsMicros;
  MagnitudeTotals full = totals;
  full.Add(rest, rest, 0);
  EXPECT_EQ(full.sales(), static_cast<std::uint64_t>(kInt64Max));
  EXPECT_EQ(full.Exceeded(), std::nullopt);
  totals.Add(kMaxAbsMicros, 0, 0);
  EXPECT_EQ(totals.Exceeded(), MagnitudeTotals::Field::kSales);
}

TEST(MagnitudeTotals, ALineBatchCarriesItsLinesMagnitudes) {
  LineBatch batch;
  OrderLineView line = GoodLine();
  line.line_key = "k1";
  batch.Add(line);
  line.line_key = "k2";
  line.sales = -kMaxAbsMicros;
  line.quantity = 5;
  batch.Add(line);
  MagnitudeTotals expected;
  expected.Add(10 * kMicrosPerUnit, -3 * kMicrosPerUnit, 2);
  expected.Add(-kMaxAbsMicros, -3 * kMicrosPerUnit, 5);
  EXPECT_EQ(batch.magnitudes(), expected);
  LineBatch moved = std::move(batch);
  EXPECT_EQ(moved.magnitudes(), expected);
  EXPECT_EQ(batch.magnitudes(), MagnitudeTotals());  // NOLINT: moved-from is empty
  LineBatch other;
  other.Swap(moved);
  EXPECT_EQ(other.magnitudes(), expected);
  other.Clear();
  EXPECT_EQ(other.magnitudes(), MagnitudeTotals());
}

TEST(MagnitudeTotals, RefusalsNameTheField) {
  EXPECT_EQ(MagnitudeRefusal(MagnitudeTotals::Field::kSales).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(MagnitudeRefusal(MagnitudeTotals::Field::kSales).message().substr(0, 13),
            "lines: sales:");
  EXPECT_EQ(MagnitudeRefusal(MagnitudeTotals::Field::kProfit).message().substr(0, 14),
            "lines: profit:");
  EXPECT_EQ(MagnitudeRefusal(MagnitudeTotals::Field::kQuantity).message().substr(0, 16),
            "lines: quantity:");
}

}  // namespace
}  // namespace analytics
