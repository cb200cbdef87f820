// The store interface's contract (store/store.h), checked on both stores:
// SQLite (OrderStore, :memory:) and a real PostgreSQL 15 (PgStore, a fresh
// database per test). Counts, replace, all-or-nothing writes, the magnitude
// bound, and a columnar engine that follows every write.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "query/columnar/columnar_engine.h"
#include "support/both_stores.h"
#include "support/sample_lines.h"

namespace analytics {
namespace {

using testing::BrokenSource;
using testing::SampleLines;
using testing::VectorSource;

class StoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    store_ = testing::OpenStoreWithSql(GetParam()).store;
    ASSERT_NE(store_, nullptr);
  }
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContractTest, UpsertCountsInsertsAndUpdatesByLineKey) {
  EXPECT_TRUE(*store_->IsEmpty());
  VectorSource first(SampleLines());
  const WriteResult initial = *store_->Upsert(first);
  EXPECT_EQ(initial.inserted, 5);
  EXPECT_EQ(initial.updated, 0);
  VectorSource again(SampleLines());
  const WriteResult repeated = *store_->Upsert(again);
  EXPECT_EQ(repeated.inserted, 0);
  EXPECT_EQ(repeated.updated, 5);
  EXPECT_EQ(*store_->CountLines(), 5);
  EXPECT_FALSE(*store_->IsEmpty());
  EXPECT_EQ(store_->LastCommittedStats().lines, 5);
  EXPECT_EQ(store_->LastCommittedStats().lines_written, 10);

  VectorSource classify(SampleLines());
  EXPECT_EQ(store_->Classify(classify)->updated, 5);
  EXPECT_EQ(*store_->CountLines(), 5);
}

TEST_P(StoreContractTest, ReassignedLinesAreCountedInWriteOrder) {
  VectorSource first(SampleLines());
  ASSERT_TRUE(store_->Upsert(first).ok());
  std::vector<OrderLine> lines = {SampleLines()[0], SampleLines()[2], SampleLines()[0]};
  lines[0].order_id = "O9";     // L1: another order
  lines[1].customer_id = "C9";  // L3: another customer
  lines[2].line_key = "L6";     // new
  lines.push_back(lines[2]);    // L6 again in the same write: an update
  lines.back().order_id = "O7";
  VectorSource source(lines);
  const WriteResult result = *store_->Upsert(source);
  EXPECT_EQ(result.inserted, 1);
  EXPECT_EQ(result.updated, 3);
  EXPECT_EQ(result.reassigned, 3);
  ASSERT_EQ(result.reassigned_lines.size(), 3u);
  EXPECT_EQ(result.reassigned_lines[0].line_key, "L1");
  EXPECT_EQ(result.reassigned_lines[0].previous_order_id, "O1");
  EXPECT_EQ(result.reassigned_lines[0].order_id, "O9");
  EXPECT_EQ(result.reassigned_lines[1].previous_customer_id, "C2");
  EXPECT_EQ(result.reassigned_lines[2].line_key, "L6");
  EXPECT_EQ(result.reassigned_lines[2].order_id, "O7");
  EXPECT_EQ(*store_->CountLines(), 6);
}

TEST_P(StoreContractTest, ReplaceDeletesEverythingFirstInTheSameTransaction) {
  VectorSource first(SampleLines());
  ASSERT_TRUE(store_->Upsert(first).ok());
  VectorSource one({SampleLines()[0]});
  const WriteResult result = *store_->Upsert(one, /*replace=*/true);
  EXPECT_EQ(result.inserted, 1);
  EXPECT_EQ(*store_->CountLines(), 1);
  EXPECT_EQ(store_->LastCommittedStats().lines, 1);
}

TEST_P(StoreContractTest, ASourceThatFailsAfterSomeLinesWritesNothing) {
  VectorSource existing(SampleLines());
  ASSERT_TRUE(store_->Upsert(existing).ok());
  BrokenSource broken(3);
  const absl::StatusOr<WriteResult> written = store_->Upsert(broken);
  EXPECT_EQ(written.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(*store_->CountLines(), 5);
  BrokenSource replacing(2);
  EXPECT_EQ(store_->Upsert(replacing, /*replace=*/true).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(*store_->CountLines(), 5);
  VectorSource again(SampleLines());
  EXPECT_EQ(store_->Upsert(again)->updated, 5);
}

TEST_P(StoreContractTest, RefusesLinesThatWouldBreakTheMagnitudeBound) {
  std::vector<OrderLine> lines;
  for (int i = 0; i < 10; ++i) {
    OrderLine line = SampleLines()[0];
    line.line_key = "big-" + std::to_string(i);
    line.sales = kMaxAbsMicros;
    lines.push_back(line);
  }
  VectorSource nine(std::vector<OrderLine>(lines.begin(), lines.begin() + 9));
  ASSERT_TRUE(store_->Upsert(nine).ok());
  VectorSource tenth({lines[9]});
  const absl::StatusOr<WriteResult> refused = store_->Upsert(tenth);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kOutOfRange) << refused.status();
  EXPECT_EQ(*store_->CountLines(), 9);
}

TEST_P(StoreContractTest, TheColumnarEngineFollowsEveryWrite) {
  VectorSource first(SampleLines());
  ASSERT_TRUE(store_->Upsert(first).ok());
  absl::StatusOr<std::unique_ptr<ColumnarEngine>> engine = ColumnarEngine::Create(*store_);
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ((*engine)->LineCount(), 5);
  std::vector<OrderLine> more = SampleLines();
  for (OrderLine& line : more) line.line_key += "b";
  VectorSource second(more);
  ASSERT_TRUE(store_->Upsert(second).ok());
  // Visible as soon as Upsert returns, on either store.
  EXPECT_EQ((*engine)->LineCount(), 10);
  const Measures totals = *(*engine)->Totals(Filter{});
  EXPECT_EQ(totals.revenue, 2 * (100'100'000 + 50'005'000 + 200'000'000 + 100 + 300'000'000));
  VectorSource one({SampleLines()[0]});
  ASSERT_TRUE(store_->Upsert(one, /*replace=*/true).ok());
  EXPECT_EQ((*engine)->LineCount(), 1);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest, testing::kStoreKinds, testing::StoreKindName);

}  // namespace
}  // namespace analytics
