// The store: migrations, upsert semantics, atomicity and the line spool.
#include "store/order_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/line_spool.h"
#include "support/sample_lines.h"

namespace analytics {
namespace {

using testing::SampleLines;
using testing::VectorSource;

std::string TempDbPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "-" + std::to_string(getpid()) + ".db"))
      .string();
}

int UserVersion(sqlite::Connection& connection) {
  sqlite::Statement statement = *connection.Prepare("PRAGMA user_version");
  EXPECT_TRUE(*statement.Step());
  return static_cast<int>(statement.Int(0));
}

TEST(OrderStore, MigratesAFreshDatabaseToTheCurrentVersion) {
  sqlite::Connection connection = *sqlite::Connection::Open(":memory:");
  EXPECT_EQ(UserVersion(connection), 0);
  ASSERT_TRUE(MigrateSchema(connection).ok());
  EXPECT_EQ(UserVersion(connection), kSchemaVersion);
  ASSERT_TRUE(MigrateSchema(connection).ok());  // idempotent
  EXPECT_EQ(UserVersion(connection), kSchemaVersion);
}

TEST(OrderStore, RefusesADatabaseFromANewerVersion) {
  const std::string path = TempDbPath("newer");
  {
    sqlite::Connection connection = *sqlite::Connection::Open(path);
    ASSERT_TRUE(connection.Execute("PRAGMA user_version = 999").ok());
  }
  absl::StatusOr<std::unique_ptr<OrderStore>> store = OrderStore::Open(path);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  std::filesystem::remove(path);
}

TEST(OrderStore, KeepsDataAcrossReopenAndUsesWal) {
  const std::string path = TempDbPath("reopen");
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(path);
    VectorSource source(SampleLines());
    ASSERT_TRUE(store->Upsert(source).ok());
  }
  std::unique_ptr<OrderStore> store = *OrderStore::Open(path);
  EXPECT_EQ(*store->CountLines(), 5);
  std::string mode;
  ASSERT_TRUE(store
                  ->WithConnection([&](sqlite::Connection& c) {
                    sqlite::Statement s = *c.Prepare("PRAGMA journal_mode");
                    EXPECT_TRUE(*s.Step());
                    mode = s.Text(0);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(mode, "wal");
  store.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

TEST(OrderStore, UpsertCountsInsertsAndUpdatesByLineKey) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  VectorSource first(SampleLines());
  const WriteResult initial = *store->Upsert(first);
  EXPECT_EQ(initial.inserted, 5);
  EXPECT_EQ(initial.updated, 0);
  VectorSource again(SampleLines());
  const WriteResult repeated = *store->Upsert(again);
  EXPECT_EQ(repeated.inserted, 0);
  EXPECT_EQ(repeated.updated, 5);
  EXPECT_EQ(*store->CountLines(), 5);

  VectorSource classify(SampleLines());
  EXPECT_EQ(store->Classify(classify)->updated, 5);
}

TEST(OrderStore, ReplaceDeletesEverythingFirstInTheSameTransaction) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  VectorSource first(SampleLines());
  ASSERT_TRUE(store->Upsert(first).ok());
  VectorSource one({SampleLines()[0]});
  const WriteResult result = *store->Upsert(one, /*replace=*/true);
  EXPECT_EQ(result.inserted, 1);
  EXPECT_EQ(*store->CountLines(), 1);
}

// A source that fails half-way, as a broken stream would.
class FailingSource final : public LineSource {
 public:
  bool Next(OrderLine& line) override {
    if (served_ == 3) return false;
    line = SampleLines()[served_++];
    if (served_ == 3) line.customer_id.clear();
    return true;
  }

 private:
  int served_ = 0;
};

TEST(OrderStore, AFailedWriteLeavesNothingBehind) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  ASSERT_TRUE(store
                  ->WithConnection([](sqlite::Connection& c) {
                    // Make the third line's write fail inside the transaction.
                    return c.Execute(
                        "CREATE TRIGGER no_empty_customer BEFORE INSERT ON order_lines "
                        "WHEN NEW.customer_id = '' BEGIN SELECT RAISE(ABORT, 'empty'); END");
                  })
                  .ok());
  FailingSource source;
  EXPECT_FALSE(store->Upsert(source).ok());
  EXPECT_EQ(*store->CountLines(), 0);
}

TEST(LineSpool, ReplaysEveryLineExactlyAndRepeatedly) {
  LineSpool spool = *LineSpool::Create();
  std::vector<OrderLine> lines = SampleLines();
  lines[1].ship_date = *ParseIsoDay("2024-01-12");
  lines[2].product_name = std::string(100'000, 'x');
  for (const OrderLine& line : lines) ASSERT_TRUE(spool.Append(line).ok());
  for (int pass = 0; pass < 2; ++pass) {
    std::unique_ptr<LineSource> replay = spool.Replay();
    OrderLine line;
    for (const OrderLine& expected : lines) {
      ASSERT_TRUE(replay->Next(line));
      EXPECT_EQ(line, expected);
    }
    EXPECT_FALSE(replay->Next(line));
  }
  ASSERT_TRUE(spool.Append(lines[0]).ok());  // appending after a replay works
  EXPECT_EQ(spool.size(), 6);
}

}  // namespace
}  // namespace analytics
