// The store: migrations, upsert semantics, atomicity and the line spool.
#include "store/order_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

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

// A source that serves `good` lines and then stops with an error, as a spool
// that cannot be read back does.
class BrokenSource final : public LineSource {
 public:
  explicit BrokenSource(int good) : good_(good) {}
  bool Next(OrderLine& line) override {
    if (served_ == good_) return false;
    line = SampleLines()[static_cast<std::size_t>(served_++) % SampleLines().size()];
    line.line_key = "broken-" + std::to_string(served_);
    return true;
  }
  absl::Status status() const override {
    return served_ == good_ ? absl::DataLossError("spool damaged") : absl::OkStatus();
  }

 private:
  const int good_;
  int served_ = 0;
};

TEST(OrderStore, LastCommittedStatsFollowEveryKindOfWrite) {
  const std::string path = TempDbPath("stats");
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(path);
    EXPECT_EQ(store->LastCommittedStats().lines, 0);
    VectorSource first(SampleLines());
    ASSERT_TRUE(store->Upsert(first).ok());
    EXPECT_EQ(store->LastCommittedStats().lines, 5);
    EXPECT_EQ(store->LastCommittedStats().database_bytes, *store->DatabaseSizeBytes());
    VectorSource again(SampleLines());  // updates only
    ASSERT_TRUE(store->Upsert(again).ok());
    EXPECT_EQ(store->LastCommittedStats().lines, 5);
    BrokenSource broken(2);  // rolled back: nothing changes
    EXPECT_FALSE(store->Upsert(broken).ok());
    EXPECT_EQ(store->LastCommittedStats().lines, 5);
    VectorSource one({SampleLines()[0]});
    ASSERT_TRUE(store->Upsert(one, /*replace=*/true).ok());
    EXPECT_EQ(store->LastCommittedStats().lines, 1);
  }
  // Counted afresh when the file is opened again.
  std::unique_ptr<OrderStore> store = *OrderStore::Open(path);
  EXPECT_EQ(store->LastCommittedStats().lines, 1);
  EXPECT_GT(store->LastCommittedStats().database_bytes, 0);
  store.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

TEST(OrderStore, ASourceThatFailsAfterSomeLinesWritesNothing) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  VectorSource existing(SampleLines());
  ASSERT_TRUE(store->Upsert(existing).ok());

  BrokenSource broken(3);
  const absl::StatusOr<WriteResult> written = store->Upsert(broken);
  EXPECT_EQ(written.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(written.status().message(), "spool damaged");
  EXPECT_EQ(*store->CountLines(), 5);  // the three lines were rolled back

  // Also with replace: the delete is rolled back with them.
  BrokenSource replacing(2);
  EXPECT_EQ(store->Upsert(replacing, /*replace=*/true).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(*store->CountLines(), 5);

  BrokenSource classified(4);
  EXPECT_EQ(store->Classify(classified).status().code(), absl::StatusCode::kDataLoss);

  // The store still works.
  BrokenSource empty_but_failed(0);
  EXPECT_FALSE(store->Upsert(empty_but_failed).ok());
  VectorSource again(SampleLines());
  EXPECT_EQ(store->Upsert(again)->updated, 5);
}

TEST(LineSpool, ADamagedSpoolFileEndsTheReplayWithAnError) {
  // The spool's file is nameless: find its descriptor as the one it added
  // (leaving out the descriptor the listing itself uses).
  const auto open_fds = [] {
    std::set<int> fds;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      std::error_code error;
      const std::string target = std::filesystem::read_symlink(entry.path(), error).string();
      if (!error && !target.starts_with("/proc/")) {
        fds.insert(std::stoi(entry.path().filename().string()));
      }
    }
    return fds;
  };
  const std::set<int> before = open_fds();
  LineSpool spool = *LineSpool::Create();
  std::vector<int> added;
  for (const int fd : open_fds()) {
    if (!before.contains(fd)) added.push_back(fd);
  }
  for (const OrderLine& line : SampleLines()) ASSERT_TRUE(spool.Append(line).ok());
  // Intact, the replay ends normally.
  std::unique_ptr<LineSource> intact = spool.Replay();
  OrderLine line;
  while (intact->Next(line)) {
  }
  EXPECT_TRUE(intact->status().ok()) << intact->status();

  ASSERT_EQ(added.size(), 1u);
  struct stat info {};
  ASSERT_EQ(::fstat(added[0], &info), 0);
  ASSERT_EQ(::ftruncate(added[0], info.st_size / 2), 0);
  std::unique_ptr<LineSource> replay = spool.Replay();
  int served = 0;
  while (replay->Next(line)) ++served;
  EXPECT_LT(served, 5);
  EXPECT_EQ(replay->status().code(), absl::StatusCode::kDataLoss) << replay->status();

  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  EXPECT_EQ(store->Upsert(*spool.Replay()).status().code(), absl::StatusCode::kDataLoss);
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
