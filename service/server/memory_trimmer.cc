#include "server/memory_trimmer.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

namespace analytics {

std::int64_t ResidentBytes() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return -1;
  long long size = 0;
  long long resident = 0;
  const int read = std::fscanf(statm, "%lld %lld", &size, &resident);
  std::fclose(statm);
  if (read != 2) return -1;
  return static_cast<std::int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

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
  std::int64_t baseline = ResidentBytes();
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, options_.period, [this] { return stopping_; })) {
    const std::int64_t resident = ResidentBytes();
    if (resident < 0) continue;
    if (resident < baseline) baseline = resident;
    if (resident - baseline < options_.growth_bytes) continue;
    lock.unlock();
    malloc_trim(0);
    lock.lock();
    // What stays resident after the trim is in use: the next trim waits
    // for growth beyond it.
    baseline = ResidentBytes();
  }
}

}  // namespace analytics
