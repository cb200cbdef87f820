// The store's write path as the columnar engine and the benchmark rely on
// it: the version-2 migration, insert/update counting without a lookup per
// line, the write listener's commit-only notification, the page size of new
// files and checkpoints that happen off the write's call.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/order_store.h"
#include "support/sample_lines.h"
#include "support/store_testing.h"

namespace analytics {
namespace {

using testing::QueryInt;
using testing::SampleLines;
using testing::TempDb;
using testing::VectorSource;

TEST(WritePath, AVersion1DatabaseLosesTheUnusedIndexesAndKeepsItsLines) {
  TempDb db("v1");
  {
    // The schema as version 1 shipped it.
    sqlite::Connection connection = *sqlite::Connection::Open(db.path());
    ASSERT_TRUE(connection
                    .Execute(R"sql(
CREATE TABLE order_lines (
  line_key TEXT NOT NULL PRIMARY KEY, order_id TEXT NOT NULL, order_date INTEGER NOT NULL,
  ship_date INTEGER, ship_mode TEXT NOT NULL DEFAULT '', customer_id TEXT NOT NULL,
  customer_name TEXT NOT NULL DEFAULT '', segment TEXT NOT NULL DEFAULT '',
  country TEXT NOT NULL DEFAULT '', region TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT '', city TEXT NOT NULL DEFAULT '',
  postal_code TEXT NOT NULL DEFAULT '', product_id TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT '', sub_category TEXT NOT NULL DEFAULT '',
  product_name TEXT NOT NULL DEFAULT '', sales INTEGER NOT NULL,
  quantity INTEGER NOT NULL DEFAULT 0, discount INTEGER NOT NULL DEFAULT 0,
  profit INTEGER NOT NULL DEFAULT 0);
CREATE INDEX order_lines_by_date ON order_lines(order_date);
CREATE INDEX order_lines_by_customer ON order_lines(customer_id, order_date);
INSERT INTO order_lines (line_key, order_id, order_date, customer_id, sales)
  VALUES ('L1', 'O1', 19000, 'C1', 5000000);
PRAGMA user_version = 1;
)sql")
                    .ok());
  }
  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
  EXPECT_EQ(QueryInt(*store, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(
      QueryInt(*store, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'order_lines_by_%'"), 0);
  EXPECT_EQ(*store->CountLines(), 1);
}

TEST(WritePath, NewFilesUseSixteenKibPages) {
  TempDb db("pages");
  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
  EXPECT_EQ(QueryInt(*store, "PRAGMA page_size"), 16384);
}

TEST(WritePath, CountsNewAndReplacedKeysIncludingRepeatsWithinOneWrite) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  std::vector<OrderLine> lines = SampleLines();
  std::vector<OrderLine> first = {lines[0], lines[1], lines[0]};
  first[2].sales = 7;  // the later line with the key wins
  VectorSource one(first);
  const WriteResult a = *store->Upsert(one);
  EXPECT_EQ(a.inserted, 2);
  EXPECT_EQ(a.updated, 1);
  VectorSource two({lines[0], lines[2]});
  const WriteResult b = *store->Upsert(two);
  EXPECT_EQ(b.inserted, 1);
  EXPECT_EQ(b.updated, 1);
  EXPECT_EQ(*store->CountLines(), 3);
  EXPECT_EQ(QueryInt(*store, "SELECT sales FROM order_lines WHERE line_key = 'L1'"),
            lines[0].sales);
}

// Records what the store tells it.
class RecordingListener final : public WriteListener {
 public:
  struct Write {
    bool replace = false;
    std::vector<std::string> keys;
    bool committed = false;
  };
  std::unique_ptr<PendingWrite> BeginWrite(bool replace) override {
    writes.push_back({.replace = replace, .keys = {}, .committed = false});
    return std::make_unique<Pending>(writes.back());
  }
  std::vector<Write> writes;

 private:
  class Pending final : public PendingWrite {
   public:
    explicit Pending(Write& write) : write_(write) {}
    void Add(OrderLine&& line) override { write_.keys.push_back(line.line_key); }
    std::optional<WriteResult> Commit() override {
      write_.committed = true;
      return std::nullopt;
    }

   private:
    Write& write_;
  };
};

TEST(WritePath, TheListenerHearsOfCommittedWritesOnly) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  RecordingListener listener;
  ASSERT_TRUE(
      store->Subscribe(listener, [](sqlite::Connection&) { return absl::OkStatus(); }).ok());
  VectorSource good(SampleLines());
  ASSERT_TRUE(store->Upsert(good, /*replace=*/true).ok());
  ASSERT_TRUE(store
                  ->WithConnection([](sqlite::Connection& c) {
                    return c.Execute(
                        "CREATE TRIGGER refuse BEFORE INSERT ON order_lines "
                        "WHEN NEW.line_key = 'bad' BEGIN SELECT RAISE(ABORT, 'no'); END");
                  })
                  .ok());
  std::vector<OrderLine> lines = {SampleLines()[0], SampleLines()[0]};
  lines[1].line_key = "bad";
  VectorSource bad(lines);
  EXPECT_FALSE(store->Upsert(bad).ok());
  store->Unsubscribe(listener);
  VectorSource unheard(SampleLines());
  ASSERT_TRUE(store->Upsert(unheard).ok());

  ASSERT_EQ(listener.writes.size(), 2u);
  EXPECT_TRUE(listener.writes[0].replace);
  EXPECT_TRUE(listener.writes[0].committed);
  EXPECT_EQ(listener.writes[0].keys, (std::vector<std::string>{"L1", "L2", "L3", "L4", "L5"}));
  EXPECT_FALSE(listener.writes[1].committed);
}

TEST(WritePath, SubscribeReadsAndSubscribesOnlyWhenTheSnapshotSucceeds) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  RecordingListener listener;
  EXPECT_FALSE(
      store->Subscribe(listener, [](sqlite::Connection&) { return absl::InternalError("no"); })
          .ok());
  VectorSource lines(SampleLines());
  ASSERT_TRUE(store->Upsert(lines).ok());
  EXPECT_TRUE(listener.writes.empty());
}

TEST(WritePath, TheLogIsCheckpointedOffTheWritePathAndTruncatedOnClose) {
  TempDb db("checkpoint");
  std::vector<OrderLine> many;
  for (int i = 0; i < 20'000; ++i) {
    OrderLine line = SampleLines()[static_cast<std::size_t>(i % 5)];
    line.line_key = absl::StrCat("K", i);
    many.push_back(std::move(line));
  }
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
    VectorSource source(many);
    ASSERT_TRUE(store->Upsert(source).ok());
    // No automatic checkpoint inside COMMIT any more.
    EXPECT_EQ(QueryInt(*store, "PRAGMA wal_autocheckpoint"), 0);
  }
  EXPECT_EQ(std::filesystem::exists(db.path() + "-wal")
                ? std::filesystem::file_size(db.path() + "-wal")
                : 0u,
            0u);
  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
  EXPECT_EQ(*store->CountLines(), 20'000);
}

}  // namespace
}  // namespace analytics
