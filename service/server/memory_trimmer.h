// Gives memory freed after a burst back to the operating system.
//
// glibc keeps freed heap memory in its arenas for reuse; after a burst of
// calls (thousands of streams opened and reset on one connection, a large
// response built and sent) the process's resident size stays at its peak
// although the memory is free. The MemoryTrimmer's thread asks malloc every
// few seconds how many bytes it holds free and, when that has grown by more
// than a threshold since the last trim, calls malloc_trim(0), which returns
// every free page of every arena (not only the top of the heap). It watches
// free bytes, not the resident size: the burst's memory is freed when its
// connection closes, which does not make the resident size grow.
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
    std::int64_t growth_bytes = 32 * 1024 * 1024;  // trim past this growth of free bytes
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

// Bytes malloc holds free in its arenas (mallinfo2's fordblks).
std::int64_t FreeHeapBytes();

}  // namespace analytics
