// std::mutex and std::shared_mutex with clang's thread-safety annotations,
// so that ABSL_GUARDED_BY and ABSL_*_LOCKS_REQUIRED on the engine's state are
// checked (-Wthread-safety) while locking costs what the standard mutexes
// cost. (libstdc++'s mutexes carry no annotations; absl::Mutex does, but
// Debian's build checks for deadlocks on every lock, several times the cost
// of a std::mutex, which reads answered from cache in a few microseconds
// would feel.)
#pragma once

#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#include "absl/base/thread_annotations.h"
#include "query/columnar/expect.h"

namespace analytics::columnar {

class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }
  // Waits for a notification of `cv` (or a spurious wake-up: callers wait
  // in a loop on their condition), releasing the mutex meanwhile.
  void Wait(std::condition_variable& cv) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock lock(mutex_, std::adopt_lock);
    cv.wait(lock);
    lock.release();  // held again, and still the caller's
  }

 private:
  std::mutex mutex_;
};

// A readers-writer lock.
class ABSL_LOCKABLE SharedMutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { mutex_.lock_shared(); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock_shared(); }
  // Stops the process unless someone holds the lock (shared or exclusive):
  // for code that relies on its caller's lock. It cannot tell whether the
  // holder is this thread.
  void AssertHeld() const ABSL_ASSERT_SHARED_LOCK() {
    const bool free = mutex_.try_lock();
    if (free) mutex_.unlock();
    COLUMNAR_EXPECT(!free);
  }

 private:
  mutable std::shared_mutex mutex_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mutex) ABSL_EXCLUSIVE_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_->Lock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mutex_->Unlock(); }

 private:
  Mutex* const mutex_;
};

class ABSL_SCOPED_LOCKABLE WriterLock {
 public:
  explicit WriterLock(SharedMutex* mutex) ABSL_EXCLUSIVE_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_->Lock();
  }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  ~WriterLock() ABSL_UNLOCK_FUNCTION() { mutex_->Unlock(); }

 private:
  SharedMutex* const mutex_;
};

class ABSL_SCOPED_LOCKABLE ReaderLock {
 public:
  explicit ReaderLock(SharedMutex* mutex) ABSL_SHARED_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_->ReaderLock();
  }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;
  ~ReaderLock() ABSL_UNLOCK_FUNCTION() { mutex_->ReaderUnlock(); }

 private:
  SharedMutex* const mutex_;
};

}  // namespace analytics::columnar
