// Gives memory freed after a burst back to the operating system.
//
// glibc keeps freed heap memory in its arena for reuse; after a burst of
// calls (thousands of streams opened and reset on one connection, a large
// response built and sent) the process's resident size stays at its peak
// although the memory is free. The MemoryTrimmer's thread looks at the
// resident size every few seconds and, when it has grown by more than a
// threshold since the last trim, calls malloc_trim(0), which returns every
// free page of the heap (not only its top). Quiet processes pay one small
// /proc read per period.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace analytics {

class MemoryTrimmer {
 public:
  struct Options {
    std::chrono::milliseconds period{2000};
    std::int64_t growth_bytes = 32 * 1024 * 1024;  // trim past this growth
  };
  explicit MemoryTrimmer(Options options);
  ~MemoryTrimmer();
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

 private:
  void Run();

  const Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

// The process's resident set size in bytes (/proc/self/statm), or -1.
std::int64_t ResidentBytes();

}  // namespace analytics
