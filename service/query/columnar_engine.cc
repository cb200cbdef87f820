#include "query/columnar_engine.h"

#include <malloc.h>

#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "query/dense_bitset.h"
#include "query/rank_scoring.h"
#include "query/row_filter.h"

namespace analytics {

using columnar::Columns;
using columnar::DenseBitset;
using columnar::Dictionaries;
using columnar::LineTable;
using columnar::RowFilter;
using columnar::StagedWrite;

namespace {

constexpr char kLoadSql[] = R"sql(
SELECT line_key, order_id, order_date, customer_id, customer_name, region, category,
       sub_category, segment, state, ship_mode, sales, profit, quantity
FROM order_lines)sql";

// Writes smaller than this leave the allocator alone; after larger ones the
// freed merge buffers are handed back to the system, so RSS tracks the data.
constexpr std::size_t kTrimAfterRows = 100'000;

absl::Status Unavailable() {
  return absl::UnavailableError("the columnar engine stopped serving; see the server log");
}

// Distinct (customer, order) pairs: orders whose lines all name one
// customer are counted with a bit per order, the rare orders shared by
// several customers with an explicit pair set.
class CustomerOrders {
 public:
  CustomerOrders(const LineTable& table)
      : owners_(table.order_customer()), bits_(table.dictionaries().orders.size()) {}

  // True the first time `customer` is met with `order`.
  bool FirstTime(std::uint32_t customer, std::uint32_t order) {
    if (owners_[order] != columnar::kSeveralCustomers) return bits_.TestAndSet(order);
    return pairs_.insert((std::uint64_t{customer} << 32) | order).second;
  }

 private:
  const std::vector<std::uint32_t>& owners_;
  DenseBitset bits_;
  absl::flat_hash_set<std::uint64_t> pairs_;
};

// Per-group distinct ids for breakdowns: a bitset per group while that
// stays small, else a set of (group, id) pairs.
class GroupDistinct {
 public:
  GroupDistinct(std::uint32_t groups, std::uint32_t ids)
      : words_per_group_((std::size_t{ids} + 63) / 64),
        use_bits_(groups * words_per_group_ <= kMaxWords) {
    if (use_bits_) words_.assign(groups * words_per_group_, 0);
  }

  void Add(std::uint32_t group, std::uint32_t id) {
    if (use_bits_) {
      words_[group * words_per_group_ + (id >> 6)] |= std::uint64_t{1} << (id & 63);
    } else {
      pairs_.insert((std::uint64_t{group} << 32) | id);
    }
  }

  // Distinct ids per group.
  std::vector<std::int64_t> Counts(std::uint32_t groups) const {
    std::vector<std::int64_t> counts(groups, 0);
    if (use_bits_) {
      for (std::uint32_t g = 0; g < groups; ++g) {
        const std::uint64_t* word = words_.data() + g * words_per_group_;
        for (std::size_t i = 0; i < words_per_group_; ++i) counts[g] += std::popcount(word[i]);
      }
    } else {
      for (const std::uint64_t pair : pairs_) ++counts[pair >> 32];
    }
    return counts;
  }

 private:
  static constexpr std::size_t kMaxWords = 8u << 20;  // 64 MiB of bits
  std::size_t words_per_group_;
  bool use_bits_;
  std::vector<std::uint64_t> words_;
  absl::flat_hash_set<std::uint64_t> pairs_;
};

// Reads every stored line into one staged write.
absl::Status LoadAll(sqlite::Connection& connection, StagedWrite& staged) {
  absl::StatusOr<sqlite::Statement> statement = connection.Prepare(kLoadSql);
  if (!statement.ok()) return statement.status();
  OrderLine line;
  for (;;) {
    absl::StatusOr<bool> row = statement->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    const sqlite::Statement& s = *statement;
    line.line_key.assign(s.TextView(0));
    line.order_id.assign(s.TextView(1));
    line.order_date = static_cast<Day>(s.Int(2));
    line.customer_id.assign(s.TextView(3));
    line.customer_name.assign(s.TextView(4));
    line.region.assign(s.TextView(5));
    line.category.assign(s.TextView(6));
    line.sub_category.assign(s.TextView(7));
    line.segment.assign(s.TextView(8));
    line.state.assign(s.TextView(9));
    line.ship_mode.assign(s.TextView(10));
    line.sales = s.Int(11);
    line.profit = s.Int(12);
    line.quantity = s.Int(13);
    staged.Add(line);
  }
}

// True when no sum over any subset of rows can overflow int64.
bool SumsFit(const Columns& columns) {
  constexpr __int128 kMax = std::numeric_limits<std::int64_t>::max();
  __int128 sales = 0;
  __int128 profit = 0;
  __int128 quantity = 0;
  for (std::size_t r = 0; r < columns.size(); ++r) {
    // Magnitudes are at most 2^63, so even a million of them fit in 128 bits.
    sales += columns.sales[r] < 0 ? -__int128{columns.sales[r]} : __int128{columns.sales[r]};
    profit += columns.profit[r] < 0 ? -__int128{columns.profit[r]} : __int128{columns.profit[r]};
    quantity +=
        columns.quantity[r] < 0 ? -__int128{columns.quantity[r]} : __int128{columns.quantity[r]};
  }
  return sales <= kMax && profit <= kMax && quantity <= kMax;
}

}  // namespace

// Stages a write's lines while its transaction runs; applies them on Commit.
class ColumnarEngine::Pending final : public PendingWrite {
 public:
  Pending(ColumnarEngine& engine, bool replace) : engine_(engine), staged_(replace) {}
  void Add(const OrderLine& line) override { staged_.Add(line); }
  void Commit() override { engine_.Apply(staged_); }

 private:
  ColumnarEngine& engine_;
  StagedWrite staged_;
};

namespace {
// For writes that arrive after the engine stopped: nothing to keep.
class IgnoredWrite final : public PendingWrite {
 public:
  void Add(const OrderLine&) override {}
  void Commit() override {}
};
}  // namespace

ColumnarEngine::ColumnarEngine(OrderStore& store, ColumnarEngineOptions options)
    : store_(store), options_(std::move(options)), table_(std::make_unique<LineTable>()) {}

ColumnarEngine::~ColumnarEngine() {
  if (subscribed_) store_.Unsubscribe(*this);
}

absl::StatusOr<std::unique_ptr<ColumnarEngine>> ColumnarEngine::Create(
    OrderStore& store, ColumnarEngineOptions options) {
  std::unique_ptr<ColumnarEngine> engine(new ColumnarEngine(store, std::move(options)));
  absl::Status status = store.Subscribe(*engine, [&](sqlite::Connection& connection) {
    StagedWrite staged(/*replace=*/true);
    if (absl::Status s = LoadAll(connection, staged); !s.ok()) return s;
    if (absl::Status s = engine->table_->Apply(staged); !s.ok()) return s;
    if (!SumsFit(engine->table_->columns())) {
      return absl::FailedPreconditionError(
          "the stored amounts are large enough that sums could overflow 64 bits");
    }
    const std::size_t budget = engine->options_.memory_budget_bytes;
    const std::size_t bytes = engine->table_->MemoryBytes();
    if (budget != 0 && bytes > budget) {
      return absl::ResourceExhaustedError(absl::StrCat("the lines need ", bytes >> 20,
                                                       " MiB in memory, over the budget of ",
                                                       budget >> 20, " MiB"));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  engine->subscribed_ = true;
  malloc_trim(0);
  return engine;
}

std::unique_ptr<PendingWrite> ColumnarEngine::BeginWrite(bool replace) {
  std::shared_lock lock(mutex_);
  if (table_ == nullptr) return std::make_unique<IgnoredWrite>();
  return std::make_unique<Pending>(*this, replace);
}

std::string ColumnarEngine::Refusal() const {
  if (!SumsFit(table_->columns())) {
    return "the stored amounts are large enough that sums could overflow 64 bits";
  }
  const std::size_t budget = options_.memory_budget_bytes;
  const std::size_t bytes = table_->MemoryBytes();
  if (budget != 0 && bytes > budget) {
    return absl::StrCat("the lines need ", bytes >> 20, " MiB in memory, over the budget of ",
                        budget >> 20, " MiB");
  }
  return "";
}

void ColumnarEngine::StopLocked(const std::string& why) {
  table_.reset();
  std::lock_guard scored_lock(scored_mutex_);
  scored_.clear();
  (void)why;
}

void ColumnarEngine::Apply(const StagedWrite& staged) {
  std::string stopped_because;
  {
    std::unique_lock lock(mutex_);
    if (table_ == nullptr) return;
    if (absl::Status s = table_->Apply(staged); !s.ok()) {
      stopped_because = std::string(s.message());
    } else {
      stopped_because = Refusal();
    }
    ++generation_;
    if (!stopped_because.empty()) {
      StopLocked(stopped_because);
    } else {
      std::lock_guard scored_lock(scored_mutex_);
      scored_.clear();
    }
  }
  if (staged.size() >= kTrimAfterRows || !stopped_because.empty()) malloc_trim(0);
  if (!stopped_because.empty() && options_.on_stop) options_.on_stop(stopped_because);
}

bool ColumnarEngine::serving() const {
  std::shared_lock lock(mutex_);
  return table_ != nullptr;
}

std::size_t ColumnarEngine::MemoryBytes() const {
  std::shared_lock lock(mutex_);
  return table_ == nullptr ? 0 : table_->MemoryBytes();
}

std::int64_t ColumnarEngine::LineCount() const {
  std::shared_lock lock(mutex_);
  return table_ == nullptr ? 0 : static_cast<std::int64_t>(table_->columns().size());
}

absl::StatusOr<Measures> ColumnarEngine::Totals(const Filter& filter) {
  std::shared_lock lock(mutex_);
  if (table_ == nullptr) return Unavailable();
  const LineTable& table = *table_;
  const Columns& c = table.columns();
  const RowFilter rows(table, filter);
  Measures m;
  if (rows.empty()) return m;
  DenseBitset orders(table.dictionaries().orders.size());
  DenseBitset customers(table.dictionaries().customers.size());
  Micros revenue = 0;
  Micros profit = 0;
  std::int64_t units = 0;
  rows.ForEach([&](std::uint32_t r) {
    revenue += c.sales[r];
    profit += c.profit[r];
    units += c.quantity[r];
    orders.Set(c.order[r]);
    customers.Set(c.customer[r]);
  });
  m.revenue = revenue;
  m.profit = profit;
  m.units = units;
  m.orders = orders.Count();
  m.customers = customers.Count();
  return m;
}

absl::StatusOr<std::vector<GroupMeasures>> ColumnarEngine::Breakdown(const Filter& filter,
                                                                     Dimension dimension) {
  std::shared_lock lock(mutex_);
  if (table_ == nullptr) return Unavailable();
  if (dimension == Dimension::kCustomer) return CustomerBreakdown(filter);
  const LineTable& table = *table_;
  const Columns& c = table.columns();
  const std::size_t dim = columnar::DimIndex(dimension);
  const columnar::StringDictionary& values = table.dictionaries().dims[dim];
  const std::uint32_t groups = values.size();
  const std::uint16_t* group_of = c.dims[dim].data();
  const RowFilter rows(table, filter);
  std::vector<Measures> sums(groups);
  std::vector<std::uint8_t> present(groups, 0);
  GroupDistinct orders(groups, table.dictionaries().orders.size());
  GroupDistinct customers(groups, table.dictionaries().customers.size());
  rows.ForEach([&](std::uint32_t r) {
    const std::uint32_t g = group_of[r];
    Measures& m = sums[g];
    m.revenue += c.sales[r];
    m.profit += c.profit[r];
    m.units += c.quantity[r];
    present[g] = 1;
    orders.Add(g, c.order[r]);
    customers.Add(g, c.customer[r]);
  });
  const std::vector<std::int64_t> order_counts = orders.Counts(groups);
  const std::vector<std::int64_t> customer_counts = customers.Counts(groups);
  std::vector<GroupMeasures> result;
  for (std::uint32_t g = 0; g < groups; ++g) {
    if (!present[g]) continue;
    Measures m = sums[g];
    m.orders = order_counts[g];
    m.customers = customer_counts[g];
    const std::string key(values.Get(g));
    result.push_back({.key = key, .label = key, .measures = m});
  }
  return result;
}

std::vector<GroupMeasures> ColumnarEngine::CustomerBreakdown(const Filter& filter) const {
  const LineTable& table = *table_;
  const Columns& c = table.columns();
  const Dictionaries& d = table.dictionaries();
  const RowFilter rows(table, filter);
  struct Acc {
    Measures m;
    std::uint32_t latest_row = columnar::kNoRow;
  };
  std::vector<Acc> acc(d.customers.size());
  CustomerOrders orders(table);
  rows.ForEach([&](std::uint32_t r) {
    const std::uint32_t customer = c.customer[r];
    Acc& a = acc[customer];
    a.m.revenue += c.sales[r];
    a.m.profit += c.profit[r];
    a.m.units += c.quantity[r];
    a.m.orders += orders.FirstTime(customer, c.order[r]) ? 1 : 0;
    a.latest_row = r;
  });
  std::vector<GroupMeasures> result;
  for (std::uint32_t customer = 0; customer < acc.size(); ++customer) {
    const Acc& a = acc[customer];
    if (a.latest_row == columnar::kNoRow) continue;
    Measures m = a.m;
    m.customers = 1;
    result.push_back({.key = std::string(d.customers.Get(customer)),
                      .label = std::string(d.names.Get(c.name[a.latest_row])),
                      .measures = m});
  }
  return result;
}

absl::StatusOr<std::vector<TrendPoint>> ColumnarEngine::Trend(const Filter& filter,
                                                              Granularity granularity) {
  std::shared_lock lock(mutex_);
  if (table_ == nullptr) return Unavailable();
  const LineTable& table = *table_;
  const Columns& c = table.columns();
  const RowFilter rows(table, filter);
  std::vector<TrendPoint> points;
  // Rows ascend by day, so buckets arrive one after another; the order bits
  // of a bucket are cleared (only the words it touched) when it closes.
  std::vector<std::uint64_t> order_bits((table.dictionaries().orders.size() + 63) / 64, 0);
  std::vector<std::uint32_t> touched;
  Day current_day = 0;
  Day current_bucket = 0;
  bool open = false;
  TrendPoint point;
  const auto close = [&] {
    for (const std::uint32_t word : touched) order_bits[word] = 0;
    touched.clear();
    points.push_back(point);
  };
  rows.ForEach([&](std::uint32_t r) {
    const Day day = c.day[r];
    if (!open || day != current_day) {
      current_day = day;
      const Day bucket = BucketStart(day, granularity);
      if (!open || bucket != current_bucket) {
        if (open) close();
        open = true;
        current_bucket = bucket;
        point = TrendPoint{.bucket_start = bucket};
      }
    }
    point.revenue += c.sales[r];
    point.profit += c.profit[r];
    const std::uint32_t order = c.order[r];
    std::uint64_t& word = order_bits[order >> 6];
    const std::uint64_t bit = std::uint64_t{1} << (order & 63);
    if ((word & bit) == 0) {
      if (word == 0) touched.push_back(order >> 6);
      word |= bit;
      ++point.orders;
    }
  });
  if (open) close();
  return points;
}

absl::StatusOr<std::optional<DateSpan>> ColumnarEngine::Span(const Filter& filter) {
  std::shared_lock lock(mutex_);
  if (table_ == nullptr) return Unavailable();
  const Columns& c = table_->columns();
  const RowFilter rows(*table_, filter);
  if (rows.empty()) return std::optional<DateSpan>();
  if (rows.dates_only()) {
    return std::optional<DateSpan>(DateSpan{c.day[rows.begin()], c.day[rows.end() - 1]});
  }
  std::uint32_t first = rows.begin();
  while (first < rows.end() && !rows.Matches(first)) ++first;
  if (first == rows.end()) return std::optional<DateSpan>();
  std::uint32_t last = rows.end() - 1;
  while (!rows.Matches(last)) --last;
  return std::optional<DateSpan>(DateSpan{c.day[first], c.day[last]});
}

absl::StatusOr<std::vector<CustomerRfm>> ColumnarEngine::ScoreCustomers(const Filter& filter,
                                                                        Day as_of) {
  std::shared_lock lock(mutex_);
  if (table_ == nullptr) return Unavailable();
  {
    std::lock_guard scored_lock(scored_mutex_);
    for (auto it = scored_.begin(); it != scored_.end(); ++it) {
      if (it->generation == generation_ && it->as_of == as_of && it->filter == filter) {
        scored_.splice(scored_.begin(), scored_, it);
        return *it->customers;
      }
    }
  }
  auto customers =
      std::make_shared<const std::vector<CustomerRfm>>(ComputeScores(filter, as_of));
  std::lock_guard scored_lock(scored_mutex_);
  scored_.push_front({filter, as_of, generation_, customers});
  if (scored_.size() > kScoredCacheEntries) scored_.pop_back();
  return *customers;
}

std::vector<CustomerRfm> ColumnarEngine::ComputeScores(const Filter& filter, Day as_of) const {
  const LineTable& table = *table_;
  const Columns& c = table.columns();
  const Dictionaries& d = table.dictionaries();
  const RowFilter rows(table, filter);
  struct Acc {
    Micros life_revenue = 0;
    Micros life_profit = 0;
    Micros monetary = 0;
    std::int64_t life_orders = 0;
    std::int64_t frequency = 0;
    Day first = 0;
    Day last = 0;
    Day last_scored = 0;
    std::uint32_t latest_row = columnar::kNoRow;
    bool scored = false;
  };
  std::vector<Acc> acc(d.customers.size());
  CustomerOrders life_orders(table);
  CustomerOrders scored_orders(table);
  rows.ForEach([&](std::uint32_t r) {
    const std::uint32_t customer = c.customer[r];
    const std::uint32_t order = c.order[r];
    const Day day = c.day[r];
    Acc& a = acc[customer];
    // Rows ascend by day: the first row met has the first date, and the last
    // row met is the latest line (ties on date: greatest key comes last).
    if (a.latest_row == columnar::kNoRow) a.first = day;
    a.last = day;
    a.latest_row = r;
    a.life_revenue += c.sales[r];
    a.life_profit += c.profit[r];
    a.life_orders += life_orders.FirstTime(customer, order) ? 1 : 0;
    if (day <= as_of) {
      a.scored = true;
      a.last_scored = day;
      a.monetary += c.sales[r];
      a.frequency += scored_orders.FirstTime(customer, order) ? 1 : 0;
    }
  });

  std::vector<std::uint32_t> scored;  // in customer_id order
  for (const std::uint32_t customer : table.customers_by_id()) {
    if (acc[customer].scored) scored.push_back(customer);
  }
  std::vector<std::int64_t> recency(scored.size());
  std::vector<std::int64_t> frequency(scored.size());
  std::vector<std::int64_t> monetary(scored.size());
  for (std::size_t i = 0; i < scored.size(); ++i) {
    const Acc& a = acc[scored[i]];
    recency[i] = std::int64_t{as_of} - a.last_scored;
    frequency[i] = a.frequency;
    monetary[i] = a.monetary;
  }
  const std::vector<int> r_scores = columnar::RankScores(recency, Better::kLower);
  const std::vector<int> f_scores = columnar::RankScores(frequency, Better::kHigher);
  const std::vector<int> m_scores = columnar::RankScores(monetary, Better::kHigher);

  const std::size_t region = columnar::DimIndex(Dimension::kRegion);
  const std::size_t segment = columnar::DimIndex(Dimension::kSegment);
  std::vector<CustomerRfm> result;
  result.reserve(scored.size());
  for (std::size_t i = 0; i < scored.size(); ++i) {
    const Acc& a = acc[scored[i]];
    const std::uint32_t latest = a.latest_row;
    result.push_back(CustomerRfm{
        .customer_id = std::string(d.customers.Get(scored[i])),
        .customer_name = std::string(d.names.Get(c.name[latest])),
        .segment = std::string(d.dims[segment].Get(c.dims[segment][latest])),
        .region = std::string(d.dims[region].Get(c.dims[region][latest])),
        .recency_days = recency[i],
        .frequency = frequency[i],
        .monetary = monetary[i],
        .recency_score = r_scores[i],
        .frequency_score = f_scores[i],
        .monetary_score = m_scores[i],
        .lifetime_revenue = a.life_revenue,
        .lifetime_profit = a.life_profit,
        .lifetime_orders = a.life_orders,
        .first_order = a.first,
        .last_order = a.last,
    });
  }
  return result;
}

}  // namespace analytics
