// predict-bench: the prediction fit's parts on demo data, in process (issue
// 15): per-customer days from the columnar engine, the BG/NBD and
// Gamma-Gamma fits, the per-customer predictions, and a cached list page.
//
//   predict-bench [LINES] [CUSTOMERS]      (default 1,000,000 and 100,000)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "demo/demo_generator.h"
#include "predict/prediction_report.h"
#include "query/columnar/columnar_engine.h"
#include "store/order_store.h"
#include "thread_cpu.h"

namespace analytics {
namespace {

// Wall milliseconds of `run`; its thread's CPU milliseconds go to stderr
// (on a loaded machine the two differ).
double Ms(const std::function<void()>& run) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuMs();
  run();
  std::fprintf(stderr, "  (cpu %.1f ms)\n", ThreadCpuMs() - cpu_start);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

int Main(int argc, char** argv) {
  DemoOptions options;
  options.line_count = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  options.customer_count = argc > 2 ? std::atoll(argv[2]) : options.line_count / 10;
  options.end_day = *ParseIsoDay("2025-06-30");
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  DemoGenerator lines(options);
  if (!store->Upsert(lines).ok()) return 1;
  std::unique_ptr<ColumnarEngine> engine = *ColumnarEngine::Create(*store);
  CustomerDayList days;
  std::printf("customer_days_ms=%.1f\n", Ms([&] { days = *engine->CustomerDays({}); }));
  predict::PurchaseHistories histories;
  std::printf("summaries_ms=%.1f\n", Ms([&] {
                histories = predict::SummarizePurchases(days, *ParseIsoDay("2025-03-31"));
              }));
  absl::StatusOr<predict::BgNbdFit> bgnbd = absl::UnknownError("");
  std::printf("bgnbd_fit_ms=%.1f\n", Ms([&] {
                bgnbd = predict::FitBgNbd(histories.customers, predict::TimeUnit::kWeek);
              }));
  if (!bgnbd.ok()) return std::printf("%s\n", bgnbd.status().ToString().c_str()), 1;
  std::printf("bgnbd_evaluations=%d customers=%lld\n", bgnbd->report.evaluations,
              static_cast<long long>(bgnbd->customers));
  absl::StatusOr<predict::GammaGammaFit> spend = absl::UnknownError("");
  std::printf("gamma_gamma_fit_ms=%.1f\n",
              Ms([&] { spend = predict::FitGammaGamma(histories.customers); }));
  // Demo spend is uniform per line: customers barely differ in mean
  // value, and the spend model may find no heterogeneity to fit.
  if (spend.ok()) {
    std::printf("gamma_gamma_evaluations=%d customers=%lld\n", spend->report.evaluations,
                static_cast<long long>(spend->customers));
  } else {
    std::printf("gamma_gamma: %s\n", spend.status().ToString().c_str());
  }
  std::printf("predict_customers_ms=%.1f\n", Ms([&] {
                predict::PredictCustomers(histories, predict::TimeUnit::kWeek, bgnbd->params,
                                          spend.ok() ? &spend->params : nullptr, {});
              }));
  predict::PredictionCache cache;
  predict::PredictionQuery query;
  std::printf("model_cold_ms=%.1f\n", Ms([&] { (void)cache.Model(*engine, query); }));
  predict::PredictionSelection selection;
  std::printf("list_first_ms=%.1f\n",
              Ms([&] { (void)predict::ListPredictions(*engine, cache, query, {}, selection); }));
  // The cached page, p50 of many calls (perf: PREDICT_BENCH_PAGES=2000).
  const int pages =
      std::getenv("PREDICT_BENCH_PAGES") ? std::atoi(std::getenv("PREDICT_BENCH_PAGES")) : 51;
  std::vector<double> page_ms;
  for (int i = 0; i < pages; ++i) {
    const auto start = std::chrono::steady_clock::now();
    (void)predict::ListPredictions(*engine, cache, query, {}, selection);
    page_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(page_ms.begin(), page_ms.end());
  std::printf("list_cached_p50_ms=%.3f\n", page_ms[page_ms.size() / 2]);
  return 0;
}

}  // namespace
}  // namespace analytics

int main(int argc, char** argv) { return analytics::Main(argc, argv); }
