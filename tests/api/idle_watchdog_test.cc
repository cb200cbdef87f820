// IdleWatchdog (api/idle_watchdog.h): one thread that fires a write stream's
// action when its read has waited past the deadline. Deadlines here are in
// the past or far in the future, so no test depends on the machine's speed;
// a fired action signals a latch the test waits on.
#include "api/idle_watchdog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace analytics::api {
namespace {

using Clock = IdleWatchdog::Clock;

class Latch {
 public:
  void Signal() {
    {
      std::lock_guard lock(mutex_);
      ++count_;
    }
    signalled_.notify_all();
  }
  // Waits for `n` signals; false when they did not come within a minute.
  bool WaitFor(int n) {
    std::unique_lock lock(mutex_);
    return signalled_.wait_for(lock, std::chrono::minutes(1), [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable signalled_;
  int count_ = 0;
};

TEST(IdleWatchdogTest, AnArmedActionPastItsDeadlineFiresOnce) {
  IdleWatchdog watchdog;
  Latch fired;
  const IdleWatchdog::Id id = watchdog.Add([&] { fired.Signal(); });
  watchdog.Arm(id, Clock::now() - std::chrono::seconds(1));
  ASSERT_TRUE(fired.WaitFor(1));
  // Fired is final: arming again does nothing, so a second action, armed
  // after it and fired, proves the first stayed quiet meanwhile.
  watchdog.Arm(id, Clock::now() - std::chrono::seconds(1));
  Latch second;
  const IdleWatchdog::Id other = watchdog.Add([&] { second.Signal(); });
  watchdog.Arm(other, Clock::now() - std::chrono::seconds(1));
  ASSERT_TRUE(second.WaitFor(1));
  EXPECT_EQ(fired.count(), 1);
  watchdog.Remove(id);
  watchdog.Remove(other);
  EXPECT_EQ(watchdog.size(), 0u);
}

TEST(IdleWatchdogTest, DisarmedAndUnarmedActionsDoNotFire) {
  IdleWatchdog watchdog;
  // The watchdog's thread is kept busy in a first action while the others
  // are armed past their deadline and then disarmed or re-armed, so none
  // can fire before the test has changed its mind.
  Latch busy;
  std::mutex gate;
  std::unique_lock hold(gate);
  const IdleWatchdog::Id blocker = watchdog.Add([&] {
    busy.Signal();
    std::lock_guard wait(gate);
  });
  watchdog.Arm(blocker, Clock::now() - std::chrono::seconds(1));
  ASSERT_TRUE(busy.WaitFor(1));
  std::atomic<int> wrong{0};
  const IdleWatchdog::Id never_armed = watchdog.Add([&] { ++wrong; });
  const IdleWatchdog::Id disarmed = watchdog.Add([&] { ++wrong; });
  watchdog.Arm(disarmed, Clock::now() - std::chrono::seconds(1));
  watchdog.Disarm(disarmed);
  // Re-armed: the earlier deadline must not survive.
  const IdleWatchdog::Id rearmed = watchdog.Add([&] { ++wrong; });
  watchdog.Arm(rearmed, Clock::now() - std::chrono::seconds(1));
  watchdog.Arm(rearmed, Clock::now() + std::chrono::hours(1));
  // A last action, due after the others, shows the watchdog went past them.
  Latch fired;
  const IdleWatchdog::Id probe = watchdog.Add([&] { fired.Signal(); });
  watchdog.Arm(probe, Clock::now() - std::chrono::milliseconds(1));
  hold.unlock();
  ASSERT_TRUE(fired.WaitFor(1));
  EXPECT_EQ(wrong.load(), 0);
  for (const IdleWatchdog::Id id : {blocker, never_armed, disarmed, rearmed, probe}) {
    watchdog.Remove(id);
  }
}

TEST(IdleWatchdogTest, AnEarlierDeadlineWakesTheWatchdogFromALaterOne) {
  IdleWatchdog watchdog;
  const IdleWatchdog::Id late = watchdog.Add([] {});
  watchdog.Arm(late, Clock::now() + std::chrono::hours(1));
  Latch fired;
  const IdleWatchdog::Id early = watchdog.Add([&] { fired.Signal(); });
  watchdog.Arm(early, Clock::now() - std::chrono::seconds(1));
  EXPECT_TRUE(fired.WaitFor(1));  // not an hour later
  watchdog.Remove(late);
  watchdog.Remove(early);
}

TEST(IdleWatchdogTest, RemoveWaitsForARunningActionAndAnActionMayRemoveItself) {
  IdleWatchdog watchdog;
  Latch started;
  std::mutex gate;
  std::unique_lock hold(gate);  // keeps the action running until released
  std::atomic<bool> finished{false};
  const IdleWatchdog::Id id = watchdog.Add([&] {
    started.Signal();
    std::lock_guard wait(gate);
    finished = true;
  });
  watchdog.Arm(id, Clock::now() - std::chrono::seconds(1));
  ASSERT_TRUE(started.WaitFor(1));
  std::thread remover([&] {
    watchdog.Remove(id);
    EXPECT_TRUE(finished.load());  // returned only after the action did
  });
  hold.unlock();
  remover.join();

  Latch removed;
  IdleWatchdog::Id self = 0;
  std::mutex self_mutex;
  {
    std::lock_guard lock(self_mutex);
    self = watchdog.Add([&] {
      std::lock_guard lock(self_mutex);
      watchdog.Remove(self);  // on the watchdog's own thread: must not wait for itself
      removed.Signal();
    });
  }
  watchdog.Arm(self, Clock::now() - std::chrono::seconds(1));
  ASSERT_TRUE(removed.WaitFor(1));
  EXPECT_EQ(watchdog.size(), 0u);
}

}  // namespace
}  // namespace analytics::api
