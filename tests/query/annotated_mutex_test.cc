// The annotated mutexes the columnar engine locks with: a condition wait
// releases and retakes the lock, and SharedMutex::AssertHeld stops the process when nobody holds
// the lock (the precondition the engine's view of a consistent read relies on).
#include "query/columnar/annotated_mutex.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>

namespace analytics::columnar {
namespace {

TEST(AnnotatedMutexTest, AssertHeldPassesUnderEitherLock) {
  SharedMutex mutex;
  {
    ReaderLock lock(&mutex);
    mutex.AssertHeld();
  }
  {
    WriterLock lock(&mutex);
    mutex.AssertHeld();
  }
}

TEST(AnnotatedMutexDeathTest, AssertHeldStopsWhenNobodyHoldsTheLock) {
  SharedMutex mutex;
  EXPECT_DEATH(mutex.AssertHeld(), "precondition failed");
}

TEST(AnnotatedMutexTest, WaitReleasesTheLockUntilNotified) {
  Mutex mutex;
  std::condition_variable cv;
  bool ready = false;
  std::thread notifier([&] {
    MutexLock lock(&mutex);  // only possible while the waiter waits
    ready = true;
    cv.notify_all();
  });
  {
    MutexLock lock(&mutex);
    while (!ready) mutex.Wait(cv);
    EXPECT_TRUE(ready);
  }
  notifier.join();
}

}  // namespace
}  // namespace analytics::columnar
