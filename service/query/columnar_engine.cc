#include "query/columnar_engine.h"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <bit>
#include <condition_variable>
#include <limits>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "query/dense_bitset.h"
#include "query/in_parallel.h"
#include "query/rank_scoring.h"
#include "query/row_filter.h"

namespace analytics {

using columnar::Columns;
using columnar::DenseBitset;
using columnar::Dictionaries;
using columnar::InParallel;
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

// How far ahead per-customer kernels prefetch their accumulator: enough rows
// to cover a cache miss, few enough to stay in the block.
constexpr std::uint32_t kPrefetchRows = 16;
// Writes of more lines than this drop the kept RFM accumulators rather than
// list the customers they touched (rescoring would read every row anyway).
constexpr std::size_t kMaxTrackedLines = 4096;

absl::Status Unavailable() {
  return absl::UnavailableError("the columnar engine stopped serving; see the server log");
}

// Distinct (customer, order) pairs among spread orders (compact ones are
// counted by run changes): orders whose lines all name one customer with a
// bit per order, the rare orders shared by several customers with a set.
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

  // Adds the ids `other` (made with the same sizes) has seen.
  void Merge(const GroupDistinct& other) {
    for (std::size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
    pairs_.insert(other.pairs_.begin(), other.pairs_.end());
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

// Runs part(index, lo, hi) over the filter's row range: in one part, or,
// from `min_rows` rows on, in two halves split where a day begins, the
// first half (index 0) on a helper thread. Rows are sorted by day and a
// compact order lies within one day, so no order is counted by runs in both
// halves. Returns how many parts ran.
template <typename Part>
int SplitScan(const Columns& c, const RowFilter& rows, std::uint32_t min_rows, Part&& part) {
  const std::uint32_t begin = rows.begin();
  const std::uint32_t end = rows.end();
  if (begin >= end || end - begin < std::max<std::uint32_t>(min_rows, 2)) {
    part(0, begin, end);
    return 1;
  }
  const std::uint32_t middle = begin + (end - begin) / 2;
  const auto day_start =
      std::lower_bound(c.day.begin() + begin, c.day.begin() + middle, c.day[middle]);
  const auto split = static_cast<std::uint32_t>(day_start - c.day.begin());
  if (split == begin) {  // one day up to the middle: not worth a thread
    part(0, begin, end);
    return 1;
  }
  InParallel(
      true, [&] { part(0, begin, split); }, [&] { part(1, split, end); });
  return 2;
}

// Adds the sums of a half's measures (SplitScan): revenue, profit, units
// and the orders counted by runs. Distinct counts need the halves' bitsets.
void AddSums(Measures& into, const Measures& from) {
  into.revenue += from.revenue;
  into.profit += from.profit;
  into.units += from.units;
  into.orders += from.orders;
}

// Reads every stored line into one staged write.
absl::Status LoadAll(sqlite::Connection& connection, StagedWrite& staged) {
  {
    absl::StatusOr<sqlite::Statement> count =
        connection.Prepare("SELECT COUNT(*) FROM order_lines");
    if (!count.ok()) return count.status();
    absl::StatusOr<bool> row = count->Step();
    if (!row.ok()) return row.status();
    staged.Reserve(static_cast<std::size_t>(count->Int(0)));
  }
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

}  // namespace

// Encodes a write's lines for the table. A bulk write's lines are encoded
// on a helper thread while the store's thread writes them to SQLite: the two
// halves cost about the same (dictionary lookups here, the log's inserts and
// the merge there), and the machine has two cores. Lines arrive as the
// store's LineBatches (lines added one by one are gathered into one) and are
// read in place; spent batches go back to the store for its next ones, so
// handing over allocates nothing. Writes of fewer than kHandLines lines
// never start the thread.
class ColumnarEngine::Pending final : public PendingWrite {
 public:
  Pending(ColumnarEngine& engine, bool replace) : engine_(engine), staged_(replace) {}

  ~Pending() override { StopWorker(); }  // a write that rolled back: discard

  void Add(OrderLine&& line) override {
    loose_.Add(line);
    if (loose_.line_count() == kLinesPerBatch) Gather(loose_);
  }

  void AddBatch(LineBatch& batch) override {
    if (!loose_.empty()) Gather(loose_);  // keep the write's order
    Gather(batch);
  }

  std::optional<WriteResult> Commit() override {
    if (!loose_.empty()) Gather(loose_);
    if (worker_.joinable()) {
      if (!gathered_.empty()) Hand();
      StopWorker();
    } else {
      for (LineBatch& batch : gathered_) Stage(batch);
      gathered_.clear();
    }
    return engine_.Apply(staged_);
  }

  // The table holds every stored key (it was loaded whole and has seen
  // every write since), so Apply counts new keys exactly.
  bool CountsKeys() const override { return true; }

 private:
  static constexpr std::int64_t kHandLines = 4096;
  static constexpr std::size_t kMaxSpares = 16;

  // Takes `batch`'s lines, leaving it empty (with a spent buffer when the
  // worker returned one), and hands the gathered batches over when enough.
  void Gather(LineBatch& batch) {
    gathered_lines_ += batch.line_count();
    gathered_.push_back(std::move(batch));
    {
      std::lock_guard lock(mutex_);
      if (!spares_.empty()) {
        batch = std::move(spares_.back());
        spares_.pop_back();
      }
    }
    if (gathered_lines_ >= kHandLines) Hand();
  }

  // Gives the gathered batches to the worker (started on first use),
  // waiting while it has not taken the previous ones yet.
  void Hand() {
    if (!worker_.joinable()) worker_ = std::thread([this] { Work(); });
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return handed_.empty(); });
    std::swap(gathered_, handed_);
    gathered_lines_ = 0;
    changed_.notify_all();
  }

  void Stage(const LineBatch& batch) { staged_.AddBatch(batch); }

  void Work() {
    std::vector<LineBatch> mine;
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [&] { return !handed_.empty() || stopping_; });
      if (handed_.empty()) return;  // stopping, and nothing left
      mine.swap(handed_);
      changed_.notify_all();  // Hand may give the next ones meanwhile
      lock.unlock();
      for (const LineBatch& batch : mine) Stage(batch);
      lock.lock();
      for (LineBatch& batch : mine) {
        if (spares_.size() == kMaxSpares) break;
        batch.Clear();
        spares_.push_back(std::move(batch));
      }
      mine.clear();
    }
  }

  // Waits for the worker to encode what it was handed, then ends it.
  void StopWorker() {
    if (!worker_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    worker_.join();
  }

  ColumnarEngine& engine_;
  StagedWrite staged_;  // the worker's while it runs
  LineBatch loose_;     // lines added one by one
  std::vector<LineBatch> gathered_;
  std::int64_t gathered_lines_ = 0;
  std::vector<LineBatch> handed_;  // guarded by mutex_; empty: the worker took them
  std::vector<LineBatch> spares_;  // guarded by mutex_
  bool stopping_ = false;          // guarded by mutex_
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread worker_;
};

namespace {
// For writes that arrive after the engine stopped: nothing to keep.
class IgnoredWrite final : public PendingWrite {
 public:
  void Add(OrderLine&&) override {}
  void AddBatch(LineBatch& batch) override { batch.Clear(); }
  std::optional<WriteResult> Commit() override { return std::nullopt; }
};
}  // namespace

class ColumnarEngine::RecordsPool {
 public:
  CustomerRfmRecords Take() {
    std::lock_guard lock(mutex_);
    return std::exchange(spare_, {});
  }
  // Keeps the larger of the spare and `records`.
  void Give(CustomerRfmRecords records) {
    std::lock_guard lock(mutex_);
    if (records.capacity() > spare_.capacity()) spare_ = std::move(records);
  }

 private:
  std::mutex mutex_;
  CustomerRfmRecords spare_;  // guarded by mutex_
};

ColumnarEngine::ColumnarEngine(OrderStore& store, ColumnarEngineOptions options)
    : store_(store),
      options_(std::move(options)),
      table_(std::make_unique<LineTable>()),
      records_pool_(std::make_shared<RecordsPool>()) {}

ColumnarEngine::~ColumnarEngine() {
  if (subscribed_) store_.Unsubscribe(*this);
}

absl::StatusOr<std::unique_ptr<ColumnarEngine>> ColumnarEngine::Create(
    OrderStore& store, ColumnarEngineOptions options) {
  std::unique_ptr<ColumnarEngine> engine(new ColumnarEngine(store, std::move(options)));
  absl::Status status = store.Subscribe(*engine, [&](sqlite::Connection& connection) {
    StagedWrite staged = StagedWrite::WithUniqueKeys();
    if (absl::Status s = LoadAll(connection, staged); !s.ok()) return s;
    if (absl::Status s = engine->table_->Apply(staged).status(); !s.ok()) return s;
    // Then what the store logged and has not folded yet, as the upserts they
    // are (into an empty table, as a replace: see BeginWrite).
    absl::StatusOr<std::int64_t> logged = LoggedLineCount(connection);
    if (!logged.ok()) return logged.status();
    if (*logged > 0) {
      StagedWrite replay(engine->table_->columns().size() == 0);
      replay.Reserve(static_cast<std::size_t>(*logged));
      if (absl::Status s =
              ReadLoggedLines(connection, [&](const OrderLine& line) { replay.Add(line); });
          !s.ok()) {
        return s;
      }
      if (absl::Status s = engine->table_->Apply(replay).status(); !s.ok()) return s;
    }
    if (!engine->table_->SumsFit()) {
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
  // Into an empty table a write is a replace, whose staging interns keys
  // and dictionaries on the encoding thread and whose Apply adopts them
  // as they are instead of mapping every id again under the lock. (Writes
  // are serialised by the store, so the table stays empty until Apply.)
  return std::make_unique<Pending>(*this, replace || table_->columns().size() == 0);
}

std::string ColumnarEngine::Refusal() const {
  if (!table_->SumsFit()) {
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
  ClearAnswers();
  MarkChanged(nullptr);
  (void)why;
}

std::optional<WriteResult> ColumnarEngine::Apply(StagedWrite& staged) {
  std::string stopped_because;
  std::optional<WriteResult> counts;
  {
    std::unique_lock lock(mutex_);
    if (table_ == nullptr) return std::nullopt;
    // What a small write changed, for the answers kept across writes; a
    // large one (or one replacing everything) drops them instead.
    columnar::WriteChanges changes;
    const bool track = !staged.replace() && staged.size() <= kMaxTrackedLines;
    if (absl::StatusOr<std::int64_t> inserted = table_->Apply(staged, track ? &changes : nullptr);
        !inserted.ok()) {
      stopped_because = std::string(inserted.status().message());
    } else {
      counts = WriteResult{.inserted = *inserted,
                           .updated = static_cast<std::int64_t>(staged.size()) - *inserted};
      MarkChanged(track ? &changes : nullptr);
      stopped_because = Refusal();
    }
    ++generation_;
    if (!stopped_because.empty()) {
      StopLocked(stopped_because);
    } else {
      ClearAnswers();
    }
  }
  if (staged.size() >= kTrimAfterRows || !stopped_because.empty()) malloc_trim(0);
  if (!stopped_because.empty() && options_.on_stop) options_.on_stop(stopped_because);
  return counts;
}

// The engine as seen while its caller holds the read lock: every call goes
// straight to the locked implementations, so no write lands in between.
class ColumnarEngine::View final : public QueryEngine {
 public:
  explicit View(const ColumnarEngine& engine) : engine_(engine) {}

  absl::StatusOr<Measures> Totals(const Filter& filter) override {
    return engine_.TotalsLocked(filter);
  }
  absl::StatusOr<std::vector<GroupMeasures>> Breakdown(const Filter& filter,
                                                       Dimension dimension) override {
    return engine_.BreakdownLocked(filter, dimension);
  }
  absl::StatusOr<std::vector<TrendPoint>> Trend(const Filter& filter,
                                                Granularity granularity) override {
    return engine_.TrendLocked(filter, granularity);
  }
  absl::StatusOr<std::optional<DateSpan>> Span(const Filter& filter) override {
    return engine_.SpanLocked(filter);
  }
  absl::StatusOr<CustomerRfmList> ScoreCustomers(const Filter& filter, Day as_of) override {
    return engine_.ScoreCustomersLocked(filter, as_of);
  }
  absl::Status ReadConsistently(
      const std::function<absl::Status(QueryEngine& view)>& read) override {
    return read(*this);
  }

 private:
  const ColumnarEngine& engine_;
};

absl::Status ColumnarEngine::ReadConsistently(
    const std::function<absl::Status(QueryEngine& view)>& read) {
  std::shared_lock lock(mutex_);
  // A stopped engine answers nothing: one Unavailable for the whole read,
  // which the fallback engine then serves.
  if (table_ == nullptr) return Unavailable();
  View view(*this);
  return read(view);
}

absl::StatusOr<Measures> ColumnarEngine::Totals(const Filter& filter) {
  std::shared_lock lock(mutex_);
  return TotalsLocked(filter);
}

absl::StatusOr<std::vector<GroupMeasures>> ColumnarEngine::Breakdown(const Filter& filter,
                                                                     Dimension dimension) {
  std::shared_lock lock(mutex_);
  return BreakdownLocked(filter, dimension);
}

absl::StatusOr<std::vector<TrendPoint>> ColumnarEngine::Trend(const Filter& filter,
                                                              Granularity granularity) {
  std::shared_lock lock(mutex_);
  return TrendLocked(filter, granularity);
}

absl::StatusOr<std::optional<DateSpan>> ColumnarEngine::Span(const Filter& filter) {
  std::shared_lock lock(mutex_);
  return SpanLocked(filter);
}

absl::StatusOr<CustomerRfmList> ColumnarEngine::ScoreCustomers(const Filter& filter, Day as_of) {
  std::shared_lock lock(mutex_);
  return ScoreCustomersLocked(filter, as_of);
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

absl::StatusOr<Measures> ColumnarEngine::TotalsLocked(const Filter& filter) const {
  if (table_ == nullptr) return Unavailable();
  if (std::optional<Measures> known = CachedTotals(filter)) return *known;
  const LineTable& table = *table_;
  const Columns& c = table.columns();
  const RowFilter rows(table, filter);
  if (rows.empty()) return Measures{};
  struct Part {
    Measures m;
    DenseBitset spread;
    DenseBitset customers;
  };
  const std::uint32_t order_count = table.dictionaries().orders.size();
  const std::uint32_t customer_count = table.dictionaries().customers.size();
  std::array<std::optional<Part>, 2> parts;
  const auto scan = [&](int index, std::uint32_t lo, std::uint32_t hi) {
    Part& part = parts[index].emplace(Part{
        .m = {}, .spread = DenseBitset(order_count), .customers = DenseBitset(customer_count)});
    std::uint32_t last_order = columnar::kNoRow;
    rows.ForEachBlockIn(lo, hi, [&](const auto& block) {
      const Micros* const sales = c.sales.data();
      const Micros* const profit = c.profit.data();
      const std::int64_t* const quantity = c.quantity.data();
      const std::uint32_t* const order_of = c.order.data();
      const std::uint32_t* const customer_of = c.customer.data();
      std::uint64_t* const spread_words = part.spread.words();
      std::uint64_t* const customer_words = part.customers.words();
      Micros revenue = 0;
      Micros profit_sum = 0;
      std::int64_t units = 0;
      std::int64_t orders = 0;
      std::uint32_t last = last_order;
      for (std::uint32_t i = 0; i < block.size(); ++i) {
        const std::uint32_t r = block[i];
        revenue += sales[r];
        profit_sum += profit[r];
        units += quantity[r];
        // Branch-free run counting: a branch on "new order?" would
        // go either way at random, about every other row.
        const std::uint32_t order = order_of[r];
        if (order & columnar::kSpreadOrder) [[unlikely]] {
          columnar::SetBit(spread_words, order & columnar::kOrderIdMask);
        } else {
          orders += order != last;
        }
        last = order;
        columnar::SetBit(customer_words, customer_of[r]);
      }
      AddSums(part.m, {.revenue = revenue, .profit = profit_sum, .orders = orders, .units = units});
      last_order = last;
    });
  };
  SplitScan(c, rows, options_.parallel_min_rows, scan);
  Part& all = *parts[0];
  if (parts[1]) {
    AddSums(all.m, parts[1]->m);
    all.spread.Or(parts[1]->spread);
    all.customers.Or(parts[1]->customers);
  }
  Measures m = all.m;
  m.orders += all.spread.Count();
  m.customers = all.customers.Count();
  KeepTotals(filter, m);
  return m;
}

void ColumnarEngine::KeepTotals(const Filter& filter, const Measures& totals) const {
  totals_.Keep(filter, generation_, totals);
}

std::optional<Measures> ColumnarEngine::CachedTotals(const Filter& filter) const {
  return totals_.Find(filter, generation_);
}

void ColumnarEngine::ClearAnswers() const {
  totals_.Clear();
  breakdowns_.Clear();
  trends_.Clear();
  scored_.Clear();
}

absl::StatusOr<std::vector<GroupMeasures>> ColumnarEngine::BreakdownLocked(
    const Filter& filter, Dimension dimension) const {
  if (table_ == nullptr) return Unavailable();
  const std::pair<Filter, Dimension> key{filter, dimension};
  if (auto known = breakdowns_.Find(key, generation_)) return *std::move(known);
  std::vector<GroupMeasures> groups;
  if (dimension == Dimension::kCustomer) {
    groups = CustomerBreakdown(filter);
  } else if (filter == Filter{} &&
             table_->dictionaries().dims[columnar::DimIndex(dimension)].size() <=
                 columnar::KeptBreakdown::kMaxGroups) {
    // The dashboard's question, answered from what is kept across writes.
    groups = BreakdownFromBase(dimension);
  } else {
    groups = DimensionBreakdown(filter, dimension);
  }
  breakdowns_.Keep(key, generation_, groups);
  return groups;
}

std::vector<GroupMeasures> ColumnarEngine::BreakdownFromBase(Dimension dimension) const {
  const LineTable& table = *table_;
  const std::size_t dim = columnar::DimIndex(dimension);
  const columnar::StringDictionary& values = table.dictionaries().dims[dim];
  std::lock_guard lock(breakdown_bases_mutex_);
  std::unique_ptr<columnar::KeptBreakdown>& base = breakdown_bases_[dim];
  if (base == nullptr) {
    base = std::make_unique<columnar::KeptBreakdown>(table, dim);
  } else {
    base->Refresh(table);
  }
  std::vector<GroupMeasures> result;
  bool any_lines = false;
  for (std::uint32_t g = 0; g < base->groups().size(); ++g) {
    const columnar::KeptBreakdown::Group& group = base->groups()[g];
    if (group.lines == 0) continue;
    any_lines = true;
    const std::string key(values.Get(g));
    result.push_back({.key = key, .label = key, .measures = group.measures});
  }
  if (any_lines) KeepTotals({}, base->Total());
  return result;
}

std::vector<GroupMeasures> ColumnarEngine::DimensionBreakdown(const Filter& filter,
                                                              Dimension dimension) const {
  const LineTable& table = *table_;
  const Columns& c = table.columns();
  const std::size_t dim = columnar::DimIndex(dimension);
  const columnar::StringDictionary& values = table.dictionaries().dims[dim];
  const std::uint32_t groups = values.size();
  const RowFilter rows(table, filter);
  struct Acc {
    Measures m;
    std::uint32_t last_order = columnar::kNoRow;
    bool present = false;
  };
  const std::uint32_t order_count = table.dictionaries().orders.size();
  const std::uint32_t customer_count = table.dictionaries().customers.size();
  // The report asks for the filter's totals next: they come out of the same
  // pass (distinct orders and customers over all groups need their own).
  struct Part {
    std::vector<Acc> acc;
    GroupDistinct spread;
    GroupDistinct customers;
    Measures total;
    DenseBitset all_spread;
    DenseBitset all_customers;
  };
  std::array<std::optional<Part>, 2> parts;
  const auto scan = [&](int index, std::uint32_t lo, std::uint32_t hi) {
    Part& part = parts[index].emplace(Part{.acc = std::vector<Acc>(groups),
                                           .spread = GroupDistinct(groups, order_count),
                                           .customers = GroupDistinct(groups, customer_count),
                                           .total = {},
                                           .all_spread = DenseBitset(order_count),
                                           .all_customers = DenseBitset(customer_count)});
    std::uint32_t last_order = columnar::kNoRow;
    rows.ForEachBlockIn(lo, hi, [&](const auto& block) {
      const std::uint16_t* const group_of = c.dims[dim].data();
      const Micros* const sales = c.sales.data();
      const Micros* const profit = c.profit.data();
      const std::int64_t* const quantity = c.quantity.data();
      const std::uint32_t* const order_of = c.order.data();
      const std::uint32_t* const customer_of = c.customer.data();
      Acc* const groups_acc = part.acc.data();
      std::uint64_t* const all_customer_words = part.all_customers.words();
      Micros revenue = 0;
      Micros profit_sum = 0;
      std::int64_t units = 0;
      std::int64_t orders = 0;
      std::uint32_t last = last_order;
      for (std::uint32_t i = 0; i < block.size(); ++i) {
        const std::uint32_t r = block[i];
        const std::uint32_t g = group_of[r];
        Acc& a = groups_acc[g];
        const Micros s = sales[r];
        const Micros p = profit[r];
        const std::int64_t q = quantity[r];
        a.m.revenue += s;
        a.m.profit += p;
        a.m.units += q;
        a.present = true;
        revenue += s;
        profit_sum += p;
        units += q;
        const std::uint32_t order = order_of[r];
        if (order & columnar::kSpreadOrder) [[unlikely]] {
          part.spread.Add(g, order & columnar::kOrderIdMask);
          part.all_spread.Set(order & columnar::kOrderIdMask);
        } else {
          a.m.orders += order != a.last_order;
          orders += order != last;
        }
        a.last_order = order;
        last = order;
        const std::uint32_t customer = customer_of[r];
        part.customers.Add(g, customer);
        columnar::SetBit(all_customer_words, customer);
      }
      AddSums(part.total,
              {.revenue = revenue, .profit = profit_sum, .orders = orders, .units = units});
      last_order = last;
    });
  };
  SplitScan(c, rows, options_.parallel_min_rows, scan);
  Part& all = *parts[0];
  if (parts[1]) {
    const Part& second = *parts[1];
    for (std::uint32_t g = 0; g < groups; ++g) {
      Acc& a = all.acc[g];
      const Acc& b = second.acc[g];
      AddSums(a.m, b.m);
      a.present = a.present || b.present;
    }
    all.spread.Merge(second.spread);
    all.customers.Merge(second.customers);
    AddSums(all.total, second.total);
    all.all_spread.Or(second.all_spread);
    all.all_customers.Or(second.all_customers);
  }
  Measures total = all.total;
  total.orders += all.all_spread.Count();
  total.customers = all.all_customers.Count();
  if (!rows.empty()) KeepTotals(filter, total);
  const std::vector<Acc>& acc = all.acc;
  const std::vector<std::int64_t> spread_counts = all.spread.Counts(groups);
  const std::vector<std::int64_t> customer_counts = all.customers.Counts(groups);
  std::vector<GroupMeasures> result;
  for (std::uint32_t g = 0; g < groups; ++g) {
    if (!acc[g].present) continue;
    Measures m = acc[g].m;
    m.orders += spread_counts[g];
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
  CustomerOrders spread(table);
  std::uint32_t last_order = columnar::kNoRow;
  rows.ForEachBlock([&](const auto& block) {
    Acc* const customers_acc = acc.data();
    std::uint32_t last = last_order;
    const std::uint32_t count = block.size();
    for (std::uint32_t i = 0; i < count; ++i) {
      if (i + kPrefetchRows < count) {
        __builtin_prefetch(&customers_acc[c.customer[block[i + kPrefetchRows]]], 1);
      }
      const std::uint32_t r = block[i];
      const std::uint32_t customer = c.customer[r];
      Acc& a = customers_acc[customer];
      a.m.revenue += c.sales[r];
      a.m.profit += c.profit[r];
      a.m.units += c.quantity[r];
      const std::uint32_t order = c.order[r];
      if (order & columnar::kSpreadOrder) [[unlikely]] {
        a.m.orders += spread.FirstTime(customer, order & columnar::kOrderIdMask) ? 1 : 0;
      } else {
        // A compact order has one customer: its first matching row counts.
        a.m.orders += order != last;
      }
      last = order;
      a.latest_row = r;
    }
    last_order = last;
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

absl::StatusOr<std::vector<TrendPoint>> ColumnarEngine::TrendLocked(const Filter& filter,
                                                                    Granularity granularity) const {
  if (table_ == nullptr) return Unavailable();
  const std::pair<Filter, Granularity> key{filter, granularity};
  if (auto known = trends_.Find(key, generation_)) return *std::move(known);
  std::vector<TrendPoint> points = ComputeTrend(filter, granularity);
  trends_.Keep(key, generation_, points);
  return points;
}

std::vector<TrendPoint> ColumnarEngine::ComputeTrend(const Filter& filter,
                                                     Granularity granularity) const {
  const LineTable& table = *table_;
  const Columns& c = table.columns();
  const RowFilter rows(table, filter);
  std::vector<TrendPoint> points;
  // Rows ascend by day, so buckets arrive one after another. A compact
  // order lies within one day, hence one bucket; spread orders get a bit
  // each, and a closing bucket clears only the words it touched.
  std::vector<std::uint64_t> spread_bits((table.dictionaries().orders.size() + 63) / 64, 0);
  std::vector<std::uint32_t> touched;
  Day bucket_end = 0;  // first day after the open bucket
  bool open = false;
  std::uint32_t last_order = columnar::kNoRow;
  TrendPoint point;
  const auto close = [&] {
    for (const std::uint32_t word : touched) spread_bits[word] = 0;
    touched.clear();
    points.push_back(point);
  };
  rows.ForEachBlock([&](const auto& block) {
    const Day* const day_of = c.day.data();
    const Micros* const sales = c.sales.data();
    const Micros* const profit = c.profit.data();
    const std::uint32_t* const order_of = c.order.data();
    std::uint32_t i = 0;
    while (i < block.size()) {
      const Day day = day_of[block[i]];
      if (!open || day >= bucket_end) {
        if (open) close();
        open = true;
        const Day start = BucketStart(day, granularity);
        bucket_end = NextBucketStart(start, granularity);
        point = TrendPoint{.bucket_start = start};
        last_order = columnar::kNoRow;
      }
      // The block's rows up to the bucket's end: a tight loop with locals.
      Micros revenue = 0;
      Micros profit_sum = 0;
      std::int64_t orders = 0;
      std::uint32_t last = last_order;
      for (; i < block.size(); ++i) {
        const std::uint32_t r = block[i];
        if (day_of[r] >= bucket_end) break;
        revenue += sales[r];
        profit_sum += profit[r];
        const std::uint32_t order = order_of[r];
        if (order & columnar::kSpreadOrder) [[unlikely]] {
          const std::uint32_t id = order & columnar::kOrderIdMask;
          std::uint64_t& word = spread_bits[id >> 6];
          const std::uint64_t bit = std::uint64_t{1} << (id & 63);
          if ((word & bit) == 0) {
            if (word == 0) touched.push_back(id >> 6);
            word |= bit;
            ++orders;
          }
        } else {
          orders += order != last;
        }
        last = order;
      }
      point.revenue += revenue;
      point.profit += profit_sum;
      point.orders += orders;
      last_order = last;
    }
  });
  if (open) close();
  return points;
}

absl::StatusOr<std::optional<DateSpan>> ColumnarEngine::SpanLocked(const Filter& filter) const {
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

absl::StatusOr<CustomerRfmList> ColumnarEngine::ScoreCustomersLocked(const Filter& filter,
                                                                     Day as_of) const {
  if (table_ == nullptr) return Unavailable();
  const std::pair<Filter, Day> key{filter, as_of};
  if (auto known = scored_.Find(key, generation_)) return *std::move(known);
  // The records' texts are views into the dictionaries, which the list keeps.
  CustomerRfmList customers = MakeCustomerRfmList(
      ComputeScores(filter, as_of), table_->shared_dictionaries(),
      [pool = records_pool_](CustomerRfmRecords records) { pool->Give(std::move(records)); });
  scored_.Keep(key, generation_, customers);
  return customers;
}

// What RFM needs of one customer's matching lines: lifetime figures over
// all of them, scored figures over those on or before the as-of day. A pure
// function of the customer's own lines (their row order among themselves is
// (day, key), whatever else the table holds): the unfiltered accumulators
// stay right for every customer a write does not touch.
struct ColumnarEngine::CustomerAcc {
  Micros life_revenue = 0;
  Micros life_profit = 0;
  Micros monetary = 0;
  std::uint32_t life_orders = 0;
  std::uint32_t frequency = 0;
  Day first = 0;
  Day last = 0;
  Day last_scored = 0;
  std::uint32_t name = 0;
  std::uint16_t segment = 0;
  std::uint16_t region = 0;
  bool seen = false;
  bool scored = false;
};

// The unfiltered accumulators of the last scoring as of `as_of`, and which
// customers' lines changed since (bit per customer id; ids beyond acc's size
// are new customers).
struct ColumnarEngine::ScoreBase {
  Day as_of = 0;
  std::vector<CustomerAcc> acc;
  std::vector<std::uint64_t> dirty;
};

namespace {

// One matching row into its customer's accumulator. Rows must come in row
// order (ascending day): the first row met has the first date and the last
// is the latest line (ties on date: greatest key last). `last` is the order
// of the previous matching row: a compact order (consecutive rows, one
// customer, one day) counts at its first row; spread orders' rows are set
// aside, their distinct counting needs one set over all rows.
struct RowAdder {
  const Day* day_of;
  const Micros* sales;
  const Micros* profit;
  const std::uint32_t* order_of;
  const std::uint32_t* name_of;
  const std::uint16_t* segment_of;
  const std::uint16_t* region_of;
  Day as_of;

  RowAdder(const Columns& c, Day as_of_day)
      : day_of(c.day.data()),
        sales(c.sales.data()),
        profit(c.profit.data()),
        order_of(c.order.data()),
        name_of(c.name.data()),
        segment_of(c.dims[columnar::DimIndex(Dimension::kSegment)].data()),
        region_of(c.dims[columnar::DimIndex(Dimension::kRegion)].data()),
        as_of(as_of_day) {}

  template <typename Acc>
  void Add(Acc& a, std::uint32_t r, std::uint32_t& last,
           std::vector<std::uint32_t>& spread_rows) const {
    const std::uint32_t order = order_of[r];
    const Day day = day_of[r];
    const bool scored = day <= as_of;
    if (!a.seen) a.first = day;
    a.seen = true;
    a.last = day;
    a.name = name_of[r];
    a.segment = segment_of[r];
    a.region = region_of[r];
    a.life_revenue += sales[r];
    a.life_profit += profit[r];
    if (order & columnar::kSpreadOrder) [[unlikely]] {
      spread_rows.push_back(r);
    } else {
      const bool first = order != last;
      a.life_orders += first;
      a.frequency += first && scored;
    }
    last = order;
    if (scored) {
      a.scored = true;
      a.last_scored = day;
      a.monetary += sales[r];
    }
  }
};

// Counts the spread orders of `spread_rows` (in row order) into `acc`.
template <typename Acc>
void AddSpreadOrders(const LineTable& table, const std::vector<std::uint32_t>& spread_rows,
                     Day as_of, std::vector<Acc>& acc) {
  if (spread_rows.empty()) return;
  const Columns& c = table.columns();
  CustomerOrders life_spread(table);
  CustomerOrders scored_spread(table);
  for (const std::uint32_t r : spread_rows) {
    const std::uint32_t customer = c.customer[r];
    const std::uint32_t id = c.order[r] & columnar::kOrderIdMask;
    Acc& a = acc[customer];
    a.life_orders += life_spread.FirstTime(customer, id) ? 1 : 0;
    if (c.day[r] <= as_of) a.frequency += scored_spread.FirstTime(customer, id) ? 1 : 0;
  }
}

}  // namespace

std::vector<ColumnarEngine::CustomerAcc> ColumnarEngine::AccumulateAll(const Filter& filter,
                                                                       Day as_of) const {
  const LineTable& table = *table_;
  const Columns& c = table.columns();
  const Dictionaries& d = table.dictionaries();
  const RowFilter rows(table, filter);
  const RowAdder adder(c, as_of);
  // Per half of the rows (SplitScan): the accumulators (one cache line per
  // customer; the latest line's attributes are copied as rows go by rather
  // than looked up at the end, three random reads per customer) and the
  // rows of spread orders, counted once both halves are done (they are few).
  struct Part {
    std::vector<CustomerAcc> acc;
    std::vector<std::uint32_t> spread_rows;
  };
  std::array<std::optional<Part>, 2> parts;
  const auto scan = [&](int index, std::uint32_t lo, std::uint32_t hi) {
    Part& part = parts[index].emplace(
        Part{.acc = std::vector<CustomerAcc>(d.customers.size()), .spread_rows = {}});
    std::uint32_t last_order = columnar::kNoRow;
    rows.ForEachBlockIn(lo, hi, [&](const auto& block) {
      CustomerAcc* const customers_acc = part.acc.data();
      const std::uint32_t* const customer_of = c.customer.data();
      std::uint32_t last = last_order;
      const std::uint32_t count = block.size();
      for (std::uint32_t i = 0; i < count; ++i) {
        // The accumulators (~6 MB for 100k customers) do not fit in cache and
        // rows meet customers in no useful order: fetch a few rows ahead.
        if (i + kPrefetchRows < count) {
          __builtin_prefetch(&customers_acc[customer_of[block[i + kPrefetchRows]]], 1);
        }
        const std::uint32_t r = block[i];
        adder.Add(customers_acc[customer_of[r]], r, last, part.spread_rows);
      }
      last_order = last;
    });
  };
  SplitScan(c, rows, options_.parallel_min_rows, scan);
  std::vector<CustomerAcc>& acc = parts[0]->acc;
  if (parts[1]) {
    // The second half's rows come later: its first/last decide accordingly.
    for (std::size_t i = 0; i < acc.size(); ++i) {
      CustomerAcc& a = acc[i];
      const CustomerAcc& b = parts[1]->acc[i];
      if (!b.seen) continue;
      if (!a.seen) a.first = b.first;
      a.seen = true;
      a.last = b.last;
      a.name = b.name;
      a.segment = b.segment;
      a.region = b.region;
      a.life_revenue += b.life_revenue;
      a.life_profit += b.life_profit;
      a.life_orders += b.life_orders;
      a.frequency += b.frequency;
      a.monetary += b.monetary;
      if (b.scored) {
        a.scored = true;
        a.last_scored = b.last_scored;
      }
    }
    std::vector<std::uint32_t>& spread_rows = parts[0]->spread_rows;
    spread_rows.insert(spread_rows.end(), parts[1]->spread_rows.begin(),
                       parts[1]->spread_rows.end());
  }
  AddSpreadOrders(table, parts[0]->spread_rows, as_of, acc);
  return std::move(acc);
}

void ColumnarEngine::RefreshScoreBase(ScoreBase& base) const {
  const LineTable& table = *table_;
  const Columns& c = table.columns();
  const std::uint32_t customers = table.dictionaries().customers.size();
  // New customers came with the lines that marked them changed.
  base.dirty.resize((std::size_t{customers} + 63) / 64, 0);
  base.acc.resize(customers);
  std::size_t dirty = 0;
  for (const std::uint64_t word : base.dirty)
    dirty += static_cast<std::size_t>(std::popcount(word));
  if (dirty == 0) return;
  // Past a sixteenth of the customers (and a few hundred), picking out
  // their rows costs about what a pass over every row does.
  if (dirty > 256 && dirty > customers / 16) {
    base.acc = AccumulateAll({}, base.as_of);
    std::fill(base.dirty.begin(), base.dirty.end(), 0);
    return;
  }
  columnar::ForEachSetBit(base.dirty,
                          [&](std::uint32_t customer) { base.acc[customer] = CustomerAcc{}; });
  const std::uint64_t* const dirty_words = base.dirty.data();
  // Their rows, in row order: a sequential pass over the customer column.
  // A compact order's rows are consecutive and all its customer's, so the
  // run rule of RowAdder holds over the picked rows too.
  const RowAdder adder(c, base.as_of);
  const std::uint32_t* const customer_of = c.customer.data();
  std::vector<std::uint32_t> spread_rows;
  std::uint32_t last = columnar::kNoRow;
  const auto rows = static_cast<std::uint32_t>(c.size());
  for (std::uint32_t r = 0; r < rows; ++r) {
    const std::uint32_t customer = customer_of[r];
    if (columnar::TestBit(dirty_words, customer)) [[unlikely]] {
      adder.Add(base.acc[customer], r, last, spread_rows);
    }
  }
  AddSpreadOrders(table, spread_rows, base.as_of, base.acc);
  std::fill(base.dirty.begin(), base.dirty.end(), 0);
}

CustomerRfmRecords ColumnarEngine::ComputeScores(const Filter& filter, Day as_of) const {
  if (filter != Filter{}) return ScoreFrom(AccumulateAll(filter, as_of), as_of);
  // Unfiltered (the dashboard's question): after a write, only the
  // customers it touched are accumulated again.
  std::lock_guard lock(score_base_mutex_);
  if (score_base_ == nullptr || score_base_->as_of != as_of) {
    score_base_ = std::make_unique<ScoreBase>(
        ScoreBase{.as_of = as_of, .acc = AccumulateAll({}, as_of), .dirty = {}});
  } else {
    RefreshScoreBase(*score_base_);
  }
  return ScoreFrom(score_base_->acc, as_of);
}

void ColumnarEngine::MarkChanged(const columnar::WriteChanges* changes) {
  {
    std::lock_guard lock(score_base_mutex_);
    if (score_base_ != nullptr && changes == nullptr) score_base_.reset();
    if (score_base_ != nullptr) {
      for (const auto* rows : {&changes->removed, &changes->added}) {
        for (const columnar::ChangedRow& row : *rows) {
          columnar::SetBitGrowing(score_base_->dirty, row.customer);
        }
      }
    }
  }
  std::lock_guard lock(breakdown_bases_mutex_);
  for (std::unique_ptr<columnar::KeptBreakdown>& base : breakdown_bases_) {
    if (base != nullptr && (changes == nullptr || !base->Note(*changes))) base.reset();
  }
}

CustomerRfmRecords ColumnarEngine::ScoreFrom(const std::vector<CustomerAcc>& acc, Day as_of) const {
  const LineTable& table = *table_;
  const Dictionaries& d = table.dictionaries();
  const std::size_t region_dim = columnar::DimIndex(Dimension::kRegion);
  const std::size_t segment_dim = columnar::DimIndex(Dimension::kSegment);
  std::vector<std::uint32_t> scored;  // in customer_id order
  for (const std::uint32_t customer : table.customers_by_id()) {
    if (acc[customer].scored) scored.push_back(customer);
  }
  std::vector<std::int64_t> recency(scored.size());
  std::vector<std::int64_t> frequency(scored.size());
  std::vector<std::int64_t> monetary(scored.size());
  for (std::size_t i = 0; i < scored.size(); ++i) {
    const CustomerAcc& a = acc[scored[i]];
    recency[i] = std::int64_t{as_of} - a.last_scored;
    frequency[i] = a.frequency;
    monetary[i] = a.monetary;
  }
  // Many customers: the monetary ranking (a radix sort) and then half of
  // the records on a helper thread.
  const bool two_threads =
      scored.size() >= std::max<std::uint32_t>(options_.parallel_min_rows / 8, 2);
  std::vector<int> r_scores;
  std::vector<int> f_scores;
  std::vector<int> m_scores;
  // The records are sized meanwhile (resizing writes every one of them).
  CustomerRfmRecords result = records_pool_->Take();
  InParallel(
      two_threads, [&] { m_scores = columnar::RankScores(monetary, Better::kHigher); },
      [&] {
        r_scores = columnar::RankScores(recency, Better::kLower);
        f_scores = columnar::RankScores(frequency, Better::kHigher);
        result.clear();
        result.resize(scored.size());
      });

  // The texts are views into the dictionaries (the list keeps them).
  const auto fill = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const CustomerAcc& a = acc[scored[i]];
      result[i] = CustomerRfm{
          .customer_id = d.customers.Get(scored[i]),
          .customer_name = d.names.Get(a.name),
          .segment = d.dims[segment_dim].Get(a.segment),
          .region = d.dims[region_dim].Get(a.region),
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
      };
    }
  };
  const std::size_t middle = scored.size() / 2;
  InParallel(
      two_threads, [&] { fill(0, middle); }, [&] { fill(middle, scored.size()); });
  return result;
}

}  // namespace analytics
