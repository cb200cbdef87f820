// The system of record: order lines in an embedded SQLite database.
//
// OrderStore owns the one SQLite connection and the mutex that serialises
// access to it (SQLite connections are not shared between threads here).
// It opens the file in WAL mode, migrates the schema to the current
// `PRAGMA user_version`, and applies every write as a single transaction, so
// a write is either wholly visible or not at all. Query engines read through
// WithConnection().
//
// An optional WriteListener (write_listener.h) is told about every committed
// write, so an in-memory copy such as the columnar engine stays current.
//
// Durability: `synchronous = NORMAL` in WAL mode. A commit appends to the
// write-ahead log without fsync; checkpoints (copying the log into the file,
// with fsync) run on a background thread (checkpointer.h). A committed write
// survives a crash or SIGKILL of the process; on power loss or an OS crash
// the last transactions before it may roll back, but the database is never
// corrupted. (`synchronous = FULL` would fsync every commit: ~50-100 MB/s on
// this kind of disk, a second or more for a million lines.)
//
// Exact figures: the store keeps the bound of common/magnitude_totals.h
// (the sums of |sales|, |profit| and quantity over its lines each fit an
// int64), so no query over any subset of the lines can overflow. A write
// that would break it is refused before it commits (OutOfRange naming the
// field, nothing written); the bound is recomputed from the stored lines
// when the store is opened, and a database whose lines already break it
// (written before the bound existed) is refused at Open.
//
// Write log: when the write listener counts keys (write_listener.h: it
// holds every stored key, as the columnar engine does), a write's lines are
// committed as BLOBs of encoded lines in `line_batches` (common/line_batch.h), a few
// hundred KiB each, instead of one order_lines row and one line-key index
// entry per line: the B-tree inserts were the largest single cost of a bulk
// write. The lines are as durable either way (same transaction, same WAL).
// A background thread at the lowest CPU priority folds the batches into
// order_lines, oldest first, one batch per transaction, stepping aside
// whenever a caller waits for the connection. Everything that reads
// order_lines through WithConnection() folds what is left first, so SQL
// readers (the SQL engine, Classify, CountLines) never see a partial state;
// Subscribe() and WithConnectionUnfolded() do not, so start-up can replay the
// log in memory instead of waiting for the fold.
//
// History (schema 4): every committed write adds a row to store_changes (its
// number, a random nonce, whether it is replayable from the log, its last
// batch), and store_meta holds a random database id and the last folded
// batch. A listener that persists its copy (the columnar engine's snapshot)
// turns on KeepWriteLog: folded batches then stay (above folded_through they
// are unfolded) until it calls ReleaseWriteLog after writing a copy, so the
// writes after the copy's position replay at start-up.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/magnitude_totals.h"
#include "common/order_line.h"
#include "store/checkpointer.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "store/write_listener.h"

namespace analytics {

// The schema version this build writes; older databases are migrated up.
inline constexpr int kSchemaVersion = 4;

struct OrderStoreOptions {
  // Sum the stored lines' magnitudes (the bound, magnitude_totals.h) on a
  // thread of its own, with its own read-only view of the file, instead of
  // inside Open: reading every row and logged line takes ~0.5 s at a
  // million lines, which the server's start-up then spends beside the
  // engine's load (on the other core) instead of before it. Writes,
  // Magnitudes() and BoundChecked() wait for the sum; a database already
  // past the bound then answers them with the FailedPrecondition Open gives
  // without this option. Ignored for in-memory stores.
  bool bound_in_background = false;
};

class OrderStore final : public Store {
 public:
  // Opens or creates the database at `path` (":memory:" for a private,
  // in-memory store) and migrates it. FailedPrecondition when the file was
  // written by a newer version of the service, or (unless the bound is
  // summed in the background, see OrderStoreOptions) when its lines are
  // already past the bound.
  static absl::StatusOr<std::unique_ptr<OrderStore>> Open(const std::string& path,
                                                          OrderStoreOptions options = {});

  // Waits for the bound's sum (OrderStoreOptions::bound_in_background) and
  // returns what Open would have: OK, or FailedPrecondition naming the file
  // and the field when the stored lines are past the bound (or the error
  // reading them). Immediate when Open summed it.
  absl::Status BoundChecked();

  // Upserts every line of `source` in one transaction; with `replace`, all
  // existing lines are deleted first in the same transaction. On any error
  // nothing is written, including a source that ends with a non-OK status():
  // that status is returned. OutOfRange (MagnitudeRefusal) when the lines
  // would take the store past its bound (magnitude_totals.h); the source is
  // then not read to its end. The result counts the updates that replaced a
  // line of another order or customer (WriteResult::reassigned): row by row
  // here, from the listener's table on the write log's path (the one case
  // it misses: a listener that stopped during the write).
  absl::StatusOr<WriteResult> Upsert(LineSource& source, bool replace = false) override;

  // How `Upsert` would classify the lines, without writing: counts keys
  // that exist already as updates, and those of them whose stored line has
  // other ids as reassigned. A failed source's status() is returned,
  // and Upsert's OutOfRange when it would refuse the lines.
  absl::StatusOr<WriteResult> Classify(LineSource& source) override;

  absl::StatusOr<std::int64_t> CountLines() override;

  // True when the store holds no line, in rows or in the write log.
  absl::StatusOr<bool> IsEmpty() override;

  // StoreStats (store.h); database_bytes is page_count x page_size: the
  // database's logical size, free pages included, the write-ahead log not
  // (DatabaseSizeBytes).
  using Stats = StoreStats;
  Stats LastCommittedStats() const override;

  // The store's bound on its lines' magnitudes (magnitude_totals.h): at
  // least their exact sums.
  MagnitudeTotals Magnitudes();

  // Page count times page size: the database's logical size (free pages
  // included, the write-ahead log not), for :memory: stores too.
  absl::StatusOr<std::int64_t> DatabaseSizeBytes();

  // Runs `fn` with exclusive use of the connection, after folding the
  // write log into order_lines (an error folding is returned instead).
  absl::Status WithConnection(const std::function<absl::Status(sqlite::Connection&)>& fn);
  // The same without folding: for work that does not read order_lines
  // (PRAGMAs, registering SQL functions).
  absl::Status WithConnectionUnfolded(const std::function<absl::Status(sqlite::Connection&)>& fn);

  // Runs `snapshot` (which reads the current data: order_lines, then the
  // write log through ReadLoggedLines) and, if it succeeds, makes `listener`
  // the store's write listener, atomically: no write can fall between the
  // two. At most one listener; it must call Unsubscribe before it is
  // destroyed.
  absl::Status Subscribe(WriteListener& listener,
                         const std::function<absl::Status(sqlite::Connection&)>& snapshot);
  // The same through the store interface: the snapshot reads order_lines,
  // then the write log.
  absl::Status Subscribe(WriteListener& listener,
                         const std::function<absl::Status(StoreSnapshot&)>& load) override;
  void Unsubscribe(const WriteListener& listener) override;

  const std::string& path() const { return path_; }

  // Replay over a persisted copy (store.h). Positions count every committed
  // write (store_changes); with KeepWriteLog(true), folded batches stay
  // until ReleaseWriteLog, so a copy made at a position can replay every
  // later logged write at start-up (SqliteSnapshot::CheckReplayableAfter).
  std::optional<StorePosition> CommittedPosition() const override;
  bool KeepWriteLog(bool keep) override;
  absl::Status ReleaseWriteLog(const StorePosition& through) override;

  // Folds every logged batch into order_lines now (tests, tools); what
  // WithConnection does first anyway.
  absl::Status FoldLog();

  ~OrderStore();
  OrderStore(const OrderStore&) = delete;
  OrderStore& operator=(const OrderStore&) = delete;

 private:
  OrderStore(std::string path, sqlite::Connection connection,
             std::unique_ptr<Checkpointer> checkpointer);

  // Holds mutex_ for `fn`, counted as a waiter until it has it (the folder
  // steps aside for waiters).
  absl::Status Locked(const std::function<absl::Status(sqlite::Connection&)>& fn);
  // Adds this write's store_changes row, inside its transaction.
  absl::StatusOr<StorePosition> RecordChange(sqlite::Connection& connection, bool replayable);
  // The last committed write's position.
  static absl::StatusOr<StorePosition> ReadPosition(sqlite::Connection& connection);
  // Recomputes the figures of LastCommittedStats; called with mutex_ held.
  absl::Status RefreshStats(sqlite::Connection& connection);
  // The lines of `source` as logged batches, each line also handed to
  // `pending`; inside the caller's transaction.
  // `magnitudes` gains each batch's before it is logged; past the bound the
  // refusal is returned.
  absl::Status LogLines(sqlite::Connection& connection, LineSource& source, PendingWrite& pending,
                        MagnitudeTotals& magnitudes);
  struct Folded {
    bool any = false;  // false: the log was empty
    std::int64_t batch_id = 0;
    WriteResult counts;
  };
  // Folds the oldest logged batch in its own transaction; mutex_ held.
  absl::StatusOr<Folded> FoldOldest(sqlite::Connection& connection);
  // Folds every batch; mutex_ held. Adds the counts of batches with ids
  // from `count_from` on to `counts` (if given).
  absl::Status FoldAll(sqlite::Connection& connection, std::int64_t count_from = 0,
                       WriteResult* counts = nullptr);
  void RunFolder();
  void WakeFolder();
  // Makes magnitudes_ the bound summed at Open (waiting for the background
  // sum if it still runs); the sum's failure, or a bound already exceeded,
  // as Open reports it. mutex_ held.
  absl::Status AwaitBound();
  // Open's checks on a sum of the stored magnitudes.
  static absl::StatusOr<MagnitudeTotals> CheckedBound(const std::string& path,
                                                      absl::StatusOr<MagnitudeTotals> summed);

  std::string path_;
  std::string database_id_;  // set by Open
  // Whether folded batches stay for replay (KeepWriteLog). Undecided until
  // a listener subscribes or says: the folder starts at Open, before the
  // engine can ask, and must not drop what its snapshot needs meanwhile.
  static constexpr int kUndecidedLog = 0;
  static constexpr int kKeepLog = 1;
  static constexpr int kDropLog = 2;
  std::atomic<int> log_policy_{kUndecidedLog};
  // The last batch a persisted copy covers (ReleaseWriteLog): the folder
  // drops batches up to it.
  std::atomic<std::int64_t> released_through_{0};
  mutable std::mutex position_mutex_;  // taken after mutex_, never before
  StorePosition committed_position_;   // guarded by position_mutex_
  std::atomic<std::int64_t> lines_{0};
  std::atomic<std::int64_t> database_bytes_{0};
  std::atomic<std::int64_t> lines_written_{0};
  std::mutex mutex_;
  sqlite::Connection connection_;
  WriteListener* listener_ = nullptr;  // guarded by mutex_
  MagnitudeTotals magnitudes_;         // guarded by mutex_
  // AwaitBound's result once it has taken the sum (guarded by mutex_).
  std::optional<absl::Status> bound_status_;
  // The background sum (OrderStoreOptions): bound_thread_ fills bound_sum_.
  std::mutex bound_mutex_;  // taken after mutex_, never before
  std::condition_variable bound_summed_;
  std::optional<absl::StatusOr<MagnitudeTotals>> bound_sum_;  // guarded by bound_mutex_
  std::thread bound_thread_;
  // Batches up to this id were logged before Open: lines_ counted each of
  // their lines as new, so folding one subtracts the lines it updated.
  std::int64_t counted_as_new_through_ = 0;  // guarded by mutex_
  // False once a fold found the log empty, until the next logged write: a
  // SQL read then skips the query for the oldest batch. Guarded by mutex_.
  bool log_may_hold_batches_ = true;
  // Null for in-memory stores. Destroyed first: its last checkpoint needs
  // the file, not this connection.
  std::unique_ptr<Checkpointer> checkpointer_;

  // The folder's state.
  std::mutex fold_mutex_;
  std::condition_variable fold_wake_;
  bool fold_wanted_ = false;  // guarded by fold_mutex_
  bool stopping_ = false;     // guarded by fold_mutex_
  int waiters_ = 0;           // guarded by fold_mutex_: callers waiting for mutex_
  std::thread folder_;
};

// Reads the write log's lines, oldest batch first (each batch in write
// order), for a snapshot that replays them over order_lines.
absl::Status ReadLoggedLines(sqlite::Connection& connection,
                             const std::function<void(const OrderLine&)>& each);
// For a copy made at `position`, on a store now at `current`: OK when every
// later write can be replayed from the log, else FailedPrecondition saying
// why (store.h, StoreSnapshot::CheckReplayableAfter).
absl::Status CheckReplayableAfter(sqlite::Connection& connection, const StorePosition& current,
                                  const StorePosition& position);
// The logged lines after `position`, oldest batch first, and their count.
absl::StatusOr<std::int64_t> LinesAfterCount(sqlite::Connection& connection,
                                             const StorePosition& position);
absl::Status ReadLinesAfter(sqlite::Connection& connection, const StorePosition& position,
                            const std::function<void(const OrderLine&)>& each);
// How many lines the write log holds (to reserve room before replaying).
absl::StatusOr<std::int64_t> LoggedLineCount(sqlite::Connection& connection);

// The exact sums of |sales|, |profit| and quantity over the rows of
// order_lines plus every line of the write log (a logged line that replaces
// a row counts twice: an upper bound until the log is folded).
absl::StatusOr<MagnitudeTotals> StoredMagnitudes(sqlite::Connection& connection);

// Exposed for tests: brings a connection's schema to kSchemaVersion.
absl::Status MigrateSchema(sqlite::Connection& connection);

}  // namespace analytics
