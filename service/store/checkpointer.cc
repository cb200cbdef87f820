#include "store/checkpointer.h"

namespace analytics {

absl::StatusOr<std::unique_ptr<Checkpointer>> Checkpointer::Start(const std::string& path) {
  absl::StatusOr<sqlite::Connection> connection = sqlite::Connection::Open(path);
  if (!connection.ok()) return connection.status();
  // A checkpoint may find the writer busy for a moment; it retries later.
  if (absl::Status s = connection->Execute("PRAGMA busy_timeout = 1000"); !s.ok()) return s;
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
    sqlite3_wal_checkpoint_v2(connection_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
    lock.lock();
  }
}

}  // namespace analytics
