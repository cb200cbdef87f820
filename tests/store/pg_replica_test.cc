// Many replicas, one truth (store/pg_store.h): two PgStores on one real
// PostgreSQL database, each with its own columnar engine, as two replicas of
// the service are. A write on A is visible on B once B has applied its
// consistency token; concurrent overlapping writes on both end identical to
// each other and to SQL; PostgreSQL restarted in the middle of a write fails
// that write cleanly (nothing half-written) and the stores reconnect;
// terminated connections are replaced.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "query/columnar/columnar_engine.h"
#include "query/sql_query_engine.h"
#include "store/pg_store.h"
#include "support/postgres.h"
#include "support/sample_lines.h"

namespace analytics {
namespace {

using testing::Postgres;
using testing::SampleLines;
using testing::VectorSource;

constexpr std::chrono::milliseconds kWait{20'000};

struct Replica {
  std::unique_ptr<PgStore> store;
  std::unique_ptr<ColumnarEngine> engine;
};

Replica StartReplica(const std::string& dsn, const std::string& name) {
  Replica replica;
  absl::StatusOr<std::unique_ptr<PgStore>> store = PgStore::Open(PgStoreOptions::For(dsn, name));
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return replica;
  replica.store = std::move(*store);
  absl::StatusOr<std::unique_ptr<ColumnarEngine>> engine = ColumnarEngine::Create(*replica.store);
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (engine.ok()) replica.engine = std::move(*engine);
  return replica;
}

// `count` lines with keys prefix-0.. spread over a few customers.
std::vector<OrderLine> Lines(const std::string& prefix, int count, int order_offset = 0) {
  std::vector<OrderLine> lines;
  for (int i = 0; i < count; ++i) {
    OrderLine line = SampleLines()[static_cast<std::size_t>(i) % 5];
    line.line_key = prefix + std::to_string(i);
    line.order_id = "O" + std::to_string((i + order_offset) / 3);
    line.customer_id = "C" + std::to_string(i % 17);
    lines.push_back(std::move(line));
  }
  return lines;
}

TEST(PgReplicas, AWriteOnAIsVisibleOnBWithItsToken) {
  const std::string dsn = Postgres::Shared().NewDatabase();
  Replica a = StartReplica(dsn, "a");
  Replica b = StartReplica(dsn, "b");
  ASSERT_TRUE(a.engine && b.engine);
  for (int round = 0; round < 20; ++round) {
    VectorSource source(Lines("r" + std::to_string(round) + "-", 50));
    const absl::StatusOr<WriteResult> written = a.store->Upsert(source);
    ASSERT_TRUE(written.ok()) << written.status();
    ASSERT_FALSE(written->consistency_token.empty());
    ASSERT_TRUE(b.store->AwaitVisible(written->consistency_token, kWait).ok());
    // Read-your-writes: every acknowledged write is there on B.
    EXPECT_EQ(b.engine->LineCount(), 50 * (round + 1));
  }
  EXPECT_EQ(*b.engine->Totals(Filter{}), *a.engine->Totals(Filter{}));
  EXPECT_GT(b.store->ChangesApplied(), 0);
  EXPECT_EQ(b.store->AwaitVisible("not-a-token", kWait).code(), absl::StatusCode::kInvalidArgument);
}

TEST(PgReplicas, ConcurrentOverlappingWritesEndIdenticalEverywhere) {
  const std::string dsn = Postgres::Shared().NewDatabase();
  Replica a = StartReplica(dsn, "a");
  Replica b = StartReplica(dsn, "b");
  ASSERT_TRUE(a.engine && b.engine);
  std::string last_a;
  std::string last_b;
  // Both write the same keys with different orders, many times over.
  std::thread writer_a([&] {
    for (int round = 0; round < 15; ++round) {
      VectorSource source(Lines("k", 300, round * 1000));
      absl::StatusOr<WriteResult> written = a.store->Upsert(source);
      ASSERT_TRUE(written.ok()) << written.status();
      last_a = written->consistency_token;
    }
  });
  std::thread writer_b([&] {
    for (int round = 0; round < 15; ++round) {
      VectorSource source(Lines("k", 200, round * 1000 + 500));
      absl::StatusOr<WriteResult> written = b.store->Upsert(source);
      ASSERT_TRUE(written.ok()) << written.status();
      last_b = written->consistency_token;
    }
  });
  writer_a.join();
  writer_b.join();
  for (Replica* replica : {&a, &b}) {
    ASSERT_TRUE(replica->store->AwaitVisible(last_a, kWait).ok());
    ASSERT_TRUE(replica->store->AwaitVisible(last_b, kWait).ok());
  }
  std::unique_ptr<SqlQueryEngine> sql = SqlQueryEngine::Create(a.store->MakeSqlBackend());
  const Measures truth = *sql->Totals(Filter{});
  EXPECT_EQ(*a.engine->Totals(Filter{}), truth);
  EXPECT_EQ(*b.engine->Totals(Filter{}), truth);
  EXPECT_EQ(a.engine->LineCount(), 300);
  EXPECT_EQ(b.engine->LineCount(), 300);
  const auto by_customer = [](QueryEngine& engine) {
    std::vector<GroupMeasures> groups = *engine.Breakdown(Filter{}, Dimension::kCustomer);
    std::sort(groups.begin(), groups.end(),
              [](const GroupMeasures& x, const GroupMeasures& y) { return x.key < y.key; });
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const GroupMeasures& g : groups) out.emplace_back(g.key, g.measures.orders);
    return out;
  };
  EXPECT_EQ(by_customer(*a.engine), by_customer(*sql));
  EXPECT_EQ(by_customer(*b.engine), by_customer(*sql));
}

// Restarts PostgreSQL after the first batch has gone out, from inside the
// write: the server goes down mid-transaction.
class RestartingSource final : public LineSource {
 public:
  explicit RestartingSource(std::vector<OrderLine> lines) : lines_(std::move(lines)) {}
  bool Next(OrderLine& line) override {
    if (next_ == lines_.size()) return false;
    if (next_ == lines_.size() / 2) Postgres::Shared().Restart();
    line = lines_[next_++];
    return true;
  }

 private:
  std::vector<OrderLine> lines_;
  std::size_t next_ = 0;
};

TEST(PgReplicas, PostgresRestartedMidWriteFailsItCleanlyAndTheStoresReconnect) {
  const std::string dsn = Postgres::Shared().NewDatabase();
  Replica a = StartReplica(dsn, "a");
  Replica b = StartReplica(dsn, "b");
  ASSERT_TRUE(a.engine && b.engine);
  VectorSource first(Lines("base-", 100));
  ASSERT_TRUE(a.store->Upsert(first).ok());
  // Large enough that the COPY is still open when the server goes down.
  RestartingSource restarting(Lines("mid-", 60'000));
  const absl::StatusOr<WriteResult> failed = a.store->Upsert(restarting);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  // No SQL in the message.
  EXPECT_EQ(std::string(failed.status().message()).find("INSERT"), std::string::npos);
  // Nothing half-written, and both serve again (the pool reconnects).
  EXPECT_EQ(*a.store->CountLines(), 100);
  VectorSource after(Lines("after-", 10));
  absl::StatusOr<WriteResult> written = a.store->Upsert(after);
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_TRUE(b.store->AwaitVisible(written->consistency_token, kWait).ok());
  EXPECT_EQ(b.engine->LineCount(), 110);
  EXPECT_EQ(a.engine->LineCount(), 110);
}

TEST(PgReplicas, TerminatedConnectionsAreReplaced) {
  const std::string dsn = Postgres::Shared().NewDatabase();
  const std::string database = dsn.substr(dsn.rfind('/') + 1);
  Replica a = StartReplica(dsn, "a");
  Replica b = StartReplica(dsn, "b");
  ASSERT_TRUE(a.engine && b.engine);
  VectorSource first(Lines("x-", 10));
  ASSERT_TRUE(a.store->Upsert(first).ok());
  const std::string killed = Postgres::Shared().Psql(
      "postgres",
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + database +
          "' AND pid <> pg_backend_pid()");
  EXPECT_NE(killed.substr(0, 1), "0") << killed;
  // The first write may meet a dead pooled connection: it fails cleanly,
  // and the next one connects afresh.
  std::string token;
  for (int attempt = 0; attempt < 3 && token.empty(); ++attempt) {
    VectorSource more(Lines("y-", 10));
    absl::StatusOr<WriteResult> written = a.store->Upsert(more);
    if (written.ok()) {
      token = written->consistency_token;
    } else {
      EXPECT_EQ(written.status().code(), absl::StatusCode::kUnavailable) << written.status();
    }
  }
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(b.store->AwaitVisible(token, kWait).ok());
  EXPECT_EQ(b.engine->LineCount(), 20);
}

}  // namespace
}  // namespace analytics
