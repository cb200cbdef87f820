// The store's bound on its lines' magnitudes (common/magnitude_totals.h):
// a write that would take the sum of |sales|, |profit| or quantity past
// INT64_MAX is refused before it commits, row by row and through the write
// log alike; replace-all starts again from zero; opening recomputes the
// bound from what is stored, and refuses a database already past it.
#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/magnitude_totals.h"
#include "store/order_store.h"
#include "support/sample_lines.h"
#include "support/store_testing.h"

namespace analytics {
namespace {

using testing::AppendLoggedBatch;
using testing::QueryInt;
using testing::SampleLines;
using testing::TempDb;
using testing::VectorSource;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// Holds every key as the columnar engine does, so the store logs writes as
// batches (the write log) instead of upserting rows.
class KeyCountingListener final : public WriteListener {
 public:
  std::unique_ptr<PendingWrite> BeginWrite(bool replace) override {
    return std::make_unique<Pending>(*this, replace);
  }

 private:
  class Pending final : public PendingWrite {
   public:
    Pending(KeyCountingListener& owner, bool replace) : owner_(owner), replace_(replace) {}
    void Add(OrderLine&& line) override { keys_.push_back(line.line_key); }
    std::optional<WriteResult> Commit() override {
      if (replace_) owner_.keys_.clear();
      WriteResult counts;
      for (const std::string& key : keys_) {
        ++(owner_.keys_.insert(key).second ? counts.inserted : counts.updated);
      }
      return counts;
    }
    bool CountsKeys() const override { return true; }

   private:
    KeyCountingListener& owner_;
    bool replace_;
    std::vector<std::string> keys_;
  };
  std::set<std::string> keys_;
};

OrderLine Line(const std::string& key, Micros sales, Micros profit = 0, std::int64_t quantity = 1) {
  OrderLine line = SampleLines()[0];
  line.line_key = key;
  line.sales = sales;
  line.profit = profit;
  line.quantity = quantity;
  return line;
}

std::vector<OrderLine> Lines(const std::string& prefix, int count, Micros sales, Micros profit = 0,
                             std::int64_t quantity = 1) {
  std::vector<OrderLine> lines;
  for (int i = 0; i < count; ++i) {
    lines.push_back(Line(absl::StrCat(prefix, i), sales, profit, quantity));
  }
  return lines;
}

absl::StatusOr<WriteResult> Write(OrderStore& store, std::vector<OrderLine> lines,
                                  bool replace = false) {
  VectorSource source(std::move(lines));
  return store.Upsert(source, replace);
}

// Lines stored, counting the write log's.
std::int64_t StoredLines(OrderStore& store) { return store.LastCommittedStats().lines; }

// Row by row (no listener) and through the write log (a key-counting one).
class MagnitudeBound : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    store_ = *OrderStore::Open(":memory:");
    if (GetParam()) {
      ASSERT_TRUE(
          store_->Subscribe(listener_, [](sqlite::Connection&) { return absl::OkStatus(); }).ok());
    }
  }
  void TearDown() override {
    if (GetParam()) store_->Unsubscribe(listener_);
  }
  KeyCountingListener listener_;
  std::unique_ptr<OrderStore> store_;
};

TEST_P(MagnitudeBound, NineLinesAtTheMaximumFitTheTenthIsRefusedAndNothingIsWritten) {
  ASSERT_TRUE(Write(*store_, Lines("a", 9, kMaxAbsMicros, -kMaxAbsMicros)).ok());
  EXPECT_EQ(store_->Magnitudes().sales(), 9 * static_cast<std::uint64_t>(kMaxAbsMicros));
  EXPECT_EQ(store_->Magnitudes().profit(), 9 * static_cast<std::uint64_t>(kMaxAbsMicros));
  const MagnitudeTotals before = store_->Magnitudes();

  // One good small line, then the one too many: the whole write is refused.
  std::vector<OrderLine> write = Lines("b", 3, kMicrosPerUnit);
  write.push_back(Line("b-too-many", kMaxAbsMicros));
  const absl::StatusOr<WriteResult> refused = Write(*store_, write);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kOutOfRange) << refused.status();
  EXPECT_EQ(refused.status().message(),
            "lines: sales: the store's total of |sales| would exceed 9,223,372,036,854.775807; "
            "nothing was written");
  EXPECT_EQ(StoredLines(*store_), 9);
  EXPECT_EQ(QueryInt(*store_, "SELECT COUNT(*) FROM order_lines"), 9);
  EXPECT_EQ(store_->Magnitudes(), before);

  // Up to the last micro of the bound is fine, exact in SQL's SUM too.
  const Micros rest = kInt64Max - 9 * kMaxAbsMicros;
  ASSERT_TRUE(Write(*store_, {Line("c", -rest, rest)}).ok());
  EXPECT_EQ(store_->Magnitudes().sales(), static_cast<std::uint64_t>(kInt64Max));
  EXPECT_EQ(QueryInt(*store_, "SELECT SUM(sales) FROM order_lines"), 9 * kMaxAbsMicros - rest);
  EXPECT_EQ(QueryInt(*store_, "SELECT SUM(ABS(sales)) FROM order_lines"), kInt64Max);
  // A line of zero sales still fits; a micro more does not.
  EXPECT_TRUE(Write(*store_, {Line("zero", 0, 0, 0)}).ok());
  EXPECT_EQ(Write(*store_, {Line("micro", 1, 0, 0)}).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Write(*store_, {Line("micro", -1, 0, 0)}).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST_P(MagnitudeBound, ProfitAndQuantityHaveTheirOwnBound) {
  ASSERT_TRUE(Write(*store_, Lines("p", 9, 0, -kMaxAbsMicros, 0)).ok());
  const absl::StatusOr<WriteResult> profit = Write(*store_, {Line("p-more", 0, kMaxAbsMicros, 0)});
  ASSERT_EQ(profit.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(profit.status().message().substr(0, 14), "lines: profit:");

  // The store does not check per-line limits (the write paths do), so
  // quantities this large reach the bound in a test.
  ASSERT_TRUE(Write(*store_, {Line("q1", 0, 0, kInt64Max / 2)}).ok());
  ASSERT_TRUE(Write(*store_, {Line("q2", 0, 0, kInt64Max / 2 + 1)}).ok());
  const absl::StatusOr<WriteResult> quantity = Write(*store_, {Line("q3", 0, 0, 1)});
  ASSERT_EQ(quantity.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(quantity.status().message().substr(0, 16), "lines: quantity:");
  EXPECT_EQ(QueryInt(*store_, "SELECT SUM(quantity) FROM order_lines"), kInt64Max);
}

TEST_P(MagnitudeBound, ReplacedLinesStillCountUntilAReplaceAllStartsAgain) {
  ASSERT_TRUE(Write(*store_, Lines("a", 5, kMaxAbsMicros)).ok());
  // The same five keys again: the stored total would stay 5 x 10^12, but
  // the bound adds without subtracting what is replaced (documented).
  const absl::StatusOr<WriteResult> again = Write(*store_, Lines("a", 5, kMaxAbsMicros));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(StoredLines(*store_), 5);

  // A replace-all write starts from its own lines.
  ASSERT_TRUE(Write(*store_, Lines("r", 9, kMaxAbsMicros), /*replace=*/true).ok());
  EXPECT_EQ(store_->Magnitudes().sales(), 9 * static_cast<std::uint64_t>(kMaxAbsMicros));
  ASSERT_TRUE(Write(*store_, Lines("s", 2, kMicrosPerUnit), /*replace=*/true).ok());
  EXPECT_EQ(store_->Magnitudes().sales(), 2 * static_cast<std::uint64_t>(kMicrosPerUnit));
  EXPECT_EQ(StoredLines(*store_), 2);
}

TEST_P(MagnitudeBound, ADryRunSaysWhatTheWriteWouldGet) {
  ASSERT_TRUE(Write(*store_, Lines("a", 9, kMaxAbsMicros)).ok());
  VectorSource fits({Line("b", 1000)});
  EXPECT_TRUE(store_->Classify(fits).ok());
  VectorSource too_much({Line("c", kMaxAbsMicros)});
  EXPECT_EQ(store_->Classify(too_much).status().code(), absl::StatusCode::kOutOfRange);
}

INSTANTIATE_TEST_SUITE_P(RowByRowAndLogged, MagnitudeBound, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Logged") : std::string("RowByRow");
                         });

// Open sums the bound itself, or on a thread of its own while Open returns
// (OrderStoreOptions::bound_in_background, the server's way): the same
// bound, the same refusal, only reported later.
class MagnitudeBoundAtOpen : public ::testing::TestWithParam<bool> {
 protected:
  OrderStoreOptions Options() const { return {.bound_in_background = GetParam()}; }
};

TEST_P(MagnitudeBoundAtOpen, ReopeningRecomputesTheBoundFromRowsAndLog) {
  TempDb db(GetParam() ? "magnitudes-reopen-bg" : "magnitudes-reopen");
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
    ASSERT_TRUE(Write(*store, Lines("a", 5, kMaxAbsMicros, 7, 3)).ok());
    // Rewriting the same lines adds to the running bound ...
    ASSERT_TRUE(Write(*store, Lines("a", 2, kMaxAbsMicros, 7, 3)).ok());
    EXPECT_EQ(store->Magnitudes().sales(), 7 * static_cast<std::uint64_t>(kMaxAbsMicros));
    // ... and a crash can leave lines in the write log.
    ASSERT_TRUE(store
                    ->WithConnection([](sqlite::Connection& c) {
                      return AppendLoggedBatch(c, {Line("logged", -kMicrosPerUnit, -1, 4)});
                    })
                    .ok());
  }
  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path(), Options());
  EXPECT_TRUE(store->BoundChecked().ok());
  // ... the stored lines are recounted: five rows and the logged line.
  MagnitudeTotals expected;
  for (int i = 0; i < 5; ++i) expected.Add(kMaxAbsMicros, 7, 3);
  expected.Add(-kMicrosPerUnit, -1, 4);
  EXPECT_EQ(store->Magnitudes(), expected);
  EXPECT_TRUE(Write(*store, Lines("b", 4, kMaxAbsMicros)).ok());
}

TEST_P(MagnitudeBoundAtOpen, ADatabaseAlreadyPastTheBoundIsRefusedNamingTheFile) {
  for (const bool in_log : {false, true}) {
    SCOPED_TRACE(in_log ? "in the write log" : "in rows");
    TempDb db(absl::StrCat(in_log ? "magnitudes-past-log" : "magnitudes-past-rows",
                           GetParam() ? "-bg" : ""));
    {
      std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
      ASSERT_TRUE(Write(*store, Lines("a", 9, kMaxAbsMicros)).ok());
      // Ten lines at the maximum, as a version without the bound accepted.
      ASSERT_TRUE(store
                      ->WithConnection([&](sqlite::Connection& c) {
                        if (in_log) return AppendLoggedBatch(c, {Line("old", kMaxAbsMicros)});
                        return c.Execute(
                            "INSERT INTO order_lines (line_key, order_id, order_date, "
                            "customer_id, sales) VALUES ('old', 'O', 19000, 'C', "
                            "1000000000000000000)");
                      })
                      .ok());
    }
    absl::StatusOr<std::unique_ptr<OrderStore>> reopened = OrderStore::Open(db.path(), Options());
    absl::Status refused = reopened.status();
    if (GetParam()) {
      // Open returns at once; the check, and every write, say it instead.
      ASSERT_TRUE(reopened.ok()) << reopened.status();
      refused = (*reopened)->BoundChecked();
      const std::int64_t before = StoredLines(**reopened);
      const absl::StatusOr<WriteResult> write = Write(**reopened, Lines("b", 1, 1));
      EXPECT_EQ(write.status(), refused);
      EXPECT_EQ(StoredLines(**reopened), before);
    }
    ASSERT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.message().find(db.path()), std::string::npos) << refused;
    EXPECT_NE(refused.message().find("|sales|"), std::string::npos) << refused;
  }
}

INSTANTIATE_TEST_SUITE_P(SummedInOpenOrInTheBackground, MagnitudeBoundAtOpen, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Background") : std::string("InOpen");
                         });

}  // namespace
}  // namespace analytics
