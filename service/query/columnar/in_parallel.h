// Two pieces of work on two cores: the columnar engine's scans split in
// halves, and a bulk write's merge into the table. The machine this serves on
// has few cores, so there is no pool: one helper thread per call, and both
// pieces on the calling thread when parallelism is not worth it or no thread
// can be started.
#pragma once

#include <system_error>
#include <thread>

namespace analytics::columnar {

// Runs `first` on a helper thread and `second` on this one, or both here
// when `parallel` is false (or no thread is to be had).
template <typename First, typename Second>
void InParallel(bool parallel, First&& first, Second&& second) {
  std::thread helper;
  if (parallel) {
    try {
      helper = std::thread(first);
    } catch (const std::system_error&) {
      parallel = false;
    }
  }
  if (!parallel) first();
  second();
  if (helper.joinable()) helper.join();
}

}  // namespace analytics::columnar
