// The shared system of record: order lines in PostgreSQL, for any number of
// replicas of the service (README "Scaling out").
//
// Schema: order_lines (money as BIGINT micro-units, line_key the primary
// key, every text COLLATE "C" so orderings match SQLite's and the columnar
// engine's byte order), a change log, the magnitude bound and
// analytics_bucket_start (the SQL engine's calendar). It is versioned in
// analytics_schema and migrated at Open under pg_advisory_lock, so replicas
// starting together migrate once.
//
// Writes: every Upsert is one transaction. It locks the bound's row (so
// writers queue instead of deadlocking on overlapping keys), COPYs the lines
// into a temporary table, counts inserts, updates and reassigned lines in
// SQL, upserts them, appends one change_log row (kind, lines) in the same
// transaction and NOTIFYs the followers. COMMIT with synchronous_commit on:
// durable when Upsert returns OK. A failure anywhere (PostgreSQL restarted,
// the connection killed) rolls the whole write back and returns Unavailable
// ("nothing of this write was stored"); the pool drops connections the
// server closed and reconnects on the next call. A failure of COMMIT itself leaves
// the outcome unknown, as for any database client.
//
// Replicas: each one's write listener (the columnar engine) loads a REPEATABLE
// READ snapshot at Subscribe and then follows the change log on a thread of
// its own. Sequences commit out of order, so a cursor on ids would skip a
// change whose id is lower than one already seen; the follower instead keeps
// a horizon H, the xmin of the last snapshot it applied: every transaction
// with an xid below H had ended when that snapshot was taken, so its change
// row was visible then, and none can appear later. Each round opens a
// REPEATABLE READ snapshot, reads the change rows with H <= xid < its own
// xmin, re-reads the current rows those changes wrote (order_lines.change_id;
// a row rewritten by a later change comes with that change) or, after a
// replacing write, every row, applies them, and advances H. Rows of a later,
// still-unapplied change that the snapshot happens to see are applied twice:
// upserts, so harmless. LISTEN/NOTIFY only wakes the follower; it also polls,
// and after a lost connection it reconnects and continues from H.
//
// Consistency token: a write's xid. A read that passes it waits until the
// replica's horizon is above it (AwaitVisible), so a client that wrote on
// one replica reads its write on any other. Pruning: each follower records
// its horizon in analytics_replicas; change rows below every live replica's
// horizon are deleted, and a replica that finds the log pruned past its
// horizon reloads everything.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/pg.h"
#include "store/sql_backend.h"
#include "store/store.h"

namespace analytics {

inline constexpr int kPgSchemaVersion = 1;

struct PgStoreOptions {
  static PgStoreOptions For(std::string dsn, std::string replica_name = "") {
    PgStoreOptions options;
    options.dsn = std::move(dsn);
    options.replica_name = std::move(replica_name);
    return options;
  }
  std::string dsn;  // postgres://user@host:port/db or key=value form
  // How often the follower polls when no notification arrives.
  std::chrono::milliseconds poll_interval{500};
  // How long an Upsert waits for this replica to apply its own write, so a
  // read after the reply sees it here too.
  std::chrono::milliseconds own_write_wait{10'000};
  // This replica's name in analytics_replicas (defaults to host:pid).
  std::string replica_name;
};

// True for the --db values that select PostgreSQL.
bool IsPostgresDsn(const std::string& db);
// `db` fit for a log line: a URI's password replaced by "***".
std::string RedactedDb(const std::string& db);

class PgStore final : public Store {
 public:
  // Connects, migrates the schema (under an advisory lock) and reads the
  // current stats. FailedPrecondition for a schema newer than this build.
  static absl::StatusOr<std::unique_ptr<PgStore>> Open(PgStoreOptions options);
  ~PgStore() override;

  absl::StatusOr<WriteResult> Upsert(LineSource& source, bool replace = false) override;
  absl::StatusOr<WriteResult> Classify(LineSource& source) override;
  absl::StatusOr<std::int64_t> CountLines() override;
  absl::StatusOr<bool> IsEmpty() override;
  StoreStats LastCommittedStats() const override;
  absl::Status Subscribe(WriteListener& listener,
                         const std::function<absl::Status(StoreSnapshot&)>& load) override;
  void Unsubscribe(const WriteListener& listener) override;
  absl::Status AwaitVisible(std::string_view token, std::chrono::milliseconds max_wait) override;

  // The SQL engine's way in: queries on the pool, consistent reads in one
  // REPEATABLE READ READ ONLY transaction.
  std::unique_ptr<SqlBackend> MakeSqlBackend();

  // Seconds the oldest change not yet applied here has waited (0 when
  // caught up or with no listener): the replica lag gauge.
  double ReplicaLagSeconds() const { return lag_seconds_.load(std::memory_order_relaxed); }
  // How stale this replica's copy may be: the lag, or, when the follower
  // has not finished a round for longer (PostgreSQL unreachable, a round
  // stuck), the time since its last one: what readiness compares with
  // --max-replica-lag. 0 before Subscribe.
  double StalenessSeconds() const;
  // Changes applied by the follower since Subscribe.
  std::int64_t ChangesApplied() const { return changes_applied_.load(std::memory_order_relaxed); }

  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

 private:
  explicit PgStore(PgStoreOptions options);
  // Where a failed Write stopped, which decides what the client is told.
  enum class FailedAt { kDatabase, kSource, kCommit };
  // `failed_at`: set when the write fails in its source (the lines) or once
  // COMMIT has been sent (after which the outcome is unknown).
  absl::StatusOr<WriteResult> Write(LineSource& source, bool replace, bool commit, std::string* xid,
                                    FailedAt& failed_at);
  static absl::Status WriteFailure(const absl::Status& status, FailedAt failed_at);
  absl::Status RefreshStats();
  void RunFollower();
  // One round on `connection`: applies what is below the new horizon.
  // `held_back`: the snapshot saw a change above it (an older transaction
  // still running kept it from being applied), so another round is due soon.
  absl::Status FollowOnce(pg::Connection& connection, bool& held_back);
  void Publish(std::uint64_t horizon);
  void Wake();

  const PgStoreOptions options_;
  pg::Pool pool_;
  std::atomic<std::int64_t> lines_{0};
  std::atomic<std::int64_t> database_bytes_{0};
  std::atomic<std::int64_t> lines_written_{0};
  std::atomic<double> lag_seconds_{0};
  // steady_clock nanoseconds at the end of the last successful follower
  // round; 0: no follower.
  std::atomic<std::int64_t> followed_at_ns_{0};
  std::atomic<std::int64_t> changes_applied_{0};

  // The follower's state.
  std::mutex mutex_;
  std::condition_variable applied_cv_;
  WriteListener* listener_ = nullptr;  // guarded by mutex_
  std::uint64_t horizon_ = 0;          // guarded by mutex_: applied below this xid
  bool stopping_ = false;              // guarded by mutex_
  int wake_fd_ = -1;                   // eventfd: a local write, or stop
  std::thread follower_;
};

}  // namespace analytics
