#include "demo/demo_generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/civil_day.h"
#include "demo/random.h"
#include "store/order_store.h"

namespace analytics {
namespace {

using ::testing::HasSubstr;

Day Iso(const char* text) { return *ParseIsoDay(text); }

// Seed 42: the pinned fingerprints below were taken with it.
DemoOptions Defaults() {
  DemoOptions options;
  options.seed = 42;
  options.end_day = Iso("2024-06-30");
  return options;
}

std::vector<OrderLine> Collect(const DemoOptions& options) {
  DemoGenerator generator(options);
  std::vector<OrderLine> lines;
  OrderLine line;
  while (generator.Next(line)) lines.push_back(line);
  return lines;
}

// ---------------------------------------------------------------------------
// Pseudo-random numbers

TEST(DemoRandom, SplitMix64MatchesTheReferenceSequence) {
  // First outputs of the reference splitmix64.c seeded with 0.
  demo::SplitMix64 generator(0);
  EXPECT_EQ(generator.Next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(generator.Next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(generator.Next(), 0x06c45d188009454fULL);
}

TEST(DemoRandom, Xoshiro256MatchesTheReferenceSequence) {
  // Reference xoshiro256** with its state filled by splitmix64 from seed 42.
  demo::Xoshiro256 generator(42);
  EXPECT_EQ(generator.Next(), 0x15780b2e0c2ec716ULL);
  EXPECT_EQ(generator.Next(), 0x6104d9866d113a7eULL);
  EXPECT_EQ(generator.Next(), 0xae17533239e499a1ULL);
}

TEST(DemoRandom, BelowStaysInRangeAndCoversIt) {
  demo::Xoshiro256 generator(7);
  std::vector<int> hits(7, 0);
  for (int i = 0; i < 7'000; ++i) {
    const std::uint64_t value = generator.Below(7);
    ASSERT_LT(value, 7u);
    ++hits[value];
  }
  for (const int count : hits) EXPECT_GT(count, 800);  // ~1000 each
}

// ---------------------------------------------------------------------------
// Determinism

TEST(DemoGenerator, SameOptionsGiveIdenticalLines) {
  EXPECT_EQ(Collect(Defaults()), Collect(Defaults()));
}

TEST(DemoGenerator, OutputIsPinnedAcrossBuilds) {
  // Demo data must not change under a given seed (stored demo databases and
  // docs refer to it) nor differ between compilers: fingerprint a few fields.
  const std::vector<OrderLine> lines = Collect(Defaults());
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
  const auto mix = [&hash](std::string_view text) {
    for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    hash = (hash ^ 0xff) * 0x100000001b3ULL;
  };
  for (const OrderLine& line : lines) {
    mix(line.line_key);
    mix(line.order_id);
    mix(FormatIsoDay(line.order_date));
    mix(FormatIsoDay(*line.ship_date));
    mix(line.ship_mode);
    mix(line.customer_id);
    mix(line.customer_name);
    mix(line.segment);
    mix(line.state);
    mix(line.city);
    mix(line.product_id);
    mix(line.product_name);
    mix(std::to_string(line.sales));
    mix(std::to_string(line.quantity));
    mix(std::to_string(line.discount));
    mix(std::to_string(line.profit));
  }
  EXPECT_EQ(hash, 0xe5ecb5591c1c8595ULL) << std::hex << hash;
}

TEST(DemoGenerator, AnotherSeedGivesOtherLinesAndKeys) {
  DemoOptions other = Defaults();
  other.seed = 43;
  const std::vector<OrderLine> a = Collect(Defaults());
  const std::vector<OrderLine> b = Collect(other);
  ASSERT_EQ(a.size(), b.size());
  int same_sales = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_NE(a[i].line_key, b[i].line_key);
    EXPECT_NE(a[i].order_id, b[i].order_id);
    if (a[i].sales == b[i].sales) ++same_sales;
  }
  EXPECT_LT(same_sales, 10);
}

TEST(DemoGenerator, MovingTheEndDayShiftsEveryDateAndNothingElse) {
  DemoOptions later = Defaults();
  later.end_day += 100;
  const std::vector<OrderLine> a = Collect(Defaults());
  const std::vector<OrderLine> b = Collect(later);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    OrderLine shifted = a[i];
    shifted.order_date += 100;
    *shifted.ship_date += 100;
    ASSERT_EQ(shifted, b[i]) << i;
  }
}

// ---------------------------------------------------------------------------
// Shape

TEST(DemoGenerator, StreamsExactlyLineCountLines) {
  struct Case {
    std::int64_t lines;
    std::int64_t customers;
    std::int32_t span;
  };
  for (const Case c : {Case{1, 1, 1}, Case{2, 2, 365}, Case{7, 7, 30}, Case{10, 1, 1},
                       Case{1500, 100, 365}, Case{3333, 3000, 10}, Case{20'000, 2'000, 730}}) {
    DemoOptions options = Defaults();
    options.line_count = c.lines;
    options.customer_count = c.customers;
    options.span_days = c.span;
    DemoGenerator generator(options);
    OrderLine line;
    std::int64_t count = 0;
    std::set<std::string> customers;
    while (generator.Next(line)) {
      ++count;
      customers.insert(line.customer_id);
      ASSERT_GE(line.order_date, options.end_day - c.span + 1);
      ASSERT_LE(line.order_date, options.end_day);
    }
    EXPECT_EQ(count, c.lines) << c.lines << "/" << c.customers;
    // Every customer gets at least one order.
    EXPECT_EQ(static_cast<std::int64_t>(customers.size()), c.customers) << c.lines;
    EXPECT_FALSE(generator.Next(line)) << "the stream stays ended";
  }
}

TEST(DemoGenerator, EveryFieldIsWithinItsContract) {
  const DemoOptions options = Defaults();
  const std::vector<OrderLine> lines = Collect(options);
  const std::map<std::string, std::set<std::string>> sub_categories = {
      {"Furniture", {"Chairs", "Tables", "Bookcases", "Furnishings"}},
      {"Office Supplies",
       {"Paper", "Binders", "Storage", "Art", "Appliances", "Labels", "Envelopes", "Fasteners",
        "Supplies"}},
      {"Technology", {"Phones", "Accessories", "Machines", "Copiers"}},
  };
  const std::map<std::string, std::string> category_codes = {
      {"Furniture", "FUR-"}, {"Office Supplies", "OFF-"}, {"Technology", "TEC-"}};
  const std::set<std::string> ship_modes = {"Standard Class", "Second Class", "First Class",
                                            "Same Day"};
  const std::set<std::string> segments = {"Consumer", "Corporate", "Home Office"};

  std::set<std::string> regions, categories, seen_segments, seen_modes, seen_subs, states;
  std::set<Micros> discounts;
  Day first = options.end_day, last = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const OrderLine& line = lines[i];
    SCOPED_TRACE(line.line_key);
    EXPECT_EQ(line.line_key, "demo-42-" + std::to_string(i + 1));
    EXPECT_THAT(line.order_id, ::testing::StartsWith("DEMO-42-"));
    // Sales 20.00..1,500.00 in whole cents.
    EXPECT_GE(line.sales, 20 * kMicrosPerUnit);
    EXPECT_LE(line.sales, 1'500 * kMicrosPerUnit);
    EXPECT_EQ(line.sales % 10'000, 0);
    EXPECT_EQ(line.profit % 10'000, 0);
    // Margins, compared exactly in integers: 10 * profit against sales.
    if (line.category == "Furniture") {
      EXPECT_GE(10 * line.profit, -line.sales);
      EXPECT_LE(10 * line.profit, 3 * line.sales);
    } else {
      EXPECT_GE(10 * line.profit, line.sales);
      EXPECT_LE(10 * line.profit, 5 * line.sales);
    }
    EXPECT_GE(line.order_date, options.end_day - 364);
    EXPECT_LE(line.order_date, options.end_day);
    ASSERT_TRUE(line.ship_date.has_value());
    EXPECT_GE(*line.ship_date, line.order_date);
    EXPECT_LE(*line.ship_date, line.order_date + 7);
    if (line.ship_mode == "Same Day") {
      EXPECT_EQ(*line.ship_date, line.order_date);
    }
    ASSERT_TRUE(sub_categories.contains(line.category)) << line.category;
    EXPECT_TRUE(sub_categories.at(line.category).contains(line.sub_category))
        << line.category << " / " << line.sub_category;
    EXPECT_THAT(line.product_id, ::testing::StartsWith(category_codes.at(line.category)));
    EXPECT_FALSE(line.product_name.empty());
    EXPECT_GE(line.quantity, 1);
    EXPECT_LE(line.quantity, 14);
    EXPECT_GE(line.discount, 0);
    EXPECT_LE(line.discount, kMicrosPerUnit / 2);
    EXPECT_EQ(line.discount % (kMicrosPerUnit / 10), 0);
    EXPECT_TRUE(ship_modes.contains(line.ship_mode)) << line.ship_mode;
    EXPECT_TRUE(segments.contains(line.segment)) << line.segment;
    EXPECT_EQ(line.country, "United States");
    EXPECT_FALSE(line.state.empty());
    EXPECT_FALSE(line.city.empty());
    EXPECT_EQ(line.postal_code.size(), 5u);
    regions.insert(line.region);
    categories.insert(line.category);
    seen_segments.insert(line.segment);
    seen_modes.insert(line.ship_mode);
    seen_subs.insert(line.sub_category);
    states.insert(line.state);
    discounts.insert(line.discount);
    first = std::min(first, line.order_date);
    last = std::max(last, line.order_date);
  }
  // Every dimension is populated, and regions are exactly the original four.
  EXPECT_EQ(regions, (std::set<std::string>{"North", "South", "East", "West"}));
  EXPECT_EQ(categories.size(), 3u);
  EXPECT_EQ(seen_segments, segments);
  EXPECT_EQ(seen_modes, ship_modes);
  EXPECT_EQ(seen_subs.size(), 17u);
  EXPECT_GE(states.size(), 20u);
  EXPECT_GE(discounts.size(), 4u);
  // Dates cover the span, not a corner of it.
  EXPECT_LE(first, options.end_day - 350);
  EXPECT_GE(last, options.end_day - 14);
}

TEST(DemoGenerator, OrdersHaveUpToFourLinesSharingTheOrderFields) {
  const std::vector<OrderLine> lines = Collect(Defaults());
  std::map<std::string, std::vector<const OrderLine*>> orders;
  std::string previous;
  std::set<std::string> finished;
  for (const OrderLine& line : lines) {
    // An order's lines are consecutive in the stream.
    if (line.order_id != previous) {
      EXPECT_TRUE(finished.insert(line.order_id).second) << line.order_id;
      previous = line.order_id;
    }
    orders[line.order_id].push_back(&line);
  }
  int multi_line = 0;
  for (const auto& [id, order_lines] : orders) {
    EXPECT_LE(order_lines.size(), 4u) << id;
    if (order_lines.size() > 1) ++multi_line;
    for (const OrderLine* line : order_lines) {
      EXPECT_EQ(line->order_date, order_lines[0]->order_date) << id;
      EXPECT_EQ(line->ship_date, order_lines[0]->ship_date) << id;
      EXPECT_EQ(line->ship_mode, order_lines[0]->ship_mode) << id;
      EXPECT_EQ(line->customer_id, order_lines[0]->customer_id) << id;
    }
  }
  EXPECT_GT(multi_line, 100);
  EXPECT_LT(orders.size(), lines.size());
}

TEST(DemoGenerator, CustomersHaveAStableHomeAndSkewedActivity) {
  const DemoOptions options = Defaults();
  const std::vector<OrderLine> lines = Collect(options);
  struct Home {
    std::string name, segment, region, state, city, postal_code;
    bool operator==(const Home&) const = default;
  };
  std::map<std::string, Home> homes;
  std::map<std::string, std::int64_t> line_counts;
  for (const OrderLine& line : lines) {
    const Home home{line.customer_name, line.segment, line.region,
                    line.state,         line.city,    line.postal_code};
    const auto [it, inserted] = homes.emplace(line.customer_id, home);
    if (!inserted) {
      EXPECT_EQ(it->second, home) << line.customer_id;
    }
    ++line_counts[line.customer_id];
  }
  ASSERT_EQ(static_cast<std::int64_t>(homes.size()), options.customer_count);
  for (const auto& [id, home] : homes) {
    ASSERT_EQ(id.size(), 6u) << id;
    ASSERT_EQ(id[0], 'C') << id;
    const int number = std::stoi(id.substr(1));
    EXPECT_GE(number, 1);
    EXPECT_LE(number, options.customer_count);
  }
  // Realistic names, not all the same.
  std::set<std::string> names;
  for (const auto& [id, home] : homes) names.insert(home.name);
  EXPECT_GT(names.size(), 80u);

  std::vector<std::int64_t> counts;
  for (const auto& [id, count] : line_counts) counts.push_back(count);
  std::sort(counts.rbegin(), counts.rend());
  std::int64_t top_fifth = 0;
  for (std::size_t i = 0; i < counts.size() / 5; ++i) top_fifth += counts[i];
  // Uniform activity would give ~20 %; Pareto-like gives far more.
  EXPECT_GT(top_fifth * 100, 40 * options.line_count) << top_fifth;
}

TEST(DemoGenerator, CustomersAreTheSamePeopleUnderEverySeed) {
  DemoOptions other = Defaults();
  other.seed = 7;
  other.customer_count = 50;
  std::map<std::string, std::string> homes;
  for (const OrderLine& line : Collect(Defaults())) {
    homes[line.customer_id] = line.customer_name + "|" + line.state + "|" + line.segment;
  }
  int compared = 0;
  for (const OrderLine& line : Collect(other)) {
    ASSERT_TRUE(homes.contains(line.customer_id)) << line.customer_id;
    EXPECT_EQ(homes[line.customer_id], line.customer_name + "|" + line.state + "|" + line.segment);
    ++compared;
  }
  EXPECT_EQ(compared, 1500);
}

// Contract scores: 1 + floor(5 * W / N), W the customers strictly worse.
std::vector<int> Scores(const std::vector<std::int64_t>& values, bool higher_is_better) {
  std::vector<std::int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> scores;
  const auto n = static_cast<std::int64_t>(values.size());
  for (const std::int64_t value : values) {
    const std::int64_t worse =
        higher_is_better ? std::lower_bound(sorted.begin(), sorted.end(), value) - sorted.begin()
                         : sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), value);
    scores.push_back(static_cast<int>(1 + 5 * worse / n));
  }
  return scores;
}

TEST(DemoGenerator, DefaultDataPopulatesEveryRfmTierAndKeySegments) {
  for (const std::uint64_t seed : {42ULL, 1ULL, 2024ULL}) {
    SCOPED_TRACE(seed);
    DemoOptions options = Defaults();
    options.seed = seed;
    struct Customer {
      std::set<std::string> orders;
      Micros monetary = 0;
      Day last_order = 0;
    };
    std::map<std::string, Customer> customers;
    for (const OrderLine& line : Collect(options)) {
      Customer& customer = customers[line.customer_id];
      customer.orders.insert(line.order_id);
      customer.monetary += line.sales;
      customer.last_order = std::max(customer.last_order, line.order_date);
    }
    int gold = 0, silver = 0, bronze = 0;
    int recent_frequent = 0, frequent_not_recent = 0, one_order = 0;
    std::vector<std::int64_t> recency, frequency, monetary;
    for (const auto& [id, customer] : customers) {
      const auto orders = static_cast<std::int64_t>(customer.orders.size());
      const std::int64_t days_since = options.end_day - customer.last_order;
      if (orders >= 5 && customer.monetary > 2'000 * kMicrosPerUnit) {
        ++gold;
      } else if (orders >= 2) {
        ++silver;
      } else {
        ++bronze;
      }
      if (orders >= 5 && days_since <= 30) ++recent_frequent;
      if (orders >= 5 && days_since > 180) ++frequent_not_recent;
      if (orders == 1) ++one_order;
      recency.push_back(days_since);
      frequency.push_back(orders);
      monetary.push_back(customer.monetary);
    }
    EXPECT_GT(gold, 0);
    EXPECT_GT(silver, 0);
    EXPECT_GT(bronze, 0);
    EXPECT_GT(recent_frequent, 0);
    EXPECT_GT(frequent_not_recent, 0);
    EXPECT_GT(one_order, 0);

    // The score patterns of the named segments that need unusual customers.
    const std::vector<int> r = Scores(recency, false);
    const std::vector<int> f = Scores(frequency, true);
    const std::vector<int> m = Scores(monetary, true);
    int champions = 0, new_customers = 0, at_risk = 0, cant_lose = 0, lost = 0;
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (r[i] >= 4 && f[i] >= 4 && m[i] >= 4) ++champions;
      if (r[i] >= 4 && f[i] == 1 && m[i] == 1) ++new_customers;
      if (r[i] <= 2 && f[i] >= 2 && m[i] >= 2) ++at_risk;
      if (r[i] == 1 && f[i] >= 4 && m[i] >= 4) ++cant_lose;
      if (r[i] <= 2 && f[i] <= 2 && m[i] <= 2) ++lost;
    }
    EXPECT_GT(champions, 0);
    EXPECT_GT(new_customers, 0);
    EXPECT_GT(at_risk, 0);
    EXPECT_GT(cant_lose, 0);
    EXPECT_GT(lost, 0);
  }
}

TEST(DemoGenerator, LargeStreamsKeepEveryCustomer) {
  DemoOptions options = Defaults();
  options.line_count = 200'000;
  options.customer_count = 20'000;
  DemoGenerator generator(options);
  OrderLine line;
  std::int64_t count = 0;
  std::vector<bool> seen(20'001, false);
  while (generator.Next(line)) {
    ++count;
    seen[static_cast<std::size_t>(std::stoi(line.customer_id.substr(1)))] = true;
  }
  EXPECT_EQ(count, options.line_count);
  EXPECT_EQ(std::count(seen.begin() + 1, seen.end(), true), 20'000);
}

// ---------------------------------------------------------------------------
// Validation

TEST(DemoOptionsValidation, AcceptsTheDefaultsAndTheBoundaries) {
  EXPECT_TRUE(ValidateDemoOptions(Defaults()).ok());
  DemoOptions options = Defaults();
  options.line_count = kMaxDemoLines;
  options.customer_count = kMaxDemoLines;
  EXPECT_TRUE(ValidateDemoOptions(options).ok());
  options = Defaults();
  options.end_day = Iso("2999-12-31");
  options.span_days = kMaxDemoSpanDays;
  EXPECT_TRUE(ValidateDemoOptions(options).ok());
  options = Defaults();
  options.end_day = Iso("1900-01-01");
  options.span_days = 1;
  EXPECT_TRUE(ValidateDemoOptions(options).ok());
  options.end_day = Iso("1900-12-31");
  options.span_days = 365;  // starts on 1900-01-01 exactly
  EXPECT_TRUE(ValidateDemoOptions(options).ok());
}

TEST(DemoOptionsValidation, ErrorsNameTheField) {
  struct Case {
    const char* field;
    DemoOptions options;
  };
  std::vector<Case> cases;
  const auto with = [](auto change) {
    DemoOptions options = Defaults();
    change(options);
    return options;
  };
  cases.push_back({"line_count", with([](DemoOptions& o) { o.line_count = 0; })});
  cases.push_back({"line_count", with([](DemoOptions& o) { o.line_count = -5; })});
  cases.push_back({"line_count", with([](DemoOptions& o) { o.line_count = kMaxDemoLines + 1; })});
  cases.push_back({"customer_count", with([](DemoOptions& o) { o.customer_count = 0; })});
  cases.push_back({"customer_count", with([](DemoOptions& o) { o.customer_count = 1501; })});
  cases.push_back({"span_days", with([](DemoOptions& o) { o.span_days = 0; })});
  cases.push_back({"span_days", with([](DemoOptions& o) { o.span_days = kMaxDemoSpanDays + 1; })});
  cases.push_back({"end_day", with([](DemoOptions& o) { o.end_day = Iso("2999-12-31") + 1; })});
  cases.push_back({"end_day", with([](DemoOptions& o) { o.end_day = Iso("1900-01-01") - 1; })});
  cases.push_back({"end_day", with([](DemoOptions& o) { o.end_day = INT32_MIN; })});
  cases.push_back({"span_days", with([](DemoOptions& o) {
                     o.end_day = Iso("1900-12-31");
                     o.span_days = 366;
                   })});
  for (const Case& c : cases) {
    const absl::Status status = ValidateDemoOptions(c.options);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.field)) << status;
    // Invalid options never produce lines, and say why to the store.
    DemoGenerator generator(c.options);
    OrderLine line;
    EXPECT_FALSE(generator.Next(line)) << c.field;
    EXPECT_EQ(generator.status(), status) << c.field;
  }
}

// ---------------------------------------------------------------------------
// Loading

TEST(DemoGenerator, LoadsIntoTheStoreIdempotentlyPerSeed) {
  absl::StatusOr<std::unique_ptr<OrderStore>> store = OrderStore::Open(":memory:");
  ASSERT_TRUE(store.ok()) << store.status();
  const DemoOptions options = Defaults();
  {
    DemoGenerator generator(options);
    absl::StatusOr<WriteResult> result = (*store)->Upsert(generator);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->inserted, 1500);
    EXPECT_EQ(result->updated, 0);
  }
  EXPECT_EQ(*(*store)->CountLines(), 1500);
  {
    DemoGenerator again(options);
    absl::StatusOr<WriteResult> result = (*store)->Upsert(again);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->inserted, 0);
    EXPECT_EQ(result->updated, 1500);
  }
  EXPECT_EQ(*(*store)->CountLines(), 1500);
  {
    DemoOptions other = options;
    other.seed = 7;
    other.line_count = 500;
    other.customer_count = 20;
    DemoGenerator appended(other);
    absl::StatusOr<WriteResult> result = (*store)->Upsert(appended);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->inserted, 500);
  }
  EXPECT_EQ(*(*store)->CountLines(), 2000);
  {
    DemoGenerator replacing(options);
    absl::StatusOr<WriteResult> result = (*store)->Upsert(replacing, /*replace=*/true);
    ASSERT_TRUE(result.ok()) << result.status();
  }
  EXPECT_EQ(*(*store)->CountLines(), 1500);
}

}  // namespace
}  // namespace analytics
