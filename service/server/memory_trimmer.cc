#include "server/memory_trimmer.h"

#include <malloc.h>

namespace analytics {

std::int64_t FreeHeapBytes() { return static_cast<std::int64_t>(mallinfo2().fordblks); }

MemoryTrimmer::MemoryTrimmer(Options options) : options_(options), thread_([this] { Run(); }) {}

MemoryTrimmer::~MemoryTrimmer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void MemoryTrimmer::Run() {
  // Trimmed pages stay counted as free (malloc keeps the chunks, only their
  // pages go back), so the baseline is the free bytes at the last trim, or
  // fewer once reuse has taken some.
  std::int64_t baseline = FreeHeapBytes();
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, options_.period, [this] { return stopping_; })) {
    const std::int64_t free_bytes = FreeHeapBytes();
    if (free_bytes < baseline) baseline = free_bytes;
    if (free_bytes - baseline < options_.growth_bytes) continue;
    lock.unlock();
    malloc_trim(0);
    lock.lock();
    baseline = FreeHeapBytes();
  }
}

}  // namespace analytics
