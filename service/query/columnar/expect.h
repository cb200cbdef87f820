// Preconditions the columnar code states and relies on, checked in every
// build. A broken one is a bug in the caller, and going on would give wrong
// answers or touch memory out of bounds, so the process stops, naming the
// condition. Only for checks off the per-row paths.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace analytics::columnar {

[[noreturn]] inline void FailedExpectation(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: precondition failed: %s\n", file, line, condition);
  std::abort();
}

}  // namespace analytics::columnar

#define COLUMNAR_EXPECT(condition)                                              \
  do {                                                                          \
    if (!(condition)) [[unlikely]] {                                            \
      ::analytics::columnar::FailedExpectation(#condition, __FILE__, __LINE__); \
    }                                                                           \
  } while (false)
