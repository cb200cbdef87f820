// One writer at a time: the gate every write RPC passes before it starts.
//
// SeedDemoData, IngestTransactions and ImportCsv each hold a WriteGate lease
// until their store work is over, so two imports never spool, validate and commit side
// by side (the store would serialise their commits anyway, but without a
// bound on the wait and with both spools on disk at once). A second writer
// waits up to a bound (and never past its own deadline), then gets ABORTED
// "another write is in progress" — a clear signal to retry later. Each waiter
// blocks a thread of its own (never a gRPC callback thread: those are few, and
// blocking them starves every call), so the number of waiters is capped too:
// past the cap a writer is refused at once instead of tying up another thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <utility>

#include "absl/status/statusor.h"

namespace analytics::api {

struct WriteGateOptions {
  std::chrono::milliseconds max_wait = std::chrono::seconds(30);
  int max_waiters = 4;
};

class WriteGate {
 public:
  // Holds the gate until destroyed; movable, empty after a move.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
    Lease& operator=(Lease&& other) noexcept {
      if (this != &other) {
        Release();
        gate_ = std::exchange(other.gate_, nullptr);
      }
      return *this;
    }
    ~Lease() { Release(); }
    bool held() const { return gate_ != nullptr; }

   private:
    friend class WriteGate;
    explicit Lease(WriteGate* gate) : gate_(gate) {}
    void Release();
    WriteGate* gate_ = nullptr;
  };

  explicit WriteGate(WriteGateOptions options = {}) : options_(options) {}
  WriteGate(const WriteGate&) = delete;
  WriteGate& operator=(const WriteGate&) = delete;

  // Waits until the gate is free, at most the configured bound and never
  // past `deadline`. ABORTED when another write kept it, or when too many
  // writers are waiting already. CANCELLED as soon as `abandoned` returns
  // true after a WakeWaiters (the call ended while it waited: a waiter
  // blocks a thread that the call's end must be able to join at once).
  absl::StatusOr<Lease> Acquire(std::chrono::system_clock::time_point deadline,
                                const std::function<bool()>& abandoned = {});

  // Makes every waiter look at its `abandoned` again.
  void WakeWaiters();

  // Writers waiting right now (the analytics_write_waiters gauge).
  int waiters() const;

 private:
  void Unlock();

  const WriteGateOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  bool held_ = false;
  int waiters_ = 0;
};

}  // namespace analytics::api
