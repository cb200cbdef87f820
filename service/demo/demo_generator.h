// Deterministic synthetic order lines for demos, tests and benchmarks.
//
// DemoGenerator streams `line_count` order lines that look like a small US
// office-supplies retailer: the original dashboard's shape (regions North /
// South / East / West, three categories, sales 20–1,500, category margins,
// dates over the span ending on `end_day`) plus everything the other RPCs
// need to show something real (sub-categories, products, segments, states,
// ship modes, quantities, discounts, multi-line orders) and a skewed customer
// activity with per-customer active windows, so every RFM tier and segment is
// populated. The output depends only on the options: the same options give
// byte-identical lines on any compiler, and changing only `end_day` shifts
// every date by the same amount. Line keys are "demo-<seed>-<n>", so loading
// the same seed twice upserts the same lines while another seed adds new ones.
// Customers ("C00001", ...) keep the same name, home and segment across seeds.
//
// The generator is a stream with constant memory: customer attributes are
// derived by hashing the customer's number, never stored.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/civil_day.h"
#include "common/order_line.h"
#include "demo/random.h"

namespace analytics {

// The seed of every default demo load: --seed-demo-if-empty, SeedDemoData
// with the seed unset (0 on the wire) and `analytics-cli seed` without
// --seed. One value, so a demo loaded at start-up and a default seed later
// upsert the same lines instead of doubling them.
inline constexpr std::uint64_t kDefaultDemoSeed = 0;

struct DemoOptions {
  std::uint64_t seed = kDefaultDemoSeed;
  std::int64_t line_count = 1500;
  std::int64_t customer_count = 100;
  Day end_day = 0;               // last day of the span (the caller defaults it to today)
  std::int32_t span_days = 365;  // dates over the span_days days ending on end_day
};

inline constexpr std::int64_t kMaxDemoLines = 20'000'000;
inline constexpr std::int32_t kMaxDemoSpanDays = 36'600;

// InvalidArgument naming the offending field: line_count 1..20,000,000,
// customer_count 1..line_count, span_days 1..36,600, and both end_day and the
// span's first day within years 1900..2999.
absl::Status ValidateDemoOptions(const DemoOptions& options);

class DemoGenerator : public LineSource {
 public:
  // Options that fail ValidateDemoOptions give an empty stream.
  explicit DemoGenerator(DemoOptions options);

  // Produces exactly options.line_count lines, then returns false.
  bool Next(OrderLine& line) override;
  // ValidateDemoOptions' error when the options were invalid (the stream
  // is then empty), else OK.
  absl::Status status() const override { return options_status_; }

 private:
  // Draws the next order's customer, date, ship mode and number of lines.
  void StartOrder();
  std::int64_t DrawCustomer(std::int64_t order_index);
  Day DrawOrderDay(std::int64_t window_first, std::int64_t window_last);
  void FillLine(OrderLine& line);

  DemoOptions options_;
  absl::Status options_status_;
  bool valid_ = false;
  demo::Xoshiro256 rng_;
  Day first_day_ = 0;
  Day last_valid_day_ = 0;  // 2999-12-31: ship dates never leave the calendar range
  // Customers in activity rank order are a seeded affine permutation of the
  // customer numbers: rank r is customer (r * stride + offset) mod count.
  std::int64_t rank_stride_ = 1;
  std::int64_t rank_offset_ = 0;
  // Customers ranked at or beyond this buy exactly once (their guaranteed
  // first order); the others share the remaining orders by a skewed law.
  std::int64_t repeat_buyers_ = 1;
  std::string key_prefix_;    // "demo-<seed>-"
  std::string order_prefix_;  // "DEMO-<seed>-"

  std::int64_t lines_emitted_ = 0;
  std::int64_t orders_started_ = 0;

  // The order being emitted: its lines share all of this.
  std::int64_t lines_left_in_order_ = 0;
  std::string order_id_;
  Day order_day_ = 0;
  Day ship_day_ = 0;
  int ship_mode_ = 0;
  std::string customer_id_;
  std::string customer_name_;
  int segment_ = 0;
  int region_ = 0;
  int place_ = 0;
};

}  // namespace analytics
