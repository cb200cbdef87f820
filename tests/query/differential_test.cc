// Differential test: the columnar engine must answer exactly as the SQL
// engine (the reference) on random data and random filters — every
// QueryEngine primitive, and every report built from them (KPIs, breakdowns,
// trends, scores, tiers, segments, summaries, customer pages).
//
// Each seed builds a store, attaches both engines, and runs a few writes
// (new lines, upserts replacing lines by key, duplicate keys within a write,
// sometimes a replace-all), comparing after each. The data is drawn to hit
// the awkward cases: ties on every RFM value, several lines of one customer
// on one day (the latest-line rule), keys whose text order differs from
// their numeric order, non-ASCII text, negative profit and sales, orders
// shared by several customers or spread over several days, one-customer and
// empty data sets, lines after the as-of day, and filters naming values that
// do not exist.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "query/columnar/columnar_engine.h"
#include "query/columnar/rank_scoring.h"
#include "query/columnar/snapshot.h"
#include "query/fallback_engine.h"
#include "query/sql_query_engine.h"
#include "reports/breakdown_report.h"
#include "reports/customer_report.h"
#include "reports/kpi_report.h"
#include "reports/trend_report.h"
#include "store/order_store.h"
#include "store/pg_store.h"
#include "support/postgres.h"
#include "support/store_testing.h"

namespace analytics {
namespace {

using Rng = std::mt19937_64;

constexpr Day kBaseDay = 19'700;  // 2023-12-09: spans cross month, quarter and year ends

const std::vector<std::string> kRegions = {"East", "West", "North", "South", ""};
const std::vector<std::string> kCategories = {"Furniture", "Office Supplies", "Technology"};
const std::vector<std::string> kSubCategories = {"Chairs", "Paper", "Phones", "Binders", "Tables"};
const std::vector<std::string> kSegments = {"Consumer", "Corporate", "Home Office"};
const std::vector<std::string> kStates = {"Texas", "Ohio", "Québec", "Utah", "Iowa", "Maine"};
const std::vector<std::string> kShipModes = {"Standard Class", "Same Day", "First Class"};
const std::vector<std::string> kNames = {"Ann", "Bob", "Cy", "Dee", "Émile", "Zoë"};

std::int64_t Uniform(Rng& rng, std::int64_t low, std::int64_t high) {
  return std::uniform_int_distribution<std::int64_t>(low, high)(rng);
}

bool Chance(Rng& rng, int percent) { return Uniform(rng, 0, 99) < percent; }

template <typename T>
const T& Pick(Rng& rng, const std::vector<T>& values) {
  return values[static_cast<std::size_t>(
      Uniform(rng, 0, static_cast<std::int64_t>(values.size()) - 1))];
}

// The shape of one data set.
struct Shape {
  int customers = 1;
  int orders = 1;
  int span_days = 1;
  int key_space = 1;
  bool coarse_amounts = false;  // few distinct amounts: many ties
};

Shape RandomShape(Rng& rng) {
  Shape shape;
  shape.customers = Chance(rng, 15) ? 1 : static_cast<int>(Uniform(rng, 2, 40));
  shape.orders = static_cast<int>(Uniform(rng, 1, 120));
  shape.span_days = static_cast<int>(Uniform(rng, 1, Chance(rng, 50) ? 20 : 800));
  shape.key_space = static_cast<int>(Uniform(rng, 5, 400));
  shape.coarse_amounts = Chance(rng, 50);
  return shape;
}

Micros RandomAmount(Rng& rng, const Shape& shape, bool may_be_negative) {
  if (shape.coarse_amounts) {
    static const std::vector<Micros> kCoarse = {0, 1'000'000, 2'500'000, 10'000'000, 1};
    const Micros value = Pick(rng, kCoarse);
    return may_be_negative && Chance(rng, 30) ? -value : value;
  }
  const Micros value = Uniform(rng, 0, 5'000'000'000);
  return may_be_negative && Chance(rng, 40) ? -value : value;
}

// Lines of one order: mostly one customer and one day, sometimes not.
std::vector<OrderLine> RandomOrder(Rng& rng, const Shape& shape) {
  const std::string order = absl::StrCat("O", Uniform(rng, 0, shape.orders - 1));
  const std::string customer = absl::StrCat("C", Uniform(rng, 0, shape.customers - 1));
  const Day day = kBaseDay + static_cast<Day>(Uniform(rng, 0, shape.span_days - 1));
  const int lines = static_cast<int>(Uniform(rng, 1, 4));
  std::vector<OrderLine> out;
  for (int i = 0; i < lines; ++i) {
    OrderLine line;
    // No zero padding: "L10" sorts before "L9", as SQLite compares text.
    line.line_key = Chance(rng, 5) ? absl::StrCat("Lé", Uniform(rng, 0, 9))
                                   : absl::StrCat("L", Uniform(rng, 0, shape.key_space - 1));
    line.order_id = order;
    line.customer_id =
        Chance(rng, 5) ? absl::StrCat("C", Uniform(rng, 0, shape.customers - 1)) : customer;
    line.order_date =
        Chance(rng, 5) ? kBaseDay + static_cast<Day>(Uniform(rng, 0, shape.span_days - 1)) : day;
    line.customer_name = Pick(rng, kNames);
    line.segment = Pick(rng, kSegments);
    line.region = Pick(rng, kRegions);
    line.state = Pick(rng, kStates);
    line.category = Pick(rng, kCategories);
    line.sub_category = Pick(rng, kSubCategories);
    line.ship_mode = Pick(rng, kShipModes);
    line.sales = RandomAmount(rng, shape, Chance(rng, 5));
    line.profit = RandomAmount(rng, shape, true);
    line.quantity = Uniform(rng, 0, 6);
    out.push_back(std::move(line));
  }
  return out;
}

class VectorSource final : public LineSource {
 public:
  explicit VectorSource(std::vector<OrderLine> lines) : lines_(std::move(lines)) {}
  bool Next(OrderLine& line) override {
    if (next_ >= lines_.size()) return false;
    line = lines_[next_++];
    return true;
  }

 private:
  std::vector<OrderLine> lines_;
  std::size_t next_ = 0;
};

std::vector<std::string> RandomSubset(Rng& rng, const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& value : values) {
    if (Chance(rng, 40)) out.push_back(value);
  }
  if (Chance(rng, 10)) out.push_back("Nowhere");
  return out;
}

Filter RandomFilter(Rng& rng, const Shape& shape) {
  Filter filter;
  const auto day = [&] {
    return kBaseDay + static_cast<Day>(Uniform(rng, -5, shape.span_days + 5));
  };
  if (Chance(rng, 40)) filter.start = day();
  if (Chance(rng, 40)) filter.end = day();
  if (filter.start && filter.end && *filter.start > *filter.end && Chance(rng, 80)) {
    std::swap(*filter.start, *filter.end);
  }
  if (Chance(rng, 30)) filter.regions = RandomSubset(rng, kRegions);
  if (Chance(rng, 20)) filter.categories = RandomSubset(rng, kCategories);
  if (Chance(rng, 15)) filter.sub_categories = RandomSubset(rng, kSubCategories);
  if (Chance(rng, 15)) filter.segments = RandomSubset(rng, kSegments);
  if (Chance(rng, 15)) filter.states = RandomSubset(rng, kStates);
  if (Chance(rng, 10)) {
    for (int i = 0; i < shape.customers; ++i) {
      if (Chance(rng, 30)) filter.customer_ids.push_back(absl::StrCat("C", i));
    }
    if (filter.customer_ids.empty()) filter.customer_ids.push_back("C0");
  }
  return filter;
}

template <typename T>
T Value(absl::StatusOr<T> result) {
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : T{};
}

void ExpectSameGroups(std::vector<GroupMeasures> sql, std::vector<GroupMeasures> fast) {
  const auto by_key = [](const GroupMeasures& a, const GroupMeasures& b) { return a.key < b.key; };
  std::sort(sql.begin(), sql.end(), by_key);
  std::sort(fast.begin(), fast.end(), by_key);
  ASSERT_EQ(sql.size(), fast.size());
  for (std::size_t i = 0; i < sql.size(); ++i) {
    EXPECT_EQ(sql[i].key, fast[i].key);
    EXPECT_EQ(sql[i].label, fast[i].label) << sql[i].key;
    EXPECT_EQ(sql[i].measures, fast[i].measures) << sql[i].key;
  }
}

void ExpectSameSpan(const std::optional<DateSpan>& a, const std::optional<DateSpan>& b) {
  ASSERT_EQ(a.has_value(), b.has_value());
  if (a) {
    EXPECT_EQ(a->first, b->first);
    EXPECT_EQ(a->last, b->last);
  }
}

void ExpectSameTrend(const std::vector<TrendPoint>& a, const std::vector<TrendPoint>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].bucket_start, b[i].bucket_start);
    EXPECT_EQ(a[i].revenue, b[i].revenue);
    EXPECT_EQ(a[i].profit, b[i].profit);
    EXPECT_EQ(a[i].orders, b[i].orders);
  }
}

void ExpectSameReports(QueryEngine& sql, QueryEngine& fast, const Filter& filter, Rng& rng) {
  {
    const KpiReport a = Value(BuildKpiReport(sql, filter));
    const KpiReport b = Value(BuildKpiReport(fast, filter));
    ExpectSameSpan(a.period, b.period);
    ExpectSameSpan(a.previous_period, b.previous_period);
    EXPECT_EQ(a.current, b.current);
    EXPECT_EQ(a.previous, b.previous);
  }
  {
    BreakdownOptions options;
    options.dimension = static_cast<Dimension>(Uniform(rng, 0, 6));
    options.order_by = static_cast<Measure>(Uniform(rng, 0, 6));
    options.ascending = Chance(rng, 50);
    options.limit = Uniform(rng, 0, 3);
    const BreakdownReport a = Value(BuildBreakdownReport(sql, filter, options));
    const BreakdownReport b = Value(BuildBreakdownReport(fast, filter, options));
    EXPECT_EQ(a.total, b.total);
    EXPECT_EQ(a.total_groups, b.total_groups);
    ASSERT_EQ(a.rows.size(), b.rows.size());
    for (std::size_t i = 0; i < a.rows.size(); ++i) {
      EXPECT_EQ(a.rows[i].group.key, b.rows[i].group.key);
      EXPECT_EQ(a.rows[i].group.label, b.rows[i].group.label);
      EXPECT_EQ(a.rows[i].group.measures, b.rows[i].group.measures);
      EXPECT_EQ(a.rows[i].revenue_share, b.rows[i].revenue_share);
    }
  }
  {
    const auto granularity = static_cast<Granularity>(Uniform(rng, 0, 4));
    const std::vector<TrendBucket> a = Value(BuildTrend(sql, filter, granularity));
    const std::vector<TrendBucket> b = Value(BuildTrend(fast, filter, granularity));
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].start, b[i].start);
      EXPECT_EQ(a[i].end, b[i].end);
      EXPECT_EQ(a[i].label, b[i].label);
      EXPECT_EQ(a[i].revenue, b[i].revenue);
      EXPECT_EQ(a[i].profit, b[i].profit);
      EXPECT_EQ(a[i].orders, b[i].orders);
    }
  }
  {
    RfmQuery query;
    query.filter = filter;
    if (Chance(rng, 50)) query.as_of = kBaseDay + static_cast<Day>(Uniform(rng, -3, 900));
    if (Chance(rng, 30)) {
      query.thresholds.gold_min_frequency = Uniform(rng, 0, 3);
      query.thresholds.gold_min_monetary = Uniform(rng, 0, 5) * 1'000'000;
    }
    const ScoredCustomers a = Value(ScoreAllCustomers(sql, query));
    const ScoredCustomers b = Value(ScoreAllCustomers(fast, query));
    EXPECT_EQ(a.as_of, b.as_of);
    ASSERT_EQ(a.customers.size(), b.customers.size());
    for (std::size_t i = 0; i < a.customers.size(); ++i) {
      EXPECT_EQ(a.customers[i].rfm, b.customers[i].rfm) << a.customers[i].rfm.customer_id;
      EXPECT_EQ(a.customers[i].tier, b.customers[i].tier);
      EXPECT_EQ(a.customers[i].segment, b.customers[i].segment);
    }
    const RfmSummary sa = Summarize(a);
    const RfmSummary sb = Summarize(b);
    EXPECT_EQ(sa.customers, sb.customers);
    EXPECT_EQ(sa.revenue, sb.revenue);
    for (std::size_t i = 0; i < sa.segments.size(); ++i) {
      EXPECT_EQ(sa.segments[i].customers, sb.segments[i].customers);
      EXPECT_EQ(sa.segments[i].revenue, sb.segments[i].revenue);
      EXPECT_EQ(sa.segments[i].average_recency_days, sb.segments[i].average_recency_days);
    }
    for (std::size_t i = 0; i < sa.tiers.size(); ++i) {
      EXPECT_EQ(sa.tiers[i].customers, sb.tiers[i].customers);
      EXPECT_EQ(sa.tiers[i].revenue, sb.tiers[i].revenue);
    }
    CustomerSelection selection;
    if (Chance(rng, 40)) selection.tier = kAllTiers[static_cast<std::size_t>(Uniform(rng, 0, 2))];
    if (Chance(rng, 20)) {
      selection.segment = kAllSegments[static_cast<std::size_t>(Uniform(rng, 0, 10))];
    }
    selection.order.key = static_cast<CustomerSortKey>(Uniform(rng, 0, 6));
    selection.order.descending = Chance(rng, 50);
    selection.offset = Uniform(rng, 0, 5);
    selection.limit = Uniform(rng, 1, 10);
    const CustomerPage pa = SelectCustomers(a, selection);
    const CustomerPage pb = SelectCustomers(b, selection);
    EXPECT_EQ(pa.total_size, pb.total_size);
    EXPECT_EQ(pa.has_more, pb.has_more);
    ASSERT_EQ(pa.customers.size(), pb.customers.size());
    for (std::size_t i = 0; i < pa.customers.size(); ++i) {
      EXPECT_EQ(pa.customers[i].rfm, pb.customers[i].rfm);
    }
  }
}

void ExpectSamePrimitives(QueryEngine& sql, QueryEngine& fast, const Filter& filter, Rng& rng) {
  EXPECT_EQ(Value(sql.Totals(filter)), Value(fast.Totals(filter)));
  for (int d = 0; d <= static_cast<int>(Dimension::kCustomer); ++d) {
    SCOPED_TRACE(absl::StrCat("dimension ", d));
    ExpectSameGroups(Value(sql.Breakdown(filter, static_cast<Dimension>(d))),
                     Value(fast.Breakdown(filter, static_cast<Dimension>(d))));
  }
  for (int g = 0; g <= static_cast<int>(Granularity::kYear); ++g) {
    SCOPED_TRACE(absl::StrCat("granularity ", g));
    ExpectSameTrend(Value(sql.Trend(filter, static_cast<Granularity>(g))),
                    Value(fast.Trend(filter, static_cast<Granularity>(g))));
  }
  ExpectSameSpan(Value(sql.Span(filter)), Value(fast.Span(filter)));
  // Before everything, inside the span (lines after it exist), after it.
  for (const Day as_of : {kBaseDay - 1, kBaseDay + static_cast<Day>(Uniform(rng, 0, 30)),
                          kBaseDay + static_cast<Day>(Uniform(rng, 0, 900)), kBaseDay + 1000}) {
    SCOPED_TRACE(absl::StrCat("as_of ", as_of));
    // The lists own the text their records view: keep them, not copies.
    const CustomerRfmList a_list = Value(sql.ScoreCustomers(filter, as_of));
    const CustomerRfmList b_list = Value(fast.ScoreCustomers(filter, as_of));
    const CustomerRfmRecords& a = *a_list;
    const CustomerRfmRecords& b = *b_list;
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i], b[i]) << a[i].customer_id << " vs " << b[i].customer_id;
    }
    // The second call is answered from the engine's cache: still identical.
    EXPECT_EQ(b, *Value(fast.ScoreCustomers(filter, as_of)));
  }
}

std::vector<OrderLine> RandomWrite(Rng& rng, const Shape& shape, int max_orders) {
  std::vector<OrderLine> lines;
  const auto orders = Uniform(rng, 0, max_orders);
  for (std::int64_t i = 0; i < orders; ++i) {
    for (OrderLine& line : RandomOrder(rng, shape)) lines.push_back(std::move(line));
  }
  return lines;
}

class DifferentialTest : public ::testing::TestWithParam<int> {};

TEST_P(DifferentialTest, ColumnarAnswersExactlyAsSql) {
  Rng rng(static_cast<std::uint64_t>(GetParam()) * 7919 + 17);
  const Shape shape = RandomShape(rng);
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
  // Some seeds load before the engine starts (start-up path), the others
  // only through writes (listener path).
  if (Chance(rng, 50)) {
    VectorSource initial(RandomWrite(rng, shape, 60));
    ASSERT_TRUE(store->Upsert(initial).ok());
  }
  // Odd seeds split every scan in two halves on two threads.
  ColumnarEngineOptions options;
  if (GetParam() % 2 == 1) options.parallel_min_rows = 2;
  absl::StatusOr<std::unique_ptr<ColumnarEngine>> fast = ColumnarEngine::Create(*store, options);
  ASSERT_TRUE(fast.ok()) << fast.status();
  for (int write = 0; write < 4; ++write) {
    SCOPED_TRACE(absl::StrCat("after write ", write));
    for (int f = 0; f < 8; ++f) {
      const Filter filter = f == 0 ? Filter{} : RandomFilter(rng, shape);
      SCOPED_TRACE(absl::StrCat("filter ", f));
      ExpectSamePrimitives(*sql, **fast, filter, rng);
      ExpectSameReports(*sql, **fast, filter, rng);
      if (HasFatalFailure()) return;
    }
    VectorSource next(RandomWrite(rng, shape, write == 0 ? 60 : 25));
    ASSERT_TRUE(store->Upsert(next, /*replace=*/Chance(rng, 15)).ok());
  }
  EXPECT_EQ(*store->CountLines(), (*fast)->LineCount());
}

INSTANTIATE_TEST_SUITE_P(Seeds, DifferentialTest, ::testing::Range(0, 40));

// The same on PostgreSQL: the columnar engine fed from PgStore (its start-up
// snapshot, then the change log through the follower) against SQL on
// PostgreSQL, and that SQL against SQL on SQLite holding the same writes, so
// the two dialects of the reference agree too.
class PgDifferentialTest : public ::testing::TestWithParam<int> {};

TEST_P(PgDifferentialTest, ColumnarFedFromPostgresAnswersExactlyAsSqlOnPostgres) {
  Rng rng(static_cast<std::uint64_t>(GetParam()) * 7919 + 17);
  const Shape shape = RandomShape(rng);
  absl::StatusOr<std::unique_ptr<PgStore>> store =
      PgStore::Open(PgStoreOptions::For(analytics::testing::Postgres::Shared().NewDatabase()));
  ASSERT_TRUE(store.ok()) << store.status();
  std::unique_ptr<SqlQueryEngine> sql = SqlQueryEngine::Create((*store)->MakeSqlBackend());
  std::unique_ptr<OrderStore> lite = *OrderStore::Open(":memory:");
  std::unique_ptr<SqlQueryEngine> lite_sql = *SqlQueryEngine::Create(*lite);
  const auto write = [&](std::vector<OrderLine> lines, bool replace) {
    VectorSource to_pg(lines);
    VectorSource to_lite(std::move(lines));
    const absl::StatusOr<WriteResult> pg_counts = (*store)->Upsert(to_pg, replace);
    ASSERT_TRUE(pg_counts.ok()) << pg_counts.status();
    const WriteResult lite_counts = *lite->Upsert(to_lite, replace);
    EXPECT_EQ(pg_counts->inserted, lite_counts.inserted);
    EXPECT_EQ(pg_counts->updated, lite_counts.updated);
    EXPECT_EQ(pg_counts->reassigned, lite_counts.reassigned);
  };
  if (Chance(rng, 50)) write(RandomWrite(rng, shape, 60), false);
  absl::StatusOr<std::unique_ptr<ColumnarEngine>> fast = ColumnarEngine::Create(**store);
  ASSERT_TRUE(fast.ok()) << fast.status();
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE(absl::StrCat("after write ", round));
    for (int f = 0; f < 6; ++f) {
      const Filter filter = f == 0 ? Filter{} : RandomFilter(rng, shape);
      SCOPED_TRACE(absl::StrCat("filter ", f));
      ExpectSamePrimitives(*sql, **fast, filter, rng);
      ExpectSameReports(*sql, **fast, filter, rng);
      ExpectSamePrimitives(*lite_sql, *sql, filter, rng);
      if (HasFatalFailure()) return;
    }
    write(RandomWrite(rng, shape, round == 0 ? 60 : 25), Chance(rng, 15));
  }
  EXPECT_EQ(*(*store)->CountLines(), (*fast)->LineCount());
}

INSTANTIATE_TEST_SUITE_P(Seeds, PgDifferentialTest, ::testing::Range(0, 8));

// Start-up on a store whose write log was not folded (a SIGKILL right
// after a logged write): the engine loads the rows, then replays the log as
// the upserts it was, and answers exactly as SQL over the folded rows.
TEST(ColumnarEngine, AStartUpReplaysTheWriteLogExactlyAsSql) {
  Rng rng(23);
  const Shape shape{
      .customers = 120, .orders = 900, .span_days = 90, .key_space = 2500, .coarse_amounts = false};
  for (const bool rows_first : {false, true}) {
    SCOPED_TRACE(rows_first ? "rows, then logged lines" : "logged lines only");
    std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
    if (rows_first) {
      VectorSource rows(RandomWrite(rng, shape, 400));
      ASSERT_TRUE(store->Upsert(rows).ok());  // no listener: rows
    }
    ASSERT_TRUE(store
                    ->WithConnectionUnfolded([&](sqlite::Connection& c) -> absl::Status {
                      for (int batch = 0; batch < 3; ++batch) {
                        absl::Status s =
                            testing::AppendLoggedBatch(c, RandomWrite(rng, shape, 300));
                        if (!s.ok()) return s;
                      }
                      return absl::OkStatus();
                    })
                    .ok());
    std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(*store);
    std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
    EXPECT_EQ(fast->LineCount(), *store->CountLines());  // CountLines folds
    for (int f = 0; f < 6; ++f) {
      const Filter filter = f == 0 ? Filter{} : RandomFilter(rng, shape);
      ExpectSamePrimitives(*sql, *fast, filter, rng);
      ExpectSameReports(*sql, *fast, filter, rng);
      if (HasFatalFailure()) return;
    }
  }
}

// Writes of more than 65,536 new rows sort their tie runs and fill the table
// on two threads: a bulk load into an empty table (a replace), then a bulk
// write whose rows all land after the existing ones (days later), each
// answering exactly as SQL. (Interleaving bulk writes: BulkWrites… above.)
TEST(ColumnarEngine, BulkLoadsFilledOnTwoThreadsAnswerExactlyAsSql) {
  Rng rng(31);
  const Shape shape{.customers = 2000,
                    .orders = 60'000,
                    .span_days = 300,
                    .key_space = 200'000,
                    .coarse_amounts = false};
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
  std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(*store);
  for (int write = 0; write < 2; ++write) {
    SCOPED_TRACE(absl::StrCat("write ", write));
    std::vector<OrderLine> lines;
    while (lines.size() < 66'000) {
      for (OrderLine& line : RandomOrder(rng, shape)) {
        if (write == 1) line.order_date += shape.span_days;  // after every row so far
        if (write == 1) line.line_key = absl::StrCat("N", line.line_key);
        lines.push_back(std::move(line));
      }
    }
    VectorSource source(std::move(lines));
    ASSERT_TRUE(store->Upsert(source).ok());
    EXPECT_EQ(*store->CountLines(), fast->LineCount());
    // Questions that read every row and depend on the rows' order (a
    // customer's latest line, distinct orders by runs); the full set of
    // primitives over 200,000 lines would keep the SQL reference busy for
    // minutes, and is covered on smaller writes above.
    EXPECT_EQ(Value(sql->Totals({})), Value(fast->Totals({})));
    for (const Dimension dimension : {Dimension::kRegion, Dimension::kCustomer}) {
      ExpectSameGroups(Value(sql->Breakdown({}, dimension)), Value(fast->Breakdown({}, dimension)));
    }
    const CustomerRfmList a = Value(sql->ScoreCustomers({}, kBaseDay + 1000));
    const CustomerRfmList b = Value(fast->ScoreCustomers({}, kBaseDay + 1000));
    EXPECT_TRUE(*a == *b);
    if (HasFatalFailure()) return;
  }
}

// Writes of more than a batch (4,096 lines) are encoded on a helper thread
// while SQLite writes them: the same answers, keys repeated within the write
// included, and a big write that rolls back leaves the engine untouched.
TEST(ColumnarEngine, BulkWritesAnswerExactlyAsSql) {
  Rng rng(11);
  const Shape shape{.customers = 300,
                    .orders = 4000,
                    .span_days = 200,
                    .key_space = 9000,
                    .coarse_amounts = false};
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
  std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(*store);
  for (int write = 0; write < 3; ++write) {
    SCOPED_TRACE(absl::StrCat("write ", write));
    std::vector<OrderLine> lines;
    while (lines.size() < 12'000) {
      for (OrderLine& line : RandomOrder(rng, shape)) lines.push_back(std::move(line));
    }
    VectorSource source(std::move(lines));
    ASSERT_TRUE(store->Upsert(source, /*replace=*/write == 2).ok());
    EXPECT_EQ(*store->CountLines(), fast->LineCount());
    for (int f = 0; f < 4; ++f) {
      const Filter filter = f == 0 ? Filter{} : RandomFilter(rng, shape);
      ExpectSamePrimitives(*sql, *fast, filter, rng);
      ExpectSameReports(*sql, *fast, filter, rng);
      if (HasFatalFailure()) return;
    }
  }
  // 10,000 good lines, then the source fails: nothing may change.
  const std::int64_t before = fast->LineCount();
  const Measures totals = *fast->Totals({});
  std::vector<OrderLine> lines;
  while (lines.size() < 10'000) {
    for (OrderLine& line : RandomOrder(rng, shape)) lines.push_back(std::move(line));
  }
  class FailsAtTheEnd final : public LineSource {
   public:
    explicit FailsAtTheEnd(std::vector<OrderLine> lines) : lines_(std::move(lines)) {}
    bool Next(OrderLine& line) override {
      if (next_ == lines_.size()) return false;
      line = lines_[next_++];
      return true;
    }
    absl::Status status() const override {
      return next_ == lines_.size() ? absl::DataLossError("broken") : absl::OkStatus();
    }

   private:
    std::vector<OrderLine> lines_;
    std::size_t next_ = 0;
  } failing(std::move(lines));
  EXPECT_FALSE(store->Upsert(failing).ok());
  EXPECT_EQ(fast->LineCount(), before);
  const Measures after = *fast->Totals({});
  EXPECT_EQ(after.revenue, totals.revenue);
  EXPECT_EQ(after.orders, totals.orders);
  ExpectSamePrimitives(*sql, *fast, Filter{}, rng);
}

// A write of recent lines merges only the days it touches (the table keeps
// the earlier rows where they are). After each of many small writes, the
// same answers as SQL: keys replaced on old days, orders gaining lines on a
// later day (a compact order turning spread), new orders and customers.
TEST(ColumnarEngine, SmallWritesOfRecentLinesAnswerExactlyAsSql) {
  for (int seed = 0; seed < 6; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Rng rng(100 + static_cast<std::uint64_t>(seed));
    const Shape shape{.customers = 30,
                      .orders = 200,
                      .span_days = 60,
                      .key_space = 600,
                      .coarse_amounts = seed % 2 == 0};
    std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
    VectorSource initial(RandomWrite(rng, shape, 150));
    ASSERT_TRUE(store->Upsert(initial).ok());
    std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
    ColumnarEngineOptions options;
    if (seed % 2 == 1) options.parallel_min_rows = 2;  // scans in two halves
    std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(*store, options);
    for (int write = 0; write < 30; ++write) {
      SCOPED_TRACE(absl::StrCat("write ", write));
      std::vector<OrderLine> lines;
      for (std::int64_t order = Uniform(rng, 1, 3); order > 0; --order) {
        for (OrderLine& line : RandomOrder(rng, shape)) {
          // Mostly the last days, moving on as the writes go; sometimes any.
          if (!Chance(rng, 10)) {
            line.order_date =
                kBaseDay + shape.span_days - 1 + write / 10 - static_cast<Day>(Uniform(rng, 0, 2));
          }
          lines.push_back(std::move(line));
        }
      }
      VectorSource source(std::move(lines));
      ASSERT_TRUE(store->Upsert(source).ok());
      for (int f = 0; f < 2; ++f) {
        const Filter filter = f == 0 ? Filter{} : RandomFilter(rng, shape);
        ExpectSamePrimitives(*sql, *fast, filter, rng);
        ExpectSameReports(*sql, *fast, filter, rng);
        if (HasFatalFailure()) return;
      }
    }
    EXPECT_EQ(*store->CountLines(), fast->LineCount());
  }
}

// The columnar engine keeps the unfiltered RFM accumulators across writes
// and accumulates again only the customers a write touched (replaced lines,
// lines moving between customers, spread orders, new customers). Scoring
// as of one day after each small write must still answer exactly as SQL;
// other questions in between (a filter, another day, a replacing write)
// must not leave it stale.
TEST(ColumnarEngine, RescoringAfterSmallWritesAnswersExactlyAsSql) {
  for (int seed = 0; seed < 8; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Rng rng(500 + static_cast<std::uint64_t>(seed));
    const Shape shape{.customers = seed % 4 == 0 ? 3 : 40,
                      .orders = 120,
                      .span_days = 50,
                      .key_space = 400,
                      .coarse_amounts = seed % 2 == 0};
    std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
    VectorSource initial(RandomWrite(rng, shape, 80));
    ASSERT_TRUE(store->Upsert(initial).ok());
    std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
    ColumnarEngineOptions options;
    if (seed % 2 == 1) options.parallel_min_rows = 2;  // full scans in two halves
    std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(*store, options);
    // After every line, or inside the span (later lines are not scored).
    const Day as_of = seed % 3 == 0 ? kBaseDay + 25 : kBaseDay + 1000;
    const auto expect_same = [&](const Filter& filter, Day day) {
      const CustomerRfmList a = Value(sql->ScoreCustomers(filter, day));
      const CustomerRfmList b = Value(fast->ScoreCustomers(filter, day));
      ASSERT_EQ(a->size(), b->size());
      for (std::size_t i = 0; i < a->size(); ++i) {
        ASSERT_EQ((*a)[i], (*b)[i]) << (*a)[i].customer_id << " vs " << (*b)[i].customer_id;
      }
    };
    expect_same({}, as_of);
    for (int write = 0; write < 40; ++write) {
      SCOPED_TRACE(absl::StrCat("write ", write));
      std::vector<OrderLine> lines = RandomWrite(rng, shape, 3);
      if (Chance(rng, 20) && !lines.empty()) {
        lines.front().customer_id = absl::StrCat("New", write);  // a customer never seen
      }
      VectorSource source(std::move(lines));
      const bool replace = Chance(rng, 5);
      ASSERT_TRUE(store->Upsert(source, replace).ok());
      if (Chance(rng, 20)) expect_same(RandomFilter(rng, shape), as_of);
      if (Chance(rng, 10)) expect_same({}, as_of - 3);
      expect_same({}, as_of);
      if (HasFatalFailure()) return;
    }
  }
}

// Filtered RFM from the per-customer partials (query/columnar/base_scores.h):
// a filter on dimensions only takes a customer's kept accumulator whole when
// every one of its lines passes, skips it when none does, takes its kept
// accumulator of one category value when its passing lines are exactly that
// value's, and scans only the rest. Here most customers keep one region,
// segment and state (as real customers do, so that the shortcut is taken)
// and some do not (so that the scan is taken too); random writes insert
// lines, replace lines by key (moving them to another customer, region or
// day), import in bulk (more lines than the engine tracks one by one: the
// partials are built again), bring new category values (growing, then past
// eight values dropping, the per-category partials) or replace everything.
// After each, dimension-only filters as of the table's last day (what the
// partials are kept for) and as of the filter's own last day (the reports'
// default) answer exactly as SQL: scores, the summary and the Gold list's
// pages.
TEST(ColumnarEngine, FilteredScoresFromPerCustomerPartialsAnswerExactlyAsSql) {
  for (int seed = 0; seed < 6; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Rng rng(900 + static_cast<std::uint64_t>(seed));
    const Shape shape{.customers = seed % 4 == 0 ? 4 : 60,
                      .orders = 200,
                      .span_days = 60,
                      .key_space = 600,
                      .coarse_amounts = seed % 2 == 0};
    // Each customer's home region, segment and state; some customers roam
    // (one in 5: their lines are scanned; in every third seed one in 37, so
    // few that their rows are picked out of the customer column instead).
    const std::size_t roam = seed % 3 == 2 ? 37 : 5;
    const auto settle = [&](std::vector<OrderLine> lines) {
      for (OrderLine& line : lines) {
        const std::size_t c = std::hash<std::string>{}(line.customer_id);
        if (c % roam == 0) continue;  // a roaming customer: random dimensions
        line.region = kRegions[c % kRegions.size()];
        line.segment = kSegments[(c / 7) % kSegments.size()];
        line.state = kStates[(c / 11) % kStates.size()];
      }
      return lines;
    };
    std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
    VectorSource initial(settle(RandomWrite(rng, shape, 300)));
    ASSERT_TRUE(store->Upsert(initial).ok());
    std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
    ColumnarEngineOptions options;
    if (seed % 2 == 1) options.parallel_min_rows = 2;  // full scans in two halves
    std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(*store, options);
    const auto dimension_filter = [&] {
      Filter filter;
      if (Chance(rng, 60)) filter.regions = RandomSubset(rng, kRegions);
      if (Chance(rng, 40)) filter.segments = RandomSubset(rng, kSegments);
      if (Chance(rng, 30)) filter.states = RandomSubset(rng, kStates);
      // One category (the per-category partials serve it) or any subset.
      if (Chance(rng, 30)) {
        filter.categories = {Pick(rng, kCategories)};
      } else if (Chance(rng, 25)) {
        filter.categories = RandomSubset(rng, kCategories);
      }
      if (Chance(rng, 15)) filter.sub_categories = RandomSubset(rng, kSubCategories);
      if (Chance(rng, 10)) filter.start = kBaseDay - 10;  // dates that keep every row
      return filter;
    };
    const auto expect_same = [&](const Filter& filter) {
      const std::optional<DateSpan> span = Value(sql->Span({}));
      if (!span) return;
      const CustomerRfmList a = Value(sql->ScoreCustomers(filter, span->last));
      const CustomerRfmList b = Value(fast->ScoreCustomers(filter, span->last));
      ASSERT_EQ(a->size(), b->size());
      for (std::size_t i = 0; i < a->size(); ++i) {
        ASSERT_EQ((*a)[i], (*b)[i]) << (*a)[i].customer_id << " vs " << (*b)[i].customer_id;
      }
      ExpectSameReports(*sql, *fast, filter, rng);
    };
    for (int write = 0; write < 20; ++write) {
      SCOPED_TRACE(absl::StrCat("write ", write));
      // Unfiltered first: after a bulk write, the scoring the write made
      // ahead (ColumnarEngine::Apply) answers it.
      expect_same(Filter{});
      if (HasFatalFailure()) return;
      for (int f = 0; f < 4; ++f) {
        expect_same(dimension_filter());
        if (HasFatalFailure()) return;
      }
      const int kind = static_cast<int>(Uniform(rng, 0, 9));
      std::vector<OrderLine> lines;
      if (kind == 0) {
        // A bulk import: more lines than the engine tracks one by one.
        lines = settle(RandomWrite(rng,
                                   {.customers = shape.customers,
                                    .orders = 3000,
                                    .span_days = shape.span_days + 5,
                                    .key_space = 9000,
                                    .coarse_amounts = shape.coarse_amounts},
                                   5000));
      } else {
        lines = RandomWrite(rng, shape, static_cast<int>(Uniform(rng, 1, 4)));
        if (Chance(rng, 70)) lines = settle(std::move(lines));
        if (Chance(rng, 20) && !lines.empty()) lines.front().customer_id = absl::StrCat("N", write);
        // A category never seen: the per-category partials grow a value,
        // and past kMaxSplitValues values are given up.
        if (Chance(rng, 30) && !lines.empty()) lines.back().category = absl::StrCat("K", write);
      }
      VectorSource source(std::move(lines));
      ASSERT_TRUE(store->Upsert(source, /*replace=*/kind == 1 && Chance(rng, 50)).ok());
    }
  }
}

// Unfiltered breakdowns by a dimension of at most 32 values are kept across
// writes (sums moved by the rows written and replaced, the groups of the
// orders and customers they touched looked at again). After each small
// write every dimension and the totals must answer exactly as SQL,
// including when a write takes a dimension past 32 values.
TEST(ColumnarEngine, BreakdownsAfterSmallWritesAnswerExactlyAsSql) {
  for (int seed = 0; seed < 6; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Rng rng(700 + static_cast<std::uint64_t>(seed));
    const Shape shape{.customers = seed % 3 == 0 ? 2 : 30,
                      .orders = 80,
                      .span_days = 40,
                      .key_space = 300,
                      .coarse_amounts = seed % 2 == 0};
    std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
    VectorSource initial(RandomWrite(rng, shape, 60));
    ASSERT_TRUE(store->Upsert(initial).ok());
    std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
    std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(*store);
    for (int write = 0; write < 40; ++write) {
      SCOPED_TRACE(absl::StrCat("write ", write));
      std::vector<OrderLine> lines = RandomWrite(rng, shape, 3);
      if (write == 25 && !lines.empty()) {
        // States past 32 distinct values: that breakdown is scanned again.
        for (int i = 0; i < 40; ++i) {
          OrderLine extra = lines.front();
          extra.line_key = absl::StrCat("many-states-", i);
          extra.state = absl::StrCat("State ", i);
          lines.push_back(std::move(extra));
        }
      }
      VectorSource source(std::move(lines));
      ASSERT_TRUE(store->Upsert(source, /*replace=*/Chance(rng, 4)).ok());
      for (int d = 0; d < 6; ++d) {
        const auto dimension = static_cast<Dimension>(d);
        ASSERT_NE(dimension, Dimension::kCustomer);
        ExpectSameGroups(Value(sql->Breakdown({}, dimension)),
                         Value(fast->Breakdown({}, dimension)));
        EXPECT_EQ(Value(sql->Totals({})), Value(fast->Totals({})));
      }
      if (HasFatalFailure()) return;
    }
  }
}

// A read right after a write of one line must cost what the write changed,
// so the engine moves what it keeps across writes (the unfiltered totals,
// breakdowns and per-customer partials) by the write's rows instead of
// computing them again. Here each write is one line, mostly replacing a
// stored line by key: moving it to another order, customer, day or region,
// taking a customer's or an order's last line away, or bringing a customer
// never seen; now and then several writes land between two reads, or a bulk
// or replacing write drops what is kept. After each, the engine kept up to
// date answers exactly as SQL and as an engine built afresh from the same
// lines (a second store given the same writes): the KPIs, the unfiltered
// totals and breakdowns, and the RFM summary and Gold list.
TEST(ColumnarEngine, ReadsAfterOneLineWritesAnswerAsSqlAndAsARebuiltEngine) {
  for (int seed = 0; seed < 6; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Rng rng(1300 + static_cast<std::uint64_t>(seed));
    const Shape shape{.customers = seed % 3 == 0 ? 3 : 40,
                      .orders = seed % 3 == 0 ? 12 : 150,
                      .span_days = 50,
                      .key_space = 300,
                      .coarse_amounts = seed % 2 == 0};
    std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
    std::unique_ptr<OrderStore> twin = *OrderStore::Open(":memory:");
    const auto write = [&](const std::vector<OrderLine>& lines, bool replace) {
      VectorSource a(lines);
      VectorSource b(lines);
      ASSERT_TRUE(store->Upsert(a, replace).ok());
      ASSERT_TRUE(twin->Upsert(b, replace).ok());
    };
    write(RandomWrite(rng, shape, 100), false);
    if (HasFatalFailure()) return;
    std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
    ColumnarEngineOptions options;
    if (seed % 2 == 1) options.parallel_min_rows = 2;  // full scans in two halves
    std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(*store, options);
    const auto expect_same = [&] {
      std::unique_ptr<ColumnarEngine> rebuilt = *ColumnarEngine::Create(*twin, options);
      const Measures totals = Value(sql->Totals({}));
      EXPECT_EQ(totals, Value(fast->Totals({})));
      EXPECT_EQ(totals, Value(rebuilt->Totals({})));
      const KpiReport kpis = Value(BuildKpiReport(*fast, {}));
      EXPECT_EQ(kpis.current, Value(BuildKpiReport(*sql, {})).current);
      EXPECT_EQ(kpis.current, Value(BuildKpiReport(*rebuilt, {})).current);
      for (const Dimension dimension : {Dimension::kRegion, Dimension::kCategory}) {
        ExpectSameGroups(Value(sql->Breakdown({}, dimension)),
                         Value(fast->Breakdown({}, dimension)));
      }
      RfmQuery query;
      const ScoredCustomers a = Value(ScoreAllCustomers(*sql, query));
      const ScoredCustomers b = Value(ScoreAllCustomers(*fast, query));
      const ScoredCustomers c = Value(ScoreAllCustomers(*rebuilt, query));
      ASSERT_EQ(a.as_of, b.as_of);
      ASSERT_EQ(a.as_of, c.as_of);
      ASSERT_EQ(a.customers.size(), b.customers.size());
      ASSERT_EQ(a.customers.size(), c.customers.size());
      for (std::size_t i = 0; i < a.customers.size(); ++i) {
        ASSERT_EQ(a.customers[i].rfm, b.customers[i].rfm) << a.customers[i].rfm.customer_id;
        ASSERT_EQ(a.customers[i].rfm, c.customers[i].rfm) << a.customers[i].rfm.customer_id;
        ASSERT_EQ(a.customers[i].tier, b.customers[i].tier);
        ASSERT_EQ(a.customers[i].segment, b.customers[i].segment);
      }
      const RfmSummary sa = Summarize(a);
      const RfmSummary sb = Summarize(b);
      EXPECT_EQ(sa.customers, sb.customers);
      EXPECT_EQ(sa.revenue, sb.revenue);
      for (std::size_t t = 0; t < sa.tiers.size(); ++t) {
        EXPECT_EQ(sa.tiers[t].customers, sb.tiers[t].customers);
        EXPECT_EQ(sa.tiers[t].revenue, sb.tiers[t].revenue);
      }
      CustomerSelection gold;
      gold.tier = Tier::kGold;
      gold.limit = 5;
      const CustomerPage pa = SelectCustomers(a, gold);
      const CustomerPage pb = SelectCustomers(b, gold);
      EXPECT_EQ(pa.total_size, pb.total_size);
      ASSERT_EQ(pa.customers.size(), pb.customers.size());
      for (std::size_t i = 0; i < pa.customers.size(); ++i) {
        EXPECT_EQ(pa.customers[i].rfm, pb.customers[i].rfm);
      }
    };
    // The lines stored so far, by key: what a one-line write replaces.
    std::vector<OrderLine> stored;
    const auto remember = [&](const std::vector<OrderLine>& lines) {
      for (const OrderLine& line : lines) {
        const auto same = std::find_if(stored.begin(), stored.end(), [&](const OrderLine& s) {
          return s.line_key == line.line_key;
        });
        if (same == stored.end()) {
          stored.push_back(line);
        } else {
          *same = line;
        }
      }
    };
    expect_same();
    if (HasFatalFailure()) return;
    for (int step = 0; step < 60; ++step) {
      SCOPED_TRACE(absl::StrCat("step ", step));
      const int kind = static_cast<int>(Uniform(rng, 0, 39));
      std::vector<OrderLine> lines;
      bool replace = false;
      if (kind == 0) {
        lines = RandomWrite(rng, shape, 40);  // many lines at once
        replace = Chance(rng, 50);
      } else if (kind == 1) {
        // More lines than the engine tracks one by one: what it keeps is
        // computed again.
        lines = RandomWrite(rng,
                            {.customers = shape.customers,
                             .orders = 2000,
                             .span_days = shape.span_days,
                             .key_space = 9000,
                             .coarse_amounts = shape.coarse_amounts},
                            3000);
      } else {
        OrderLine line = RandomOrder(rng, shape).front();
        if (!stored.empty() && !Chance(rng, 15)) {
          // Replacing a stored line: the same key, anything else may move.
          const OrderLine& old = Pick(rng, stored);
          line.line_key = old.line_key;
          if (Chance(rng, 50)) line.order_id = old.order_id;
          if (Chance(rng, 50)) line.customer_id = old.customer_id;
          if (Chance(rng, 50)) line.order_date = old.order_date;
        }
        if (Chance(rng, 10)) line.customer_id = absl::StrCat("New", step);
        if (Chance(rng, 10)) line.order_id = absl::StrCat("NewOrder", step);
        lines.push_back(std::move(line));
      }
      remember(lines);
      if (replace) {
        stored.clear();
        remember(lines);
      }
      write(lines, replace);
      if (HasFatalFailure()) return;
      // Sometimes several writes before the next read.
      if (Chance(rng, 25)) continue;
      expect_same();
      if (HasFatalFailure()) return;
    }
    EXPECT_EQ(*store->CountLines(), fast->LineCount());
  }
}

TEST(RankScores, MatchesTheReferenceScorer) {
  Rng rng(4);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::int64_t> values(static_cast<std::size_t>(Uniform(rng, 1, 300)));
    const int kind = static_cast<int>(Uniform(rng, 0, 3));
    for (std::int64_t& v : values) {
      switch (kind) {
        case 0:  // few distinct values: ties everywhere
          v = Uniform(rng, -3, 3);
          break;
        case 1:  // money
          v = Uniform(rng, -5'000'000'000, 5'000'000'000'000);
          break;
        case 2:  // the extremes of int64
          v = Chance(rng, 50) ? std::numeric_limits<std::int64_t>::min() + Uniform(rng, 0, 2)
                              : std::numeric_limits<std::int64_t>::max() - Uniform(rng, 0, 2);
          break;
        default:
          v = Uniform(rng, 0, 1000);
      }
    }
    for (const Better better : {Better::kHigher, Better::kLower}) {
      ASSERT_EQ(columnar::RankScores(values, better), ScoreValues(values, better))
          << "round " << round;
    }
  }
}

TEST(ColumnarEngine, EmptyStoreAnswersLikeSql) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
  std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(*store);
  Rng rng(1);
  ExpectSamePrimitives(*sql, *fast, Filter{}, rng);
  ExpectSameReports(*sql, *fast, Filter{}, rng);
}

TEST(ColumnarEngine, AWriteIsVisibleAsSoonAsUpsertReturns) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
  std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(*store);
  Rng rng(2);
  const Shape shape{
      .customers = 3, .orders = 5, .span_days = 10, .key_space = 50, .coarse_amounts = false};
  for (int i = 0; i < 5; ++i) {
    // Asked before the write, so the engine holds cached answers the write
    // must invalidate.
    ASSERT_TRUE(fast->Totals({}).ok());
    ASSERT_TRUE(fast->Breakdown({}, Dimension::kRegion).ok());
    ASSERT_TRUE(fast->Trend({}, Granularity::kDay).ok());
    VectorSource lines(RandomOrder(rng, shape));
    ASSERT_TRUE(store->Upsert(lines).ok());
    EXPECT_EQ(fast->LineCount(), *store->CountLines());
    ExpectSamePrimitives(*sql, *fast, Filter{}, rng);
  }
}

// Scored records view the engine's dictionaries; a replace-all write gives
// the table new ones. A list (and a record copied out with its list) handed
// out before the write must still read the old text (under ASan, a dangling
// view would be a heap-use-after-free here).
TEST(ColumnarEngine, ScoredCustomersKeepTheirTextAcrossAReplacingWrite) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(*store);
  Rng rng(3);
  const Shape shape{
      .customers = 4, .orders = 12, .span_days = 30, .key_space = 80, .coarse_amounts = false};
  VectorSource first(RandomWrite(rng, shape, 12));
  ASSERT_TRUE(store->Upsert(first).ok());
  CustomerRfmList before = Value(fast->ScoreCustomers({}, kBaseDay + 1000));
  ASSERT_FALSE(before->empty());
  std::vector<std::string> ids_before;
  std::vector<std::string> names_before;
  for (const CustomerRfm& rfm : *before) {
    ids_before.emplace_back(rfm.customer_id);
    names_before.emplace_back(rfm.customer_name);
  }
  // A page's records outlive the scored list they were cut from.
  const CustomerPage page =
      SelectCustomers(Value(ScoreAllCustomers(*fast, RfmQuery{})), CustomerSelection{});
  ASSERT_FALSE(page.customers.empty());
  const std::string first_page_id(page.customers[0].rfm.customer_id);
  std::vector<OrderLine> others = RandomWrite(rng, shape, 5);
  for (OrderLine& line : others) {
    line.customer_id = "replacement-" + line.customer_id;
    line.customer_name = "Someone Else Entirely";
  }
  VectorSource replacement(std::move(others));
  ASSERT_TRUE(store->Upsert(replacement, /*replace=*/true).ok());
  const CustomerRfmList after = Value(fast->ScoreCustomers({}, kBaseDay + 1000));
  ASSERT_FALSE(after->empty());
  EXPECT_TRUE((*after)[0].customer_id.starts_with("replacement-"));
  ASSERT_EQ(before->size(), ids_before.size());
  for (std::size_t i = 0; i < before->size(); ++i) {
    EXPECT_EQ((*before)[i].customer_id, ids_before[i]);
    EXPECT_EQ((*before)[i].customer_name, names_before[i]);
  }
  before.reset();  // the page's copy alone keeps its text now
  EXPECT_EQ(page.customers[0].rfm.customer_id, first_page_id);
}

TEST(ColumnarEngine, OverTheMemoryBudgetItRefusesToStart) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  Rng rng(3);
  VectorSource lines(RandomWrite(
      rng,
      Shape{
          .customers = 5, .orders = 50, .span_days = 30, .key_space = 200, .coarse_amounts = true},
      40));
  ASSERT_TRUE(store->Upsert(lines).ok());
  absl::StatusOr<std::unique_ptr<ColumnarEngine>> engine =
      ColumnarEngine::Create(*store, {.memory_budget_bytes = 1, .on_stop = {}});
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kResourceExhausted) << engine.status();
}

TEST(FallbackQueryEngine, AWriteOverTheBudgetSwitchesToSqlAndSaysWhy) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  Rng rng(5);
  const Shape shape{
      .customers = 8, .orders = 40, .span_days = 30, .key_space = 100, .coarse_amounts = false};
  VectorSource first(RandomWrite(rng, shape, 10));
  ASSERT_TRUE(store->Upsert(first).ok());
  std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(*store);
  const std::size_t loaded = (*ColumnarEngine::Create(*store))->MemoryBytes();
  std::vector<std::string> reasons;
  std::unique_ptr<ColumnarEngine> fast = *ColumnarEngine::Create(
      *store, {.memory_budget_bytes = loaded + 1,
               .on_stop = [&](const std::string& why) { reasons.push_back(why); }});
  FallbackQueryEngine engine(*fast, *sql);
  EXPECT_TRUE(fast->serving());
  EXPECT_EQ(*engine.Totals({}), *sql->Totals({}));

  std::vector<OrderLine> more;
  for (int i = 0; i < 2000; ++i) {
    for (OrderLine& line : RandomOrder(rng, shape)) {
      line.line_key = absl::StrCat("more-", i, "-", line.line_key);
      more.push_back(std::move(line));
    }
  }
  VectorSource second(std::move(more));
  ASSERT_TRUE(store->Upsert(second).ok());
  EXPECT_FALSE(fast->serving());
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("budget"), std::string::npos) << reasons[0];
  // Still correct, now from SQL; the stopped engine itself says Unavailable.
  EXPECT_EQ(fast->Totals({}).status().code(), absl::StatusCode::kUnavailable);
  ExpectSamePrimitives(*sql, engine, Filter{}, rng);
  // Later writes are ignored by the stopped engine and still answered.
  VectorSource third(RandomWrite(rng, shape, 5));
  ASSERT_TRUE(store->Upsert(third).ok());
  EXPECT_EQ(*engine.Totals({}), *sql->Totals({}));
}

// --- Snapshots (query/columnar/snapshot.h) --------------------------------
//
// The engine started from its snapshot (and the writes the store logged
// after it) must answer exactly as SQL and as an engine built from the
// store; a snapshot it cannot trust must be ignored, saying why.

// A database file, its snapshot beside it, both removed at the end.
class SnapshotDb {
 public:
  explicit SnapshotDb(const std::string& name) : db_(name) { Remove(); }
  ~SnapshotDb() { Remove(); }
  const std::string& path() const { return db_.path(); }
  std::string snapshot() const { return db_.path() + ".engine-snapshot"; }

 private:
  void Remove() {
    std::filesystem::remove(snapshot());
    std::filesystem::remove(snapshot() + ".tmp");
  }
  testing::TempDb db_;
};

ColumnarEngineOptions WithSnapshot(const std::string& path, std::int64_t after_lines) {
  ColumnarEngineOptions options;
  options.snapshot_path = path;
  options.snapshot_after_lines = after_lines;
  return options;
}

// `fast` (and an engine built from the store alone) against SQL.
void ExpectSameAsSqlAndStore(OrderStore& store, ColumnarEngine& fast, const Shape& shape,
                             Rng& rng) {
  std::unique_ptr<SqlQueryEngine> sql = *SqlQueryEngine::Create(store);
  EXPECT_EQ(fast.LineCount(), *store.CountLines());
  for (int f = 0; f < 5; ++f) {
    const Filter filter = f == 0 ? Filter{} : RandomFilter(rng, shape);
    SCOPED_TRACE(absl::StrCat("filter ", f));
    ExpectSamePrimitives(*sql, fast, filter, rng);
    ExpectSameReports(*sql, fast, filter, rng);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

void Write(OrderStore& store, std::vector<OrderLine> lines, bool replace = false) {
  VectorSource source(std::move(lines));
  const absl::StatusOr<WriteResult> written = store.Upsert(source, replace);
  ASSERT_TRUE(written.ok()) << written.status();
}

class SnapshotDifferentialTest : public ::testing::TestWithParam<int> {};

// Random writes with the engine running, snapshots saved at random points
// (and, on odd seeds, by the background writer after every few lines),
// then a stop with or without a last snapshot (a clean stop or a kill):
// the engine from the snapshot == SQL == an engine from the store.
TEST_P(SnapshotDifferentialTest, EngineFromSnapshotAnswersAsSqlAndAsEngineFromStore) {
  Rng rng(static_cast<std::uint64_t>(GetParam()) * 104729 + 5);
  const Shape shape = RandomShape(rng);
  SnapshotDb db(absl::StrCat("snapshot-differential-", GetParam()));
  const bool background = GetParam() % 2 == 1;
  bool replaced_since_save = false;
  bool saved = false;
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
    if (Chance(rng, 50)) Write(*store, RandomWrite(rng, shape, 60));  // before the engine
    absl::StatusOr<std::unique_ptr<ColumnarEngine>> fast = ColumnarEngine::Create(
        *store, WithSnapshot(db.snapshot(), background ? 20 : std::int64_t{1} << 40));
    ASSERT_TRUE(fast.ok()) << fast.status();
    EXPECT_FALSE((*fast)->startup().from_snapshot);
    for (int write = 0; write < 6; ++write) {
      const bool replace = Chance(rng, 10);
      Write(*store, RandomWrite(rng, shape, 25), replace);
      replaced_since_save = replaced_since_save || replace;
      if (Chance(rng, 40)) {
        ASSERT_TRUE((*fast)->SaveSnapshot().ok());
        saved = true;
        replaced_since_save = false;
      }
    }
    if (Chance(rng, 50)) {  // a clean stop
      ASSERT_TRUE((*fast)->SaveSnapshot().ok());
      saved = true;
      replaced_since_save = false;
    }
  }
  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
  {
    std::unique_ptr<ColumnarEngine> restarted =
        *ColumnarEngine::Create(*store, WithSnapshot(db.snapshot(), std::int64_t{1} << 40));
    if (!background && saved) {
      EXPECT_EQ(restarted->startup().from_snapshot, !replaced_since_save)
          << restarted->startup().snapshot_ignored;
    }
    ExpectSameAsSqlAndStore(*store, *restarted, shape, rng);
    if (HasFatalFailure()) return;
    // And it keeps following writes.
    Write(*store, RandomWrite(rng, shape, 10));
    ExpectSameAsSqlAndStore(*store, *restarted, shape, rng);
    if (HasFatalFailure()) return;
  }
  std::unique_ptr<ColumnarEngine> from_store = *ColumnarEngine::Create(*store);
  ExpectSameAsSqlAndStore(*store, *from_store, shape, rng);
}

INSTANTIATE_TEST_SUITE_P(Seeds, SnapshotDifferentialTest, ::testing::Range(0, 16));

// A store with lines, an engine that saved its snapshot, stopped.
struct Saved {
  Shape shape{
      .customers = 60, .orders = 400, .span_days = 200, .key_space = 900, .coarse_amounts = false};
};

void SaveOne(const SnapshotDb& db, Rng& rng, const Shape& shape) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
  std::unique_ptr<ColumnarEngine> fast =
      *ColumnarEngine::Create(*store, WithSnapshot(db.snapshot(), std::int64_t{1} << 40));
  Write(*store, RandomWrite(rng, shape, 300));
  Write(*store, RandomWrite(rng, shape, 50));
  ASSERT_TRUE(fast->SaveSnapshot().ok());
  ASSERT_TRUE(std::filesystem::exists(db.snapshot()));
}

// Starts an engine on `db` with its snapshot and checks it was ignored for
// a reason naming `why`, and that it answers exactly as SQL.
void ExpectIgnoredAndCorrect(const SnapshotDb& db, const std::string& why, Rng& rng,
                             const Shape& shape) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
  absl::StatusOr<std::unique_ptr<ColumnarEngine>> fast =
      ColumnarEngine::Create(*store, WithSnapshot(db.snapshot(), std::int64_t{1} << 40));
  ASSERT_TRUE(fast.ok()) << fast.status();
  EXPECT_FALSE((*fast)->startup().from_snapshot);
  EXPECT_NE((*fast)->startup().snapshot_ignored.find(why), std::string::npos)
      << (*fast)->startup().snapshot_ignored;
  ExpectSameAsSqlAndStore(*store, **fast, shape, rng);
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(EngineSnapshot, AnIntactSnapshotIsUsedAndAnswersAsSql) {
  Rng rng(41);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-intact");
  SaveOne(db, rng, shape);
  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
  std::unique_ptr<ColumnarEngine> fast =
      *ColumnarEngine::Create(*store, WithSnapshot(db.snapshot(), std::int64_t{1} << 40));
  EXPECT_TRUE(fast->startup().from_snapshot) << fast->startup().snapshot_ignored;
  EXPECT_EQ(fast->startup().replayed_lines, 0);
  ExpectSameAsSqlAndStore(*store, *fast, shape, rng);  // folds the log
  // The snapshot covers every batch: none is kept once folded.
  EXPECT_EQ(testing::QueryIntUnfolded(*store, "SELECT COUNT(*) FROM line_batches"), 0);
}

TEST(EngineSnapshot, ACorruptedByteIsCaughtByTheChecksum) {
  Rng rng(42);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-corrupt");
  SaveOne(db, rng, shape);
  std::string bytes = ReadBytes(db.snapshot());
  ASSERT_GT(bytes.size(), 1000u);
  // One bit in the middle of the columns: nothing but the checksum sees it.
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  WriteBytes(db.snapshot(), bytes);
  ExpectIgnoredAndCorrect(db, "checksum", rng, shape);
}

TEST(EngineSnapshot, ATruncatedSnapshotIsIgnored) {
  Rng rng(43);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-truncated");
  SaveOne(db, rng, shape);
  const std::string bytes = ReadBytes(db.snapshot());
  WriteBytes(db.snapshot(), bytes.substr(0, bytes.size() * 2 / 3));
  ExpectIgnoredAndCorrect(db, "truncated", rng, shape);
  WriteBytes(db.snapshot(), bytes.substr(0, 10));  // shorter than the header
  ExpectIgnoredAndCorrect(db, "truncated", rng, shape);
}

TEST(EngineSnapshot, ANewerFormatVersionIsIgnored) {
  Rng rng(44);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-newer");
  SaveOne(db, rng, shape);
  std::string bytes = ReadBytes(db.snapshot());
  // A well-formed header of the next version: its own checksum is right.
  const std::uint32_t version = columnar::kSnapshotFormatVersion + 1;
  std::memcpy(bytes.data() + 8, &version, 4);
  const auto crc =
      static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), 28));
  std::memcpy(bytes.data() + 28, &crc, 4);
  WriteBytes(db.snapshot(), bytes);
  ExpectIgnoredAndCorrect(db, "format version", rng, shape);
}

TEST(EngineSnapshot, ASnapshotOfAnotherDatabaseIsIgnored) {
  Rng rng(45);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-mine");
  SnapshotDb other("snapshot-other");
  SaveOne(db, rng, shape);
  SaveOne(other, rng, shape);
  std::filesystem::copy_file(other.snapshot(), db.snapshot(),
                             std::filesystem::copy_options::overwrite_existing);
  ExpectIgnoredAndCorrect(db, "another database", rng, shape);
}

TEST(EngineSnapshot, ASnapshotNewerThanTheDatabaseIsIgnored) {
  // The database restored from a copy taken before the snapshot's last
  // writes: same database id, but the snapshot is ahead of it.
  Rng rng(46);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-ahead");
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
    Write(*store, RandomWrite(rng, shape, 100));
  }
  const std::string backup = db.path() + ".backup";
  std::filesystem::copy_file(db.path(), backup, std::filesystem::copy_options::overwrite_existing);
  SaveOne(db, rng, shape);
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(db.path() + suffix);
  std::filesystem::copy_file(backup, db.path(), std::filesystem::copy_options::overwrite_existing);
  std::filesystem::remove(backup);
  ExpectIgnoredAndCorrect(db, "newer than the database", rng, shape);
}

TEST(EngineSnapshot, WritesAfterTheSnapshotAreReplayed) {
  // A kill after writes the snapshot does not hold: they are replayed from
  // the kept write log (folded into order_lines meanwhile or not).
  Rng rng(47);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-replay");
  SaveOne(db, rng, shape);
  std::int64_t written = 0;
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
    std::unique_ptr<ColumnarEngine> fast =
        *ColumnarEngine::Create(*store, WithSnapshot(db.snapshot(), std::int64_t{1} << 40));
    ASSERT_TRUE(fast->startup().from_snapshot) << fast->startup().snapshot_ignored;
    for (int i = 0; i < 3; ++i) {
      std::vector<OrderLine> lines = RandomWrite(rng, shape, 40);
      written += static_cast<std::int64_t>(lines.size());
      Write(*store, std::move(lines));
    }
    ASSERT_TRUE(store->FoldLog().ok());  // SQL readers fold; the log is kept
  }                                      // no SaveSnapshot: as after SIGKILL
  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
  std::unique_ptr<ColumnarEngine> fast =
      *ColumnarEngine::Create(*store, WithSnapshot(db.snapshot(), std::int64_t{1} << 40));
  EXPECT_TRUE(fast->startup().from_snapshot) << fast->startup().snapshot_ignored;
  EXPECT_EQ(fast->startup().replayed_lines, written);
  ExpectSameAsSqlAndStore(*store, *fast, shape, rng);
  // Saving releases the kept log up to the snapshot.
  ASSERT_TRUE(fast->SaveSnapshot().ok());
  EXPECT_EQ(testing::QueryInt(*store, "SELECT COUNT(*) FROM line_batches"), 0);
}

TEST(EngineSnapshot, ALargeWriteIsInTheSnapshotWhenItReturns) {
  // A bulk write puts its snapshot in place before Upsert returns (the
  // fsync follows in the background), so a SIGKILL right after the reply
  // restarts from it with nothing to replay.
  Rng rng(52);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-large-write");
  SaveOne(db, rng, shape);
  StorePosition written_at;
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
    std::unique_ptr<ColumnarEngine> fast =
        *ColumnarEngine::Create(*store, WithSnapshot(db.snapshot(), 200));
    ASSERT_TRUE(fast->startup().from_snapshot) << fast->startup().snapshot_ignored;
    Write(*store, RandomWrite(rng, shape, 60));  // below the 200 lines: no snapshot
    absl::StatusOr<columnar::TableSnapshot> before = columnar::ReadTableSnapshot(db.snapshot());
    ASSERT_TRUE(before.ok()) << before.status();
    EXPECT_NE(before->position, *store->CommittedPosition());
    Write(*store, RandomWrite(rng, shape, 250));
    written_at = *store->CommittedPosition();
    absl::StatusOr<columnar::TableSnapshot> after = columnar::ReadTableSnapshot(db.snapshot());
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_EQ(after->position, written_at);
  }  // no SaveSnapshot: as after SIGKILL
  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
  std::unique_ptr<ColumnarEngine> fast =
      *ColumnarEngine::Create(*store, WithSnapshot(db.snapshot(), std::int64_t{1} << 40));
  EXPECT_TRUE(fast->startup().from_snapshot) << fast->startup().snapshot_ignored;
  EXPECT_EQ(fast->startup().replayed_lines, 0);
  ExpectSameAsSqlAndStore(*store, *fast, shape, rng);
}

TEST(EngineSnapshot, TheFolderRunningBeforeTheEngineSubscribesKeepsWhatItFolds) {
  // The store's folder starts at Open and may fold the batches written
  // after the snapshot before the engine subscribes: they must stay.
  Rng rng(51);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-folder-first");
  SaveOne(db, rng, shape);
  std::vector<OrderLine> lines = RandomWrite(rng, shape, 40);
  const auto written = static_cast<std::int64_t>(lines.size());
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
    std::unique_ptr<ColumnarEngine> fast =
        *ColumnarEngine::Create(*store, WithSnapshot(db.snapshot(), std::int64_t{1} << 40));
    Write(*store, std::move(lines));
  }  // killed before the fold
  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
  ASSERT_TRUE(store->FoldLog().ok());  // the folder wins the race
  std::unique_ptr<ColumnarEngine> fast =
      *ColumnarEngine::Create(*store, WithSnapshot(db.snapshot(), std::int64_t{1} << 40));
  EXPECT_TRUE(fast->startup().from_snapshot) << fast->startup().snapshot_ignored;
  EXPECT_EQ(fast->startup().replayed_lines, written);
  ExpectSameAsSqlAndStore(*store, *fast, shape, rng);
}

TEST(EngineSnapshot, AReplaceAllAfterTheSnapshotIsNotReplayedButRebuilt) {
  Rng rng(48);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-replaced");
  SaveOne(db, rng, shape);
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
    std::unique_ptr<ColumnarEngine> fast =
        *ColumnarEngine::Create(*store, WithSnapshot(db.snapshot(), std::int64_t{1} << 40));
    ASSERT_TRUE(fast->startup().from_snapshot) << fast->startup().snapshot_ignored;
    Write(*store, RandomWrite(rng, shape, 40), /*replace=*/true);
  }
  ExpectIgnoredAndCorrect(db, "not replayable", rng, shape);
}

TEST(EngineSnapshot, WritesMadeWithoutTheEngineAreNotReplayedButRebuilt) {
  // Another program (or the server with --engine=sql) wrote to the database:
  // those writes are not kept for replay.
  Rng rng(50);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-bypassed");
  SaveOne(db, rng, shape);
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
    Write(*store, RandomWrite(rng, shape, 40));
  }
  ExpectIgnoredAndCorrect(db, "no longer keeps", rng, shape);
}

TEST(EngineSnapshot, WithoutAFileTheEngineIsBuiltFromTheStore) {
  Rng rng(49);
  const Shape shape = Saved{}.shape;
  SnapshotDb db("snapshot-missing");
  SaveOne(db, rng, shape);
  std::filesystem::remove(db.snapshot());
  ExpectIgnoredAndCorrect(db, "no snapshot file", rng, shape);
}

}  // namespace
}  // namespace analytics
