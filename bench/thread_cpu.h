// CPU time of the calling thread, for the in-process benchmarks: on a
// shared machine, wall time also counts the time other processes held the
// core.
#pragma once

#include <time.h>

namespace analytics {

inline double ThreadCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

}  // namespace analytics
