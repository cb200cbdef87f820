// QueryEngine::ReadConsistently: the calls a read makes on its view all see
// one committed state, however writes interleave. For each engine (SQL,
// columnar, and the fallback router serving from either), a reader and a
// writer go in lockstep: each write is let loose while a view is open, after
// the view's first call. Within every view the breakdown's groups and the
// scored customers' lifetime revenue must add up to the totals, and the
// totals must not move between two calls; across views they only grow.
// Each on both stores (support/both_stores.h): SQLite, and a real PostgreSQL
// 15, where the SQL engine's view is one REPEATABLE READ transaction and the
// columnar copy follows the writes through the store's change log.
#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "query/columnar/columnar_engine.h"
#include "query/fallback_engine.h"
#include "query/sql_query_engine.h"
#include "support/both_stores.h"
#include "support/sample_lines.h"

namespace analytics {
namespace {

using testing::SampleLine;
using testing::VectorSource;

constexpr int kWrites = 200;

enum class Kind { kSql, kColumnar, kFallbackToColumnar, kFallbackToSql };

// A store kind (support/both_stores.h) and an engine over it.
using Param = std::tuple<std::string, Kind>;

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  const std::string& store = std::get<0>(info.param);
  switch (std::get<1>(info.param)) {
    case Kind::kSql:
      return store + "_Sql";
    case Kind::kColumnar:
      return store + "_Columnar";
    case Kind::kFallbackToColumnar:
      return store + "_FallbackServing";
    case Kind::kFallbackToSql:
      return store + "_FallbackStopped";
  }
  return store + "_Unknown";
}

// Write `index` adds two lines of one order in different regions, so a read
// that saw half a write would also fail the checks.
std::vector<OrderLine> Write(int index) {
  const std::string order = absl::StrCat("O", index);
  const std::string customer = absl::StrCat("C", index % 7);
  const std::string day = index % 2 == 0 ? "2024-03-01" : "2024-03-02";
  return {SampleLine(absl::StrCat("K", index, "a"), order, day, customer, "Name", "East",
                     "Technology", absl::StrCat(index + 1, ".25"), "1", 1),
          SampleLine(absl::StrCat("K", index, "b"), order, day, customer, "Name", "West",
                     "Furniture", "3.5", "-1", 2)};
}

class ConsistentReadTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    stores_ = testing::OpenStoreWithSql(std::get<0>(GetParam()));
    ASSERT_NE(stores_.store, nullptr);
    store_ = stores_.store.get();
    sql_ = stores_.sql.get();
    VectorSource first(Write(0));
    ASSERT_TRUE(store_->Upsert(first).ok());
    ColumnarEngineOptions options;
    if (kind() == Kind::kFallbackToSql) {
      // A budget of one byte over the loaded size stops the columnar engine
      // at the first write that grows it.
      options.memory_budget_bytes = (*ColumnarEngine::Create(*store_))->MemoryBytes() + 1;
    }
    // Split scans too, so helper threads run inside the views.
    options.parallel_min_rows = 2;
    columnar_ = *ColumnarEngine::Create(*store_, options);
    fallback_ = std::make_unique<FallbackQueryEngine>(*columnar_, *sql_);
  }

  static Kind kind() { return std::get<1>(GetParam()); }

  QueryEngine& engine() {
    switch (kind()) {
      case Kind::kSql:
        return *sql_;
      case Kind::kColumnar:
        return *columnar_;
      case Kind::kFallbackToColumnar:
      case Kind::kFallbackToSql:
        return *fallback_;
    }
    return *sql_;
  }

  testing::StoreWithSql stores_;  // destroyed after the engines that follow it
  Store* store_ = nullptr;
  SqlQueryEngine* sql_ = nullptr;
  std::unique_ptr<ColumnarEngine> columnar_;
  std::unique_ptr<FallbackQueryEngine> fallback_;
};

// One view's checks; returns the revenue it saw. `started` is called after
// the first read, to let a write loose on the rest of the view.
absl::StatusOr<Micros> CheckOneView(QueryEngine& view, const std::function<void()>& started) {
  absl::StatusOr<Measures> before = view.Totals({});
  if (!before.ok()) return before.status();
  started();
  absl::StatusOr<CustomerRfmList> scored = view.ScoreCustomers({}, *ParseIsoDay("2024-12-31"));
  if (!scored.ok()) return scored.status();
  absl::StatusOr<std::vector<GroupMeasures>> regions = view.Breakdown({}, Dimension::kRegion);
  if (!regions.ok()) return regions.status();
  absl::StatusOr<Measures> after = view.Totals({});
  if (!after.ok()) return after.status();

  Measures sum;
  for (const GroupMeasures& group : *regions) {
    sum.revenue += group.measures.revenue;
    sum.units += group.measures.units;
  }
  Micros lifetime = 0;
  for (const CustomerRfm& customer : **scored) lifetime += customer.lifetime_revenue;
  if (!(*before == *after) || sum.revenue != before->revenue || sum.units != before->units ||
      lifetime != before->revenue) {
    return absl::InternalError(absl::StrCat("torn view: totals ", before->revenue, " then ",
                                            after->revenue, ", regions ", sum.revenue,
                                            ", customers ", lifetime));
  }
  return before->revenue;
}

TEST_P(ConsistentReadTest, EveryViewSeesOneCommittedState) {
  // Lockstep: each round, the reader opens a view and reads once; only then
  // does the writer start its write, which must not land inside the rest of
  // the view (it waits for the view to end); the reader's next round starts
  // once the write is done. No timing decides anything.
  std::mutex mutex;
  std::condition_variable changed;
  int views_started = 0;
  int writes_done = 0;
  std::thread writer([&] {
    for (int i = 1; i <= kWrites; ++i) {
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return views_started >= i; });
      }
      VectorSource lines(Write(i));
      EXPECT_TRUE(store_->Upsert(lines).ok());
      std::lock_guard lock(mutex);
      ++writes_done;
      changed.notify_all();
    }
  });
  int torn = 0;
  std::string first_failure;
  Micros last = 0;
  for (int round = 1; round <= kWrites; ++round) {
    absl::StatusOr<Micros> revenue;
    const absl::Status status = engine().ReadConsistently([&](QueryEngine& view) {
      revenue = CheckOneView(view, [&] {
        std::lock_guard lock(mutex);
        views_started = round;
        changed.notify_all();
      });
      return revenue.status();
    });
    if (!status.ok() || *revenue < last) {
      if (++torn == 1) first_failure = status.ok() ? "revenue went back" : status.ToString();
    } else {
      last = *revenue;
    }
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return writes_done >= round; });
  }
  writer.join();
  EXPECT_EQ(torn, 0) << "of " << kWrites << " views; first: " << first_failure;
  if (kind() == Kind::kFallbackToSql) {
    EXPECT_FALSE(columnar_->serving());
  }
  if (kind() == Kind::kFallbackToColumnar) {
    EXPECT_TRUE(columnar_->serving());
  }
  // The last view after the writes sees all of them.
  absl::StatusOr<Measures> final_totals = engine().Totals({});
  ASSERT_TRUE(final_totals.ok());
  EXPECT_EQ(final_totals->revenue, sql_->Totals({})->revenue);
}

TEST_P(ConsistentReadTest, ANestedReadUsesTheSameView) {
  const absl::Status status = engine().ReadConsistently([&](QueryEngine& view) {
    return view.ReadConsistently([&](QueryEngine& inner) {
      EXPECT_EQ(&inner, &view);
      return CheckOneView(inner, [] {}).status();
    });
  });
  EXPECT_TRUE(status.ok()) << status;
}

TEST_P(ConsistentReadTest, TheReadsStatusIsReturned) {
  const absl::Status status = engine().ReadConsistently(
      [](QueryEngine&) { return absl::InvalidArgumentError("page_token: not ours"); });
  EXPECT_EQ(status, absl::InvalidArgumentError("page_token: not ours"));
}

INSTANTIATE_TEST_SUITE_P(Engines, ConsistentReadTest,
                         ::testing::Combine(testing::kStoreKinds,
                                            ::testing::Values(Kind::kSql, Kind::kColumnar,
                                                              Kind::kFallbackToColumnar,
                                                              Kind::kFallbackToSql)),
                         ParamName);

}  // namespace
}  // namespace analytics
