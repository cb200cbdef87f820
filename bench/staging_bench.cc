// staging-bench: times the columnar engine's share of a bulk write in
// process, without gRPC or SQLite: staging a demo data set's lines (read in
// place from LineBatches, as the engine's worker does) and merging them into
// an empty table. Thread CPU time, so that a noisy machine matters less;
// for profiling the write path (perf record) and quick before/after checks.
//
// Usage: staging-bench [lines] [repetitions]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/line_batch.h"
#include "demo/demo_generator.h"
#include "query/columnar/line_table.h"
#include "thread_cpu.h"

namespace analytics {
namespace {

int Main(int argc, char** argv) {
  DemoOptions options;
  options.line_count = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  options.customer_count = std::max<std::int64_t>(1, options.line_count / 10);
  const int repetitions = argc > 2 ? std::atoi(argv[2]) : 5;
  DemoGenerator generator(options);
  std::vector<LineBatch> batches;
  while (generator.NextBatch(batches.emplace_back())) {
  }
  batches.pop_back();
  std::vector<double> staging;
  std::vector<double> merging;
  for (int r = 0; r < repetitions; ++r) {
    columnar::LineTable table;
    columnar::StagedWrite staged(/*replace=*/true);
    const double t0 = ThreadCpuMs();
    for (const LineBatch& batch : batches) staged.AddBatch(batch);
    const double t1 = ThreadCpuMs();
    absl::StatusOr<std::int64_t> added = table.Apply(staged);
    const double t2 = ThreadCpuMs();
    if (!added.ok() || *added != options.line_count) {
      std::fprintf(stderr, "staging-bench: the merge failed\n");
      return 1;
    }
    staging.push_back(t1 - t0);
    merging.push_back(t2 - t1);
  }
  std::sort(staging.begin(), staging.end());
  std::sort(merging.begin(), merging.end());
  std::printf("lines=%lld staging_cpu_ms_p50=%.1f min=%.1f merge_cpu_ms_p50=%.1f min=%.1f\n",
              static_cast<long long>(options.line_count), staging[staging.size() / 2],
              staging.front(), merging[merging.size() / 2], merging.front());
  return 0;
}

}  // namespace
}  // namespace analytics

int main(int argc, char** argv) { return analytics::Main(argc, argv); }
