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
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/order_line.h"
#include "store/checkpointer.h"
#include "store/sqlite.h"
#include "store/write_listener.h"

namespace analytics {

// The schema version this build writes; older databases are migrated up.
inline constexpr int kSchemaVersion = 2;

struct WriteResult {
  std::int64_t inserted = 0;  // lines whose key was new
  std::int64_t updated = 0;   // lines that replaced an existing key
};

class OrderStore {
 public:
  // Opens or creates the database at `path` (":memory:" for a private,
  // in-memory store) and migrates it. FailedPrecondition when the file was
  // written by a newer version of the service.
  static absl::StatusOr<std::unique_ptr<OrderStore>> Open(const std::string& path);

  // Upserts every line of `source` in one transaction; with `replace`, all
  // existing lines are deleted first in the same transaction. On any error
  // nothing is written, including a source that ends with a non-OK status():
  // that status is returned.
  absl::StatusOr<WriteResult> Upsert(LineSource& source, bool replace = false);

  // How `Upsert` would classify the lines, without writing: counts keys
  // that exist already as updates. A failed source's status() is returned.
  absl::StatusOr<WriteResult> Classify(LineSource& source);

  absl::StatusOr<std::int64_t> CountLines();

  // The line count and database size as of the last committed Upsert (or
  // Open), read without the connection: a metrics scrape must not wait
  // behind a million-line import holding it.
  struct Stats {
    std::int64_t lines = 0;
    std::int64_t database_bytes = 0;
  };
  Stats LastCommittedStats() const;

  // Pages in use times page size: the database's logical size, for :memory:
  // stores too.
  absl::StatusOr<std::int64_t> DatabaseSizeBytes();

  // Runs `fn` with exclusive use of the connection.
  absl::Status WithConnection(const std::function<absl::Status(sqlite::Connection&)>& fn);

  // Runs `snapshot` (which reads the current data) and, if it succeeds,
  // makes `listener` the store's write listener, atomically: no write can
  // fall between the two. At most one listener; it must call Unsubscribe
  // before it is destroyed.
  absl::Status Subscribe(WriteListener& listener,
                         const std::function<absl::Status(sqlite::Connection&)>& snapshot);
  void Unsubscribe(const WriteListener& listener);

  const std::string& path() const { return path_; }

 private:
  OrderStore(std::string path, sqlite::Connection connection,
             std::unique_ptr<Checkpointer> checkpointer)
      : path_(std::move(path)),
        connection_(std::move(connection)),
        checkpointer_(std::move(checkpointer)) {}

  // Recomputes the figures of LastCommittedStats; called with mutex_ held.
  absl::Status RefreshStats(sqlite::Connection& connection);

  std::string path_;
  std::atomic<std::int64_t> lines_{0};
  std::atomic<std::int64_t> database_bytes_{0};
  std::mutex mutex_;
  sqlite::Connection connection_;
  WriteListener* listener_ = nullptr;  // guarded by mutex_
  // Null for in-memory stores. Destroyed first: its last checkpoint needs
  // the file, not this connection.
  std::unique_ptr<Checkpointer> checkpointer_;
};

// Exposed for tests: brings a connection's schema to kSchemaVersion.
absl::Status MigrateSchema(sqlite::Connection& connection);

}  // namespace analytics
