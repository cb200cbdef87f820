// Copies the write-ahead log back into the database file on a background
// thread, so that a write's RPC never waits for it.
//
// In WAL mode a commit only appends to the -wal file; now and then the log's
// pages must be copied into the main file (a checkpoint) and both synced.
// SQLite does that by default inside the COMMIT that crosses 1000 log pages,
// i.e. inside the unlucky write's call: after a million-line ingest that is
// ~250 MB copied and fsynced before the client hears back. The store turns
// that off (wal_autocheckpoint = 0) and pokes this object after each commit
// instead; it runs PASSIVE checkpoints (never blocking readers or the
// writer) on its own connection, and a final TRUNCATE one when destroyed.
//
// Durability is unchanged: a write is safe from a process crash once its
// COMMIT is in the log, before any checkpoint.
//
// Disk: the log holds at most one write's pages plus what accumulated since
// the last complete checkpoint. When it passes kMaxIdleLogBytes the
// checkpointer runs a TRUNCATE checkpoint (briefly holding off the next
// writer) so a long run of commits cannot grow the file without bound; the
// largest single write is bounded by the server's write limits.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "store/sqlite.h"

namespace analytics {

class Checkpointer {
 public:
  // Opens its own connection to the database file at `path`.
  static absl::StatusOr<std::unique_ptr<Checkpointer>> Start(const std::string& path);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // A write committed: checkpoint soon.
  void Notify();

  // Log size past which the checkpointer empties the file.
  static constexpr std::int64_t kMaxIdleLogBytes = 64 * 1024 * 1024;

 private:
  explicit Checkpointer(sqlite::Connection connection);
  void Run();
  std::int64_t PageBytes();  // the database's page size; thread only

  sqlite::Connection connection_;  // used by the thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stopping_ = false;
  std::int64_t page_bytes_ = 0;  // thread only
  std::thread thread_;
};

}  // namespace analytics
