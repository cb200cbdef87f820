// The store: migrations, upsert semantics, atomicity and the line queue.
#include "store/order_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

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

// Rows read back as lines: every field, or only the ones asked for (the
// rest keep their defaults), a missing ship date as none.
TEST(OrderStore, ReadsStoredRowsBackAsLines) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  std::vector<OrderLine> lines = SampleLines();
  lines[0].ship_date = lines[0].order_date + 3;
  lines[0].country = "United States";
  lines[0].city = "Springfield";
  lines[0].postal_code = "01101";
  lines[0].product_id = "P-1";
  lines[0].product_name = "Chair";
  lines[0].discount = 200'000;
  VectorSource source(lines);
  ASSERT_TRUE(store->Upsert(source).ok());
  std::vector<LineField> all;
  for (const LineFieldSpec& spec : kLineFields) all.push_back(spec.field);
  std::vector<OrderLine> read;
  std::int64_t count = 0;
  ASSERT_TRUE(store
                  ->WithConnection([&](sqlite::Connection& connection) {
                    absl::StatusOr<std::int64_t> stored = StoredLineCount(connection);
                    if (!stored.ok()) return stored.status();
                    count = *stored;
                    return ReadStoredLines(connection, all,
                                           [&](const OrderLine& line) { read.push_back(line); });
                  })
                  .ok());
  EXPECT_EQ(count, static_cast<std::int64_t>(lines.size()));
  EXPECT_THAT(read, ::testing::UnorderedElementsAreArray(lines));

  std::vector<OrderLine> keys_and_sales;
  ASSERT_TRUE(
      store
          ->WithConnection([&](sqlite::Connection& connection) {
            const std::array<LineField, 2> fields = {LineField::kSales, LineField::kLineKey};
            return ReadStoredLines(connection, fields,
                                   [&](const OrderLine& line) { keys_and_sales.push_back(line); });
          })
          .ok());
  std::vector<OrderLine> expected;
  for (const OrderLine& line : lines) {
    OrderLine only;
    only.line_key = line.line_key;
    only.sales = line.sales;
    expected.push_back(only);
  }
  EXPECT_THAT(keys_and_sales, ::testing::UnorderedElementsAreArray(expected));
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

// Pushes `lines` as one batch.
bool Push(LineQueue& queue, const std::vector<OrderLine>& lines) {
  std::vector<LineBatch> batches(1);
  for (const OrderLine& line : lines) batches[0].Add(line);
  return queue.Push(batches);
}

// A writer thread upserts while this thread pushes, as IngestTransactions
// does: every line arrives once and in order, the queue pauses the pusher at
// its capacity and resumes it from the writer's side.
TEST(LineQueue, FeedsAConcurrentUpsertInOrderWithBackpressure) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
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

TEST(LineQueue, AStreamClosedWithAnErrorWritesNothing) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
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
