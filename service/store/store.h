// The store interface: what the service needs from its system of record,
// whichever database holds it.
//
// The API handlers write through Upsert and Classify, demo seeding asks
// IsEmpty, metrics read LastCommittedStats, and an in-memory copy (the
// columnar engine) loads a snapshot and follows every later write through
// Subscribe. Two implementations: OrderStore (order_store.h), the embedded
// SQLite default, and PgStore (pg_store.h), PostgreSQL shared by any
// number of replicas. Everything SQL-specific (connections, statements,
// schema) stays behind the implementations; the SQL query engine reaches
// it through its own backend (query/sql_backend.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/line_fields.h"
#include "common/order_line.h"
#include "store/write_listener.h"

namespace analytics {

// The line count and database size as of the last committed write (or the
// store's start), read without touching the database: a metrics scrape must
// not wait behind a million-line import.
struct StoreStats {
  std::int64_t lines = 0;
  // The database's size on disk, as the engine reports it.
  std::int64_t database_bytes = 0;
  // Lines of every Upsert committed since the store opened (inserted +
  // updated): ingest, import and demo seeding, the start-up seed included.
  std::int64_t lines_written = 0;
};

// A point in a store's history: what a persisted copy of the data (the
// columnar engine's snapshot, query/columnar/snapshot.h) reflects, so that
// start-up can tell whether the store still holds every write after it.
struct StorePosition {
  // Random, fixed when the database was created: a copy made from another
  // database is never taken for this one's.
  std::string database_id;
  // Counts committed writes.
  std::int64_t change = 0;
  // Random per write: two histories that reach the same count (a database
  // restored from a backup, then written again) differ here.
  std::int64_t change_nonce = 0;
  // The last write-log batch the position includes.
  std::int64_t last_batch = 0;

  friend bool operator==(const StorePosition&, const StorePosition&) = default;
};

// One committed state of the store, as a listener loads it at Subscribe:
// the stored lines (each key once), then lines still to be replayed over
// them as the upserts they are (a store without a write log has none).
class StoreSnapshot {
 public:
  virtual ~StoreSnapshot() = default;
  // How many lines ReadStoredLines hands over (to reserve room).
  virtual absl::StatusOr<std::int64_t> StoredLineCount() = 0;
  // Every stored line, in no particular order, each key once; only `fields`
  // are filled, the others keep their defaults. The line is reused.
  virtual absl::Status ReadStoredLines(std::span<const LineField> fields,
                                       const std::function<void(const OrderLine&)>& each) = 0;
  // Lines to replay over the stored ones, in write order (a later line with
  // the same key replaces an earlier one).
  virtual absl::StatusOr<std::int64_t> LoggedLineCount() = 0;
  virtual absl::Status ReadLoggedLines(const std::function<void(const OrderLine&)>& each) = 0;

  // Replay from a persisted copy (Store::KeepWriteLog). The state this
  // snapshot is; nullopt for a store that cannot replay from a position.
  virtual std::optional<StorePosition> Position() { return std::nullopt; }
  // OK when every write after `position` can be read back by
  // ReadLinesAfter: the position is in this database's history and every
  // later write is logged as upserts and still kept. Otherwise
  // FailedPrecondition saying why (another database, a newer position, a
  // replace-all write since, released log).
  virtual absl::Status CheckReplayableAfter(const StorePosition& position) {
    (void)position;
    return absl::UnimplementedError("this store cannot replay writes from a position");
  }
  // The lines written after `position`, in write order, and their count.
  virtual absl::StatusOr<std::int64_t> LinesAfterCount(const StorePosition& position) {
    (void)position;
    return absl::UnimplementedError("this store cannot replay writes from a position");
  }
  virtual absl::Status ReadLinesAfter(const StorePosition& position,
                                      const std::function<void(const OrderLine&)>& each) {
    (void)position;
    (void)each;
    return absl::UnimplementedError("this store cannot replay writes from a position");
  }
};

class Store {
 public:
  virtual ~Store() = default;

  // Upserts every line of `source` as one transaction, all or nothing and
  // durable when it returns OK; with `replace`, every existing line is
  // deleted first in the same transaction. A source that ends with a non-OK
  // status() writes nothing and returns that status. OutOfRange when the
  // lines would take the store past its magnitude bound
  // (common/magnitude_totals.h).
  virtual absl::StatusOr<WriteResult> Upsert(LineSource& source, bool replace = false) = 0;

  // How Upsert would count the lines, without writing.
  virtual absl::StatusOr<WriteResult> Classify(LineSource& source) = 0;

  virtual absl::StatusOr<std::int64_t> CountLines() = 0;

  // True when the store holds no line.
  virtual absl::StatusOr<bool> IsEmpty() = 0;

  virtual StoreStats LastCommittedStats() const = 0;

  // Runs `load` on a snapshot of the current data and, if it succeeds, makes
  // `listener` the store's write listener: every write committed after the
  // snapshot reaches it, none before. At most one listener; it must call
  // Unsubscribe before it is destroyed.
  virtual absl::Status Subscribe(WriteListener& listener,
                                 const std::function<absl::Status(StoreSnapshot&)>& load) = 0;
  virtual void Unsubscribe(const WriteListener& listener) = 0;

  // For a listener that persists its copy of the data: the position of the
  // last committed write, readable from the listener's Commit() (the store's
  // lock is then held, so it is exactly that write's). nullopt for a store
  // that cannot replay from a position (PostgreSQL here).
  virtual std::optional<StorePosition> CommittedPosition() const { return std::nullopt; }
  // With `keep`, the write log's batches stay after they are folded, until
  // ReleaseWriteLog: writes after a persisted copy can then be replayed
  // over it at start-up. False when the store cannot.
  virtual bool KeepWriteLog(bool keep) {
    (void)keep;
    return false;
  }
  // A persisted copy now holds everything up to `through`: the kept log up
  // to there may go.
  virtual absl::Status ReleaseWriteLog(const StorePosition& through) {
    (void)through;
    return absl::OkStatus();
  }

  // Waits until a write's consistency token (WriteResult) is visible to
  // this replica's reads: OK at once for a store only this process writes
  // (SQLite). DeadlineExceeded after `max_wait`, InvalidArgument for a
  // token this store never issued.
  virtual absl::Status AwaitVisible(std::string_view token, std::chrono::milliseconds max_wait) {
    (void)token;
    (void)max_wait;
    return absl::OkStatus();
  }
};

}  // namespace analytics
