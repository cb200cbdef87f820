#include "store/checkpointer.h"

#include "absl/strings/str_cat.h"

namespace analytics {

absl::StatusOr<std::unique_ptr<Checkpointer>> Checkpointer::Start(const std::string& path) {
  absl::StatusOr<sqlite::Connection> connection = sqlite::Connection::Open(path);
  if (!connection.ok()) return connection.status();
  // A checkpoint may find the writer busy for a moment; it retries later.
  if (absl::Status s = connection->Execute("PRAGMA busy_timeout = 1000"); !s.ok()) return s;
  // A connection learns that the file is in WAL mode only when it first
  // reads it; until then sqlite3_wal_checkpoint_v2 does nothing and reports
  // success, and the log grows with every write.
  if (absl::Status s = connection->Execute("PRAGMA journal_mode = WAL"); !s.ok()) return s;
  // A TRUNCATE checkpoint empties the file; this caps what a RESTART by
  // SQLite itself leaves behind.
  if (absl::Status s = connection->Execute(
          absl::StrCat("PRAGMA journal_size_limit = ", Checkpointer::kMaxIdleLogBytes));
      !s.ok()) {
    return s;
  }
  return std::unique_ptr<Checkpointer>(new Checkpointer(std::move(*connection)));
}

Checkpointer::Checkpointer(sqlite::Connection connection)
    : connection_(std::move(connection)), thread_([this] { Run(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // Leave a short log behind: copy everything and truncate the -wal file.
  sqlite3_wal_checkpoint_v2(connection_.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                            nullptr);
}

std::int64_t Checkpointer::PageBytes() {
  if (page_bytes_ == 0) {
    absl::StatusOr<sqlite::Statement> statement = connection_.Prepare("PRAGMA page_size");
    if (statement.ok()) {
      if (absl::StatusOr<bool> row = statement->Step(); row.ok() && *row) {
        page_bytes_ = statement->Int(0);
      }
    }
  }
  return page_bytes_ > 0 ? page_bytes_ : 4096;
}

void Checkpointer::Notify() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return pending_ || stopping_; });
    if (stopping_) return;
    pending_ = false;
    lock.unlock();
    // PASSIVE: copies what it can without waiting for anyone. A failure
    // (busy, disk full) leaves the log longer; the next write tries again.
    int log_frames = 0;
    sqlite3_wal_checkpoint_v2(connection_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                              nullptr);
    // SQLite only rewinds the log when a writer starts after a complete
    // checkpoint, and never shrinks the file: behind a long run of
    // back-to-back commits (the folder after a large write) it grows by
    // every commit. Past the bound, TRUNCATE waits (busy_timeout) for the
    // writer in progress, copies the rest and empties the file; the next
    // writer waits for it in its turn (the store's busy_timeout).
    if (static_cast<std::int64_t>(log_frames) * PageBytes() > kMaxIdleLogBytes) {
      sqlite3_wal_checkpoint_v2(connection_.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                nullptr);
    }
    lock.lock();
  }
}

}  // namespace analytics
