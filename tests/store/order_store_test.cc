// The store: migrations, upsert semantics, atomicity and the line queue.
// The tests that are not about SQLite (StoreTest) run on both stores:
// OrderStore on a temporary file and PgStore on a fresh database of a real
// PostgreSQL 15 (support/postgres.h); OrderStore's own (schema version
// pragma, WAL, reading rows on its connection) stay SQLite only.
#include "store/order_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/line_fields.h"
#include "common/line_queue.h"
#include "store/line_rows.h"
#include "store/pg_store.h"
#include "support/postgres.h"
#include "support/sample_lines.h"

namespace analytics {
namespace {

using testing::BrokenSource;
using testing::SampleLines;
using testing::VectorSource;

std::string TempDbPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "-" + std::to_string(getpid()) + ".db"))
      .string();
}

// A store of the test's kind ("sqlite" or "postgres") at a location of its
// own that can be opened again, and SQL run on that database beside it.
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (sqlite()) {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '-');
      location_ = TempDbPath(name);
      RemoveSqliteFiles();
    } else {
      location_ = testing::Postgres::Shared().NewDatabase();
    }
  }
  void TearDown() override {
    if (sqlite()) RemoveSqliteFiles();
  }

  static bool sqlite() { return GetParam() == "sqlite"; }

  absl::StatusOr<std::unique_ptr<Store>> Open() {
    if (sqlite()) {
      absl::StatusOr<std::unique_ptr<OrderStore>> store = OrderStore::Open(location_);
      if (!store.ok()) return store.status();
      return std::unique_ptr<Store>(std::move(*store));
    }
    absl::StatusOr<std::unique_ptr<PgStore>> store = PgStore::Open(PgStoreOptions::For(location_));
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  std::unique_ptr<Store> OpenOrFail() {
    absl::StatusOr<std::unique_ptr<Store>> store = Open();
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // One statement on the store's database, from a connection of its own.
  void Execute(const std::string& sql) {
    if (sqlite()) {
      absl::StatusOr<sqlite::Connection> connection = sqlite::Connection::Open(location_);
      ASSERT_TRUE(connection.ok()) << connection.status();
      ASSERT_TRUE(connection->Execute(sql).ok()) << sql;
    } else {
      testing::Postgres::Shared().Psql(location_.substr(location_.rfind('/') + 1), sql);
    }
  }

 private:
  void RemoveSqliteFiles() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(location_ + suffix);
  }
  std::string location_;  // the SQLite file or the PostgreSQL URI
};

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

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

// A listener that takes the snapshot and drops every later write.
class DroppingListener final : public WriteListener {
 public:
  std::unique_ptr<PendingWrite> BeginWrite(bool) override { return std::make_unique<Dropped>(); }

 private:
  class Dropped final : public PendingWrite {
   public:
    void Add(OrderLine&&) override {}
    std::optional<WriteResult> Commit() override { return std::nullopt; }
  };
};

// The snapshot a listener loads at Subscribe hands back every stored field
// as written, or only the fields asked for (the rest keep their defaults).
TEST_P(StoreTest, TheSnapshotReadsStoredRowsBackAsLines) {
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  std::vector<OrderLine> lines = SampleLines();
  lines[0].ship_date = lines[0].order_date + 3;
  lines[0].country = "United States";
  lines[0].city = "Springfield";
  lines[0].postal_code = "01101";
  lines[0].product_id = "P-1";
  lines[0].product_name = "Chair";
  lines[0].discount = 200'000;
  lines[1].customer_name = "Zoë Ünicode";
  VectorSource source(lines);
  ASSERT_TRUE(store->Upsert(source).ok());
  std::vector<LineField> all;
  for (const LineFieldSpec& spec : kLineFields) all.push_back(spec.field);
  std::vector<OrderLine> read;
  std::vector<OrderLine> keys_and_sales;
  std::int64_t count = -1;
  DroppingListener listener;
  const absl::Status loaded = store->Subscribe(listener, [&](StoreSnapshot& snapshot) {
    absl::StatusOr<std::int64_t> stored = snapshot.StoredLineCount();
    if (!stored.ok()) return stored.status();
    count = *stored;
    if (absl::Status s =
            snapshot.ReadStoredLines(all, [&](const OrderLine& line) { read.push_back(line); });
        !s.ok()) {
      return s;
    }
    const std::array<LineField, 2> fields = {LineField::kSales, LineField::kLineKey};
    return snapshot.ReadStoredLines(fields,
                                    [&](const OrderLine& line) { keys_and_sales.push_back(line); });
  });
  ASSERT_TRUE(loaded.ok()) << loaded;
  store->Unsubscribe(listener);
  EXPECT_EQ(count, static_cast<std::int64_t>(lines.size()));
  EXPECT_THAT(read, ::testing::UnorderedElementsAreArray(lines));
  std::vector<OrderLine> expected;
  for (const OrderLine& line : lines) {
    OrderLine only;
    only.line_key = line.line_key;
    only.sales = line.sales;
    expected.push_back(only);
  }
  EXPECT_THAT(keys_and_sales, ::testing::UnorderedElementsAreArray(expected));
}

// A database whose schema is newer than this build is refused, untouched.
TEST_P(StoreTest, RefusesADatabaseFromANewerVersion) {
  OpenOrFail().reset();  // creates the schema
  Execute(sqlite() ? "PRAGMA user_version = 999" : "UPDATE analytics_schema SET version = 999");
  absl::StatusOr<std::unique_ptr<Store>> store = Open();
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
}

TEST_P(StoreTest, KeepsDataAcrossReopen) {
  {
    std::unique_ptr<Store> store = OpenOrFail();
    ASSERT_NE(store, nullptr);
    VectorSource source(SampleLines());
    ASSERT_TRUE(store->Upsert(source).ok());
  }
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->CountLines(), 5);
  EXPECT_EQ(store->LastCommittedStats().lines, 5);
}

TEST(OrderStore, UsesWal) {
  const std::string path = TempDbPath("wal");
  std::unique_ptr<OrderStore> store = *OrderStore::Open(path);
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

TEST_P(StoreTest, UpsertCountsInsertsAndUpdatesByLineKey) {
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_NE(store, nullptr);
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

TEST_P(StoreTest, ReplaceDeletesEverythingFirstInTheSameTransaction) {
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_NE(store, nullptr);
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

// The database itself refuses the third line, inside the write's
// transaction: nothing is written, and no SQL reaches the caller.
TEST_P(StoreTest, AFailedWriteLeavesNothingBehind) {
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  if (sqlite()) {
    Execute(
        "CREATE TRIGGER no_empty_customer BEFORE INSERT ON order_lines "
        "WHEN NEW.customer_id = '' BEGIN SELECT RAISE(ABORT, 'empty'); END");
  } else {
    Execute(
        "CREATE FUNCTION no_empty_customer() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN IF NEW.customer_id = '' THEN RAISE EXCEPTION 'empty'; END IF; "
        "RETURN NEW; END $$; "
        "CREATE TRIGGER no_empty_customer BEFORE INSERT ON order_lines "
        "FOR EACH ROW EXECUTE FUNCTION no_empty_customer()");
  }
  FailingSource source;
  const absl::StatusOr<WriteResult> written = store->Upsert(source);
  EXPECT_FALSE(written.ok());
  for (const char* internal : {"INSERT", "order_lines", "trigger", "SELECT"}) {
    EXPECT_THAT(std::string(written.status().message()),
                ::testing::Not(::testing::HasSubstr(internal)));
  }
  EXPECT_EQ(*store->CountLines(), 0);
  EXPECT_EQ(store->LastCommittedStats().lines, 0);
}

TEST_P(StoreTest, LastCommittedStatsFollowEveryKindOfWrite) {
  {
    std::unique_ptr<Store> store = OpenOrFail();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->LastCommittedStats().lines, 0);
    VectorSource first(SampleLines());
    ASSERT_TRUE(store->Upsert(first).ok());
    EXPECT_EQ(store->LastCommittedStats().lines, 5);
    if (auto* sqlite_store = dynamic_cast<OrderStore*>(store.get())) {
      EXPECT_EQ(store->LastCommittedStats().database_bytes, *sqlite_store->DatabaseSizeBytes());
    }
    EXPECT_GT(store->LastCommittedStats().database_bytes, 0);
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
  // Counted afresh when the database is opened again.
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->LastCommittedStats().lines, 1);
  EXPECT_GT(store->LastCommittedStats().database_bytes, 0);
}

TEST_P(StoreTest, ASourceThatFailsAfterSomeLinesWritesNothing) {
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_NE(store, nullptr);
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

// Pushes `lines` as one batch.
bool Push(LineQueue& queue, const std::vector<OrderLine>& lines) {
  std::vector<LineBatch> batches(1);
  for (const OrderLine& line : lines) batches[0].Add(line);
  return queue.Push(batches);
}

// A writer thread upserts while this thread pushes, as IngestTransactions
// does: every line arrives once and in order, the queue pauses the pusher at
// its capacity and resumes it from the writer's side.
TEST_P(StoreTest, ALineQueueFeedsAConcurrentUpsertInOrderWithBackpressure) {
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  std::mutex mutex;
  std::condition_variable resumed_cv;
  int resumed = 0;
  LineQueue queue(/*capacity_lines=*/10, [&] {
    std::lock_guard lock(mutex);
    ++resumed;
    resumed_cv.notify_all();
  });
  absl::StatusOr<WriteResult> written;
  std::thread writer([&] { written = store->Upsert(queue); });
  int paused = 0;
  for (int batch = 0; batch < 40; ++batch) {
    std::vector<OrderLine> lines = SampleLines();  // 5 lines, keys repeat
    for (OrderLine& line : lines) line.line_key += "-" + std::to_string(batch);
    if (!Push(queue, lines)) {
      ++paused;
      std::unique_lock lock(mutex);
      resumed_cv.wait(lock, [&] { return resumed == paused; });
    }
  }
  queue.Close(absl::OkStatus());
  writer.join();
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->inserted, 200);
  EXPECT_GT(paused, 0);
  EXPECT_EQ(*store->CountLines(), 200);
}

TEST_P(StoreTest, ALineQueueClosedWithAnErrorWritesNothing) {
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  LineQueue queue(1000, [] {});
  absl::StatusOr<WriteResult> written;
  std::thread writer([&] { written = store->Upsert(queue); });
  EXPECT_TRUE(Push(queue, SampleLines()));
  queue.Close(absl::InvalidArgumentError("lines: too many"));
  writer.join();
  EXPECT_EQ(written.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*store->CountLines(), 0);
  // The first Close wins; later pushes are refused.
  queue.Close(absl::OkStatus());
  EXPECT_FALSE(Push(queue, SampleLines()));
}

TEST(LineQueue, AnAbandonedQueueRefusesPushesAndEnds) {
  LineQueue queue(1000, [] {});
  EXPECT_TRUE(Push(queue, SampleLines()));
  queue.Abandon();
  EXPECT_FALSE(Push(queue, SampleLines()));
  OrderLine line;
  EXPECT_FALSE(queue.Next(line));
  EXPECT_EQ(queue.status().code(), absl::StatusCode::kCancelled);
}

// A batch of `lines` lines with long texts, keyed prefix0, prefix1, ...
std::vector<OrderLine> LongLines(const std::string& prefix, int lines) {
  std::vector<OrderLine> batch(static_cast<std::size_t>(lines));
  for (int i = 0; i < lines; ++i) {
    batch[static_cast<std::size_t>(i)].line_key = prefix + std::to_string(i);
    batch[static_cast<std::size_t>(i)].product_name = std::string(200, 'p');
  }
  return batch;
}

TEST(LineQueue, ReadsLineByLineAcrossBatches) {
  LineQueue queue(100, [] {});
  ASSERT_TRUE(Push(queue, LongLines("a", 3)));
  ASSERT_TRUE(Push(queue, LongLines("b", 1)));
  queue.Close(absl::OkStatus());
  std::vector<std::string> keys;
  OrderLine line;
  while (queue.Next(line)) keys.push_back(line.line_key);
  EXPECT_THAT(keys, ::testing::ElementsAre("a0", "a1", "a2", "b0"));
  EXPECT_EQ(line.product_name, std::string(200, 'p'));
  EXPECT_TRUE(queue.status().ok());
}

TEST(LineQueue, SpentBatchesComeBackWithTheirCapacity) {
  LineQueue queue(100, [] {});
  EXPECT_EQ(queue.TakeSpare().capacity(), LineBatch().capacity());  // nothing spent yet
  ASSERT_TRUE(Push(queue, LongLines("a", 3)));
  ASSERT_TRUE(Push(queue, LongLines("b", 1)));
  LineBatch mine;
  for (const OrderLine& line : LongLines("mine", 2)) mine.Add(line);  // the writer's last batch
  const std::size_t mine_capacity = mine.capacity();
  ASSERT_TRUE(queue.NextBatch(mine));
  EXPECT_EQ(mine.line_count(), 3);
  // The writer's spent batch went back, emptied, with its buffer.
  LineBatch spare = queue.TakeSpare();
  EXPECT_TRUE(spare.empty());
  EXPECT_EQ(spare.capacity(), mine_capacity);
  ASSERT_TRUE(queue.NextBatch(mine));
  EXPECT_EQ(mine.line_count(), 1);
  EXPECT_GE(queue.TakeSpare().capacity(), 600u);  // batch a's buffer
}

}  // namespace
}  // namespace analytics
