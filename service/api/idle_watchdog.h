// One thread that watches every write stream's pending read.
//
// A write stream (write_stream.h) that waits for a client's next message
// longer than the idle timeout must fail, releasing the write gate. A
// thread per stream would make every stream opened cost a thread before it
// sent a byte (an HTTP/2 "rapid reset" flood opened thousands of them); the
// watchdog is one thread per service that sleeps until the earliest armed
// deadline. Streams register an action, arm it while a read is pending and
// disarm it when the message arrives. An action fires at most once, on the
// watchdog's thread, without the watchdog's lock held: it may end the call
// (and the call may be gone once it returns). Free of gRPC.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace analytics::api {

class IdleWatchdog {
 public:
  using Clock = std::chrono::steady_clock;
  using Id = std::uint64_t;

  IdleWatchdog();
  ~IdleWatchdog();
  IdleWatchdog(const IdleWatchdog&) = delete;
  IdleWatchdog& operator=(const IdleWatchdog&) = delete;

  // Registers `on_idle`, not armed yet.
  Id Add(std::function<void()> on_idle);
  // Fires `id`'s action at `due` unless disarmed (or re-armed) before.
  void Arm(Id id, Clock::time_point due);
  void Disarm(Id id);
  // Forgets `id`. Once it returns the action will not start, and one running
  // on another thread has returned (called from the action itself, on the
  // watchdog's thread, it does not wait for itself).
  void Remove(Id id);

  // Registered actions (for tests: streams that ended left none behind).
  std::size_t size() const;

 private:
  using Schedule = std::multimap<Clock::time_point, Id>;
  struct Entry {
    std::function<void()> on_idle;  // empty once fired
    Schedule::iterator scheduled;
    bool armed = false;
  };

  void Run();
  void DisarmLocked(Entry& entry);

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<Id, Entry> entries_;  // guarded by mutex_
  Schedule schedule_;                      // guarded by mutex_
  Id next_id_ = 1;                         // guarded by mutex_
  Id firing_ = 0;                          // guarded by mutex_: the action running, if any
  bool stopping_ = false;                  // guarded by mutex_
  std::thread thread_;                     // last: starts once the rest exists
};

}  // namespace analytics::api
