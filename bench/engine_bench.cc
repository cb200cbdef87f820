// engine-bench: times the query engines in-process on an existing database,
// without gRPC, for profiling (perf record / callgrind) and quick checks.
//
// Usage: engine-bench DB [columnar|sql] [repetitions]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "query/columnar/columnar_engine.h"
#include "query/sql_query_engine.h"
#include "reports/breakdown_report.h"
#include "reports/customer_report.h"
#include "reports/kpi_report.h"
#include "reports/trend_report.h"
#include "store/order_store.h"
#include "thread_cpu.h"

namespace analytics {
namespace {

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Times `run` `repetitions` times, each right after `before` (not timed;
// null: nothing), and prints the wall and CPU p50 and minimum.
void TimeAfter(const char* name, int repetitions, const std::function<bool()>& before,
               const std::function<bool()>& run) {
  std::vector<double> ms;
  std::vector<double> cpu;
  for (int i = 0; i < repetitions; ++i) {
    if (before && !before()) {
      std::printf("%-28s SETUP FAILED\n", name);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuMs();
    if (!run()) {
      std::printf("%-28s FAILED\n", name);
      return;
    }
    cpu.push_back(ThreadCpuMs() - cpu_start);
    ms.push_back(Ms(std::chrono::steady_clock::now() - start));
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("%-28s wall p50 %8.3f min %8.3f   cpu p50 %8.3f min %8.3f ms\n", name,
              ms[ms.size() / 2], ms.front(), cpu[cpu.size() / 2], cpu.front());
}

void Time(const char* name, int repetitions, const std::function<bool()>& run) {
  TimeAfter(name, repetitions, nullptr, run);
}

// One line, written again and again (the same key: an update).
class OneLine final : public LineSource {
 public:
  explicit OneLine(OrderLine line) : line_(std::move(line)) {}
  bool Next(OrderLine& line) override {
    if (done_) return false;
    line = line_;
    done_ = true;
    return true;
  }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  OrderLine line_;
  bool done_ = false;
};

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: engine-bench DB [columnar|sql] [repetitions] [parallel-min-rows]\n");
    return 2;
  }
  const std::string kind = argc > 2 ? argv[2] : "columnar";
  const int repetitions = argc > 3 ? std::atoi(argv[3]) : 20;
  ColumnarEngineOptions options;
  if (argc > 4) options.parallel_min_rows = static_cast<std::uint32_t>(std::atoll(argv[4]));
  absl::StatusOr<std::unique_ptr<OrderStore>> store = OrderStore::Open(argv[1]);
  if (!store.ok()) return 1;
  const auto load_start = std::chrono::steady_clock::now();
  const double load_cpu = ThreadCpuMs();
  std::unique_ptr<QueryEngine> engine;
  if (kind == "sql") {
    engine = *SqlQueryEngine::Create(**store);
  } else {
    absl::StatusOr<std::unique_ptr<ColumnarEngine>> columnar =
        ColumnarEngine::Create(**store, options);
    if (!columnar.ok()) return 1;
    std::printf("loaded %lld lines, ~%zu MiB\n", static_cast<long long>((*columnar)->LineCount()),
                (*columnar)->MemoryBytes() >> 20);
    engine = std::move(*columnar);
  }
  std::printf("engine start %.1f ms wall, %.1f ms cpu\n",
              Ms(std::chrono::steady_clock::now() - load_start), ThreadCpuMs() - load_cpu);
  QueryEngine& e = *engine;
  const Day last = (*e.Span({}))->last;
  Filter filtered;
  filtered.start = last - 89;
  filtered.end = last;
  filtered.regions = {"West"};

  Time("Totals(all, cached)", repetitions, [&] { return e.Totals({}).ok(); });
  // A different (but equivalent) filter each time: never answered from cache.
  Day before_first = (*e.Span({}))->first;
  Time("Totals(all, computed)", repetitions, [&] {
    Filter f;
    f.start = --before_first;
    return e.Totals(f).ok();
  });
  Time("Span(all)", repetitions, [&] { return e.Span({}).ok(); });
  Time("KpiReport(all)", repetitions, [&] { return BuildKpiReport(e, {}).ok(); });
  Time("KpiReport(90d, West)", repetitions, [&] { return BuildKpiReport(e, filtered).ok(); });
  Time("Breakdown(region)", repetitions,
       [&] { return BuildBreakdownReport(e, {}, {.dimension = Dimension::kRegion}).ok(); });
  Time("Breakdown(category)", repetitions,
       [&] { return BuildBreakdownReport(e, {}, {.dimension = Dimension::kCategory}).ok(); });
  Time("Breakdown(region, computed)", repetitions, [&] {
    Filter f;
    f.start = --before_first;
    return BuildBreakdownReport(e, f, {.dimension = Dimension::kRegion}).ok();
  });
  Time("Trend(month)", repetitions, [&] { return BuildTrend(e, {}, Granularity::kMonth).ok(); });
  Time("Trend(month, computed)", repetitions, [&] {
    Filter f;
    f.start = --before_first;
    return BuildTrend(e, f, Granularity::kMonth).ok();
  });
  Time("ScoreCustomers(cached)", repetitions, [&] { return e.ScoreCustomers({}, last).ok(); });
  Day as_of = last;
  // A new as-of day each time: never answered from the engine's cache.
  Time("ScoreCustomers(computed)", repetitions, [&] { return e.ScoreCustomers({}, ++as_of).ok(); });
  // As the server does: the classification of a list handed out again is
  // kept.
  ClassificationCache classified;
  Time("RfmSummary", repetitions, [&] {
    absl::StatusOr<ScoredCustomers> scored = ScoreAllCustomers(e, {}, &classified);
    return scored.ok() && Summarize(*scored).customers > 0;
  });
  Time("ListCustomers(Gold, 50)", repetitions, [&] {
    absl::StatusOr<ScoredCustomers> scored = ScoreAllCustomers(e, {}, &classified);
    if (!scored.ok()) return false;
    CustomerSelection selection;
    selection.tier = Tier::kGold;
    return !SelectCustomers(std::move(*scored), selection).customers.empty();
  });

  // Never asked before: a region and a category (bench-client cold's Gold
  // row, with its regions), each repetition another pair of the 4 x 3 (then
  // cached).
  {
    const char* regions[] = {"North", "South", "East", "West"};
    const char* categories[] = {"Furniture", "Office Supplies", "Technology"};
    int pair = 0;
    Time("Gold list(region+category)", std::min(repetitions, 12), [&] {
      Filter f;
      f.regions = {regions[pair % 4]};
      f.categories = {categories[pair / 4 % 3]};
      RfmQuery query;
      query.filter = f;
      ++pair;
      absl::StatusOr<ScoredCustomers> scored = ScoreAllCustomers(e, query);
      if (!scored.ok()) return false;
      CustomerSelection selection;
      selection.tier = Tier::kGold;
      // May be empty: few customers are Gold on one category's lines.
      return SelectCustomers(std::move(*scored), selection).customers.size() <= 50;
    });
  }

  // Right after a write of one line (on the last day, an existing
  // customer): what a dashboard sees when it asks after every write.
  OrderLine extra;
  extra.line_key = "engine-bench-extra";
  extra.order_id = "ENGINE-BENCH-EXTRA";
  extra.order_date = last;
  extra.customer_id = std::string((*e.ScoreCustomers({}, last))->front().customer_id);
  extra.region = "West";
  extra.category = "Technology";
  int written = 0;
  const auto write = [&] {
    OneLine source(extra);
    extra.sales = 1'000'000 * (1 + written++ % 7);
    return (*store)->Upsert(source).ok();
  };
  TimeAfter("after write: KpiReport", repetitions, write,
            [&] { return BuildKpiReport(e, {}).ok(); });
  TimeAfter("after write: Breakdown(reg)", repetitions, write,
            [&] { return BuildBreakdownReport(e, {}, {.dimension = Dimension::kRegion}).ok(); });
  TimeAfter("after write: ScoreCustomers", repetitions, write,
            [&] { return e.ScoreCustomers({}, last).ok(); });
  TimeAfter("after write: RfmSummary", repetitions, write, [&] {
    absl::StatusOr<ScoredCustomers> scored = ScoreAllCustomers(e, {}, &classified);
    return scored.ok() && Summarize(*scored).customers > 0;
  });
  TimeAfter("after write: Gold list", repetitions, write, [&] {
    absl::StatusOr<ScoredCustomers> scored = ScoreAllCustomers(e, {}, &classified);
    if (!scored.ok()) return false;
    CustomerSelection selection;
    selection.tier = Tier::kGold;
    return !SelectCustomers(std::move(*scored), selection).customers.empty();
  });
  // The first RFM summary after a bulk write (bench-client first-rfm, in
  // process): nothing kept from before serves it but the partials the write
  // rebuilt.
  {
    class Bulk final : public LineSource {
     public:
      Bulk(OrderLine line, int count) : line_(std::move(line)), left_(count) {}
      bool Next(OrderLine& line) override {
        if (left_ == 0) return false;
        line = line_;
        line.line_key = absl::StrCat("engine-bench-bulk-", left_);
        line.order_id = absl::StrCat("ENGINE-BENCH-BULK-", left_ / 3);
        --left_;
        return true;
      }
      absl::Status status() const override { return absl::OkStatus(); }

     private:
      OrderLine line_;
      int left_;
    };
    int bulk = 0;
    TimeAfter(
        "after bulk: RfmSummary", 5,
        [&] {
          extra.sales = 1'000'000 * (1 + bulk++ % 7);
          Bulk source(extra, 200'000);
          return (*store)->Upsert(source).ok();
        },
        [&] {
          absl::StatusOr<ScoredCustomers> scored = ScoreAllCustomers(e, {}, &classified);
          return scored.ok() && Summarize(*scored).customers > 0;
        });
  }
  return 0;
}

}  // namespace
}  // namespace analytics

int main(int argc, char** argv) { return analytics::Main(argc, argv); }
