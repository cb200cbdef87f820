#include "query/columnar/columnar_engine.h"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/line_fields.h"
#include "query/columnar/base_scores.h"
#include "query/columnar/breakdown.h"
#include "query/columnar/customer_days.h"
#include "query/columnar/pending_write.h"
#include "query/columnar/row_filter.h"
#include "query/columnar/totals.h"
#include "query/columnar/trend.h"

namespace analytics {

using columnar::LineTable;
using columnar::RowFilter;
using columnar::StagedWrite;

namespace {

// The fields the table keeps (line_table.h): what the start-up load reads.
constexpr std::array<LineField, 14> kLoadedFields = {
    LineField::kLineKey,      LineField::kOrderId, LineField::kOrderDate, LineField::kCustomerId,
    LineField::kCustomerName, LineField::kRegion,  LineField::kCategory,  LineField::kSubCategory,
    LineField::kSegment,      LineField::kState,   LineField::kShipMode,  LineField::kSales,
    LineField::kProfit,       LineField::kQuantity};

// Writes smaller than this leave the allocator alone; after larger ones the
// freed merge buffers are handed back to the system, so RSS tracks the data.
constexpr std::size_t kTrimAfterRows = 100'000;

// Writes of more lines than this drop the answers kept across writes
// rather than list the rows they changed (bringing the answers up to date
// would read every row anyway).
constexpr std::size_t kMaxTrackedLines = 4096;

absl::Status Unavailable() {
  return absl::UnavailableError("the columnar engine stopped serving; see the server log");
}

// Reads every stored line into one staged write.
absl::Status LoadAll(StoreSnapshot& snapshot, StagedWrite& staged) {
  absl::StatusOr<std::int64_t> count = snapshot.StoredLineCount();
  if (!count.ok()) return count.status();
  staged.Reserve(static_cast<std::size_t>(*count));
  return snapshot.ReadStoredLines(kLoadedFields, [&](const OrderLine& line) { staged.Add(line); });
}

}  // namespace

class ColumnarEngine::RecordsPool {
 public:
  // Records with the tag of the scoring that made them (0: none, or not
  // an unfiltered scoring): the unfiltered scoring after a small write
  // updates those of the previous one in place (ScoreFromBase).
  struct Spare {
    CustomerRfmRecords records;
    std::uint64_t id = 0;
  };
  Spare Take() {
    columnar::MutexLock lock(&mutex_);
    return std::exchange(spare_, {});
  }
  // Keeps the larger of the spare and `records`; the later at equal sizes
  // (the previous scoring's).
  void Give(CustomerRfmRecords records, std::uint64_t id) {
    columnar::MutexLock lock(&mutex_);
    if (records.capacity() >= spare_.records.capacity()) {
      spare_ = Spare{.records = std::move(records), .id = id};
    }
  }

 private:
  columnar::Mutex mutex_;
  Spare spare_ ABSL_GUARDED_BY(mutex_);
};

// The engine as seen while its caller holds the read lock: every call goes
// straight to the locked implementations, so no write lands in between.
class ColumnarEngine::View final : public QueryEngine {
 public:
  explicit View(const ColumnarEngine& engine) : engine_(engine) {}

  absl::StatusOr<Measures> Totals(const Filter& filter) override {
    engine_.mutex_.AssertHeld();
    return engine_.TotalsLocked(filter);
  }
  absl::StatusOr<std::vector<GroupMeasures>> Breakdown(const Filter& filter,
                                                       Dimension dimension) override {
    engine_.mutex_.AssertHeld();
    return engine_.BreakdownLocked(filter, dimension);
  }
  absl::StatusOr<std::vector<TrendPoint>> Trend(const Filter& filter,
                                                Granularity granularity) override {
    engine_.mutex_.AssertHeld();
    return engine_.TrendLocked(filter, granularity);
  }
  absl::StatusOr<std::optional<DateSpan>> Span(const Filter& filter) override {
    engine_.mutex_.AssertHeld();
    return engine_.SpanLocked(filter);
  }
  absl::StatusOr<CustomerRfmList> ScoreCustomers(const Filter& filter, Day as_of) override {
    engine_.mutex_.AssertHeld();
    return engine_.ScoreCustomersLocked(filter, as_of);
  }
  absl::StatusOr<CustomerDayList> CustomerDays(const Filter& filter) override {
    engine_.mutex_.AssertHeld();
    return engine_.CustomerDaysLocked(filter);
  }
  absl::Status ReadConsistently(
      const std::function<absl::Status(QueryEngine& view)>& read) override {
    return read(*this);
  }

 private:
  const ColumnarEngine& engine_;
};

ColumnarEngine::ColumnarEngine(Store& store, ColumnarEngineOptions options)
    : store_(store),
      options_(std::move(options)),
      table_(std::make_unique<LineTable>()),
      records_pool_(std::make_shared<RecordsPool>()) {}

ColumnarEngine::~ColumnarEngine() {
  if (snapshot_thread_.joinable()) {
    {
      columnar::MutexLock lock(&snapshot_wake_mutex_);
      snapshot_stopping_ = true;
    }
    snapshot_wake_.notify_all();
    snapshot_thread_.join();
  }
  if (subscribed_) store_.Unsubscribe(*this);
}

absl::StatusOr<std::unique_ptr<ColumnarEngine>> ColumnarEngine::Create(
    Store& store, ColumnarEngineOptions options) {
  std::unique_ptr<ColumnarEngine> engine(new ColumnarEngine(store, std::move(options)));
  EngineStartup& startup = engine->startup_;
  // Read before taking the store's lock: the file is checked (version,
  // checksum) on its own; only whether the store can replay after it needs
  // the store, in Load.
  std::optional<columnar::TableSnapshot> persisted;
  if (!engine->options_.snapshot_path.empty()) {
    if (!store.KeepWriteLog(true)) {
      startup.snapshot_ignored = "this store cannot replay from a snapshot; snapshots are off";
    } else {
      startup.snapshots = true;
      const auto started = std::chrono::steady_clock::now();
      absl::StatusOr<columnar::TableSnapshot> read =
          engine->options_.read_snapshot
              ? engine->options_.read_snapshot()
              : columnar::ReadTableSnapshot(engine->options_.snapshot_path);
      startup.read_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
      if (read.ok()) {
        persisted = *std::move(read);
      } else {
        startup.snapshot_ignored = std::string(read.status().message());
      }
    }
  }
  absl::Status status = store.Subscribe(*engine, [&](StoreSnapshot& snapshot) {
    return engine->Load(snapshot, persisted ? &*persisted : nullptr);
  });
  const std::optional<StorePosition> read_at =
      persisted ? std::optional<StorePosition>(persisted->position) : std::nullopt;
  persisted.reset();
  if (!status.ok()) {
    if (startup.snapshots) store.KeepWriteLog(false);
    return status;
  }
  engine->subscribed_ = true;
  malloc_trim(0);
  if (startup.from_snapshot) {
    // The log up to the snapshot read is not needed again: the folder may
    // drop it. (A failure only keeps it until the next snapshot.)
    (void)store.ReleaseWriteLog(*read_at);
  }
  if (startup.snapshots) {
    engine->snapshot_thread_ = std::thread([e = engine.get()] { e->RunSnapshots(); });
  }
  return engine;
}

absl::Status ColumnarEngine::Load(StoreSnapshot& snapshot, columnar::TableSnapshot* persisted) {
  // Nobody else holds the engine yet: the lock is for the rules' sake.
  columnar::WriterLock lock(&mutex_);
  position_ = snapshot.Position();
  if (persisted != nullptr) {
    if (absl::Status replayable = snapshot.CheckReplayableAfter(persisted->position);
        !replayable.ok()) {
      startup_.snapshot_ignored = std::string(replayable.message());
    } else {
      absl::StatusOr<std::int64_t> count = snapshot.LinesAfterCount(persisted->position);
      if (!count.ok()) return count.status();
      table_ = std::move(persisted->table);
      if (*count > 0) {
        StagedWrite replay(table_->columns().size() == 0);
        replay.Reserve(static_cast<std::size_t>(*count));
        if (absl::Status s = snapshot.ReadLinesAfter(
                persisted->position, [&](const OrderLine& line) { replay.Add(line); });
            !s.ok()) {
          return s;
        }
        if (absl::Status s = table_->Apply(replay).status(); !s.ok()) return s;
      }
      startup_.from_snapshot = true;
      startup_.replayed_lines = *count;
      // Nothing new to save until the next write.
      if (*count == 0) {
        columnar::MutexLock saved(&snapshot_write_mutex_);
        saved_position_ = persisted->position;
      }
      return Servable();
    }
  }
  StagedWrite staged = StagedWrite::WithUniqueKeys();
  if (absl::Status s = LoadAll(snapshot, staged); !s.ok()) return s;
  if (absl::Status s = table_->Apply(staged).status(); !s.ok()) return s;
  // Then what the store logged and has not folded yet, as the upserts they
  // are (into an empty table, as a replace: see BeginWrite).
  absl::StatusOr<std::int64_t> logged = snapshot.LoggedLineCount();
  if (!logged.ok()) return logged.status();
  if (*logged > 0) {
    StagedWrite replay(table_->columns().size() == 0);
    replay.Reserve(static_cast<std::size_t>(*logged));
    if (absl::Status s = snapshot.ReadLoggedLines([&](const OrderLine& line) { replay.Add(line); });
        !s.ok()) {
      return s;
    }
    if (absl::Status s = table_->Apply(replay).status(); !s.ok()) return s;
  }
  return Servable();
}

std::unique_ptr<PendingWrite> ColumnarEngine::BeginWrite(bool replace) {
  columnar::ReaderLock lock(&mutex_);
  if (table_ == nullptr) return std::make_unique<columnar::IgnoredWrite>();
  // Into an empty table a write is a replace, whose staging interns keys
  // and dictionaries on the encoding thread and whose Apply adopts them
  // as they are instead of mapping every id again under the lock. (Writes
  // are serialised by the store, so the table stays empty until Apply.)
  return std::make_unique<columnar::StagingWrite>(
      replace || table_->columns().size() == 0,
      [this](StagedWrite& staged) { return Apply(staged); });
}

absl::Status ColumnarEngine::Servable() const {
  if (!table_->SumsFit()) {
    return absl::FailedPreconditionError(
        "the stored amounts are large enough that sums could overflow 64 bits");
  }
  const std::size_t budget = options_.memory_budget_bytes;
  const std::size_t bytes = table_->MemoryBytes();
  if (budget != 0 && bytes > budget) {
    return absl::ResourceExhaustedError(absl::StrCat("the lines need ", bytes >> 20,
                                                     " MiB in memory, over the budget of ",
                                                     budget >> 20, " MiB"));
  }
  return absl::OkStatus();
}

void ColumnarEngine::Stop() {
  table_.reset();
  ClearAnswers();
  MarkChanged(nullptr);
}

std::optional<WriteResult> ColumnarEngine::Apply(StagedWrite& staged) {
  std::string stopped_because;
  std::optional<WriteResult> counts;
  std::int64_t rows_after = 0;
  {
    columnar::WriterLock lock(&mutex_);
    if (table_ == nullptr) return std::nullopt;
    // What a small write changed, for the answers kept across writes; a
    // large one (or one replacing everything) drops them instead.
    columnar::WriteChanges changes;
    const bool track = !staged.replace() && staged.size() <= kMaxTrackedLines;
    columnar::Reassignments reassigned;
    reassigned.max_examples = kMaxReportedReassignments;
    if (absl::StatusOr<std::int64_t> inserted =
            table_->Apply(staged, track ? &changes : nullptr, &reassigned);
        !inserted.ok()) {
      stopped_because = std::string(inserted.status().message());
    } else {
      counts.emplace();
      counts->inserted = *inserted;
      counts->updated = static_cast<std::int64_t>(staged.size()) - *inserted;
      const columnar::Dictionaries& d = table_->dictionaries();
      counts->reassigned = reassigned.count;
      for (const columnar::Reassignment& r : reassigned.first) {
        counts->reassigned_lines.push_back(ReassignedLine{
            .line_key = std::string(d.keys.Get(r.key)),
            .previous_order_id = std::string(d.orders.Get(r.previous_order)),
            .order_id = std::string(d.orders.Get(r.order)),
            .previous_customer_id = std::string(d.customers.Get(r.previous_customer)),
            .customer_id = std::string(d.customers.Get(r.customer))});
      }
      MarkChanged(track ? &changes : nullptr);
      stopped_because = std::string(Servable().message());
      // A bulk write dropped the per-customer partials: built again now,
      // while the writer holds the lock anyway, so that the first RFM
      // question after an import finds them (one pass over the rows on two
      // threads, a few percent of the import's time).
      if (!track && stopped_because.empty()) BuildScoreBaseNow();
    }
    ++generation_;
    // Called with the store's lock held: its position is this write's.
    position_ = store_.CommittedPosition();
    if (!stopped_because.empty()) {
      Stop();
    } else {
      ClearAnswers();
      rows_after = static_cast<std::int64_t>(table_->columns().size());
      // After a bulk write, the unfiltered scoring as of the last day (what
      // an RFM summary or a customer list without filters asks first) is
      // made now from the partials just rebuilt, while the writer holds the
      // lock anyway. Asked first, it cost 40-150 ms at 1M lines: writing
      // 100k fresh records into memory the write had just freed and the
      // system had not backed again (stores stalling, seen with perf).
      if (!track && rows_after > 0) {
        (void)ScoreCustomersLocked(Filter{}, table_->columns().day.back());
      }
    }
  }
  if (staged.size() >= kTrimAfterRows || !stopped_because.empty()) malloc_trim(0);
  if (!stopped_because.empty()) {
    // No snapshot will cover what comes next: the store need not keep its log.
    if (startup_.snapshots) store_.KeepWriteLog(false);
    if (options_.on_stop) options_.on_stop(stopped_because);
    return counts;
  }
  if (startup_.snapshots) MaybeSnapshotAfter(static_cast<std::int64_t>(staged.size()), rows_after);
  return counts;
}

void ColumnarEngine::MaybeSnapshotAfter(std::int64_t written, std::int64_t rows_after) {
  const std::int64_t applied = lines_applied_.fetch_add(written) + written;
  const std::int64_t due = std::max<std::int64_t>(options_.snapshot_after_lines, rows_after / 8);
  if (applied - lines_at_snapshot_.load() < due) return;
  if (written >= due) {
    // One large write (a bulk import): its snapshot goes in place now,
    // before the caller hears the write succeeded, so that a crash or a
    // SIGKILL right after restarts from it (a second at a million lines)
    // instead of rebuilding the table from the store (~3 s). Writing to
    // the page cache costs ~0.1 s a million lines; the fsync, which would
    // cost more, is left to the background writer below.
    const auto started = std::chrono::steady_clock::now();
    Report(WriteSnapshot(/*durable=*/false), started, /*durable=*/false);
  }
  {
    columnar::MutexLock lock(&snapshot_wake_mutex_);
    snapshot_wanted_ = true;
  }
  snapshot_wake_.notify_all();
}

void ColumnarEngine::Report(const absl::Status& status,
                            std::chrono::steady_clock::time_point started, bool durable) const {
  if (!options_.on_snapshot) return;
  options_.on_snapshot(status, LineCount(),
                       std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count(),
                       durable);
}

void ColumnarEngine::RunSnapshots() {
  for (;;) {
    {
      columnar::MutexLock lock(&snapshot_wake_mutex_);
      while (!snapshot_wanted_ && !snapshot_stopping_) snapshot_wake_mutex_.Wait(snapshot_wake_);
      if (snapshot_stopping_) return;
      snapshot_wanted_ = false;
    }
    const auto started = std::chrono::steady_clock::now();
    Report(WriteSnapshot(/*durable=*/true), started, /*durable=*/true);
  }
}

absl::Status ColumnarEngine::WriteSnapshot(bool durable) {
  if (!startup_.snapshots) return absl::FailedPreconditionError("snapshots are off");
  StorePosition position;
  {
    columnar::MutexLock one_at_a_time(&snapshot_write_mutex_);
    absl::StatusOr<std::string> temp;
    {
      // Readers go on; a write waits until the table is copied to the file
      // (the page cache: about memory speed).
      columnar::ReaderLock lock(&mutex_);
      if (table_ == nullptr) return Unavailable();
      if (!position_) return absl::FailedPreconditionError("the store gave no position");
      position = *position_;
      if (saved_position_ != position_) {
        lines_at_snapshot_.store(lines_applied_.load());
        temp = columnar::WriteTableSnapshotTemp(options_.snapshot_path, *table_, position);
      }
    }
    if (saved_position_ != position) {
      if (!temp.ok()) return temp.status();
      absl::Status published = durable
                                   ? columnar::PublishTableSnapshot(*temp, options_.snapshot_path)
                                   : columnar::RenameTableSnapshot(*temp, options_.snapshot_path);
      if (!published.ok()) return published;
      saved_position_ = position;
      saved_durable_ = durable;
    }
    if (!durable) return absl::OkStatus();
    if (!saved_durable_) {
      // Renamed by a write that did not wait for the disk, or read at
      // start-up (it may have been in the page cache only, before a kill).
      if (absl::Status s = columnar::SyncTableSnapshot(options_.snapshot_path); !s.ok()) return s;
      saved_durable_ = true;
    }
  }
  // The log up to the snapshot is no longer needed for replay (batches
  // folded since may also go). Outside the snapshot lock: this takes the
  // store's, and a write holding the store's lock may be waiting for the
  // snapshot lock (MaybeSnapshotAfter). Releasing an older position after a
  // newer one is harmless (the store keeps the highest).
  return store_.ReleaseWriteLog(position);
}

absl::Status ColumnarEngine::ReadConsistently(
    const std::function<absl::Status(QueryEngine& view)>& read) {
  columnar::ReaderLock lock(&mutex_);
  // A stopped engine answers nothing: one Unavailable for the whole read,
  // which the fallback engine then serves.
  if (table_ == nullptr) return Unavailable();
  View view(*this);
  return read(view);
}

absl::StatusOr<Measures> ColumnarEngine::Totals(const Filter& filter) {
  columnar::ReaderLock lock(&mutex_);
  return TotalsLocked(filter);
}

absl::StatusOr<std::vector<GroupMeasures>> ColumnarEngine::Breakdown(const Filter& filter,
                                                                     Dimension dimension) {
  columnar::ReaderLock lock(&mutex_);
  return BreakdownLocked(filter, dimension);
}

absl::StatusOr<std::vector<TrendPoint>> ColumnarEngine::Trend(const Filter& filter,
                                                              Granularity granularity) {
  columnar::ReaderLock lock(&mutex_);
  return TrendLocked(filter, granularity);
}

absl::StatusOr<std::optional<DateSpan>> ColumnarEngine::Span(const Filter& filter) {
  columnar::ReaderLock lock(&mutex_);
  return SpanLocked(filter);
}

absl::StatusOr<CustomerRfmList> ColumnarEngine::ScoreCustomers(const Filter& filter, Day as_of) {
  columnar::ReaderLock lock(&mutex_);
  return ScoreCustomersLocked(filter, as_of);
}

absl::StatusOr<CustomerDayList> ColumnarEngine::CustomerDays(const Filter& filter) {
  columnar::ReaderLock lock(&mutex_);
  return CustomerDaysLocked(filter);
}

bool ColumnarEngine::serving() const {
  columnar::ReaderLock lock(&mutex_);
  return table_ != nullptr;
}

std::size_t ColumnarEngine::MemoryBytes() const {
  columnar::ReaderLock lock(&mutex_);
  return table_ == nullptr ? 0 : table_->MemoryBytes();
}

std::int64_t ColumnarEngine::LineCount() const {
  columnar::ReaderLock lock(&mutex_);
  return table_ == nullptr ? 0 : static_cast<std::int64_t>(table_->columns().size());
}

absl::StatusOr<Measures> ColumnarEngine::TotalsLocked(const Filter& filter) const {
  if (table_ == nullptr) return Unavailable();
  if (std::optional<Measures> known = totals_.Find(filter, generation_)) return *known;
  if (filter == Filter{}) {
    // The dashboard's question, answered from what is kept across writes.
    const Measures totals = TotalsFromBase();
    KeepTotals(filter, totals);
    return totals;
  }
  const RowFilter rows(*table_, filter);
  if (rows.empty()) return Measures{};
  const Measures totals = columnar::ScanTotals(*table_, rows, options_.parallel_min_rows);
  KeepTotals(filter, totals);
  return totals;
}

Measures ColumnarEngine::TotalsFromBase() const {
  columnar::MutexLock lock(&kept_totals_mutex_);
  // None yet, or dropped by a bulk write: one pass over the rows, as the
  // scan would make.
  if (kept_totals_ == nullptr) kept_totals_ = std::make_unique<columnar::KeptTotals>(*table_);
  return kept_totals_->totals();
}

void ColumnarEngine::KeepTotals(const Filter& filter, const Measures& totals) const {
  totals_.Keep(filter, generation_, totals);
}

void ColumnarEngine::ClearAnswers() const {
  totals_.Clear();
  breakdowns_.Clear();
  trends_.Clear();
  scored_.Clear();
  customer_days_.Clear();
}

absl::StatusOr<std::vector<GroupMeasures>> ColumnarEngine::BreakdownLocked(
    const Filter& filter, Dimension dimension) const {
  if (table_ == nullptr) return Unavailable();
  const std::pair<Filter, Dimension> key{filter, dimension};
  if (auto known = breakdowns_.Find(key, generation_)) return *std::move(known);
  std::vector<GroupMeasures> groups;
  if (dimension == Dimension::kCustomer) {
    groups = columnar::ScanCustomerBreakdown(*table_, RowFilter(*table_, filter));
  } else if (filter == Filter{} &&
             table_->dictionaries().dims[columnar::DimIndex(dimension)].size() <=
                 columnar::KeptBreakdown::kMaxGroups) {
    // The dashboard's question, answered from what is kept across writes.
    groups = BreakdownFromBase(dimension);
  } else {
    const RowFilter rows(*table_, filter);
    columnar::DimensionGroups scanned =
        columnar::ScanDimensionBreakdown(*table_, rows, dimension, options_.parallel_min_rows);
    if (!rows.empty()) KeepTotals(filter, scanned.total);
    groups = std::move(scanned.groups);
  }
  breakdowns_.Keep(key, generation_, groups);
  return groups;
}

std::vector<GroupMeasures> ColumnarEngine::BreakdownFromBase(Dimension dimension) const {
  const LineTable& table = *table_;
  const std::size_t dim = columnar::DimIndex(dimension);
  const columnar::StringDictionary& values = table.dictionaries().dims[dim];
  columnar::MutexLock lock(&breakdown_bases_mutex_);
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

absl::StatusOr<std::vector<TrendPoint>> ColumnarEngine::TrendLocked(const Filter& filter,
                                                                    Granularity granularity) const {
  if (table_ == nullptr) return Unavailable();
  const std::pair<Filter, Granularity> key{filter, granularity};
  if (auto known = trends_.Find(key, generation_)) return *std::move(known);
  std::vector<TrendPoint> points =
      columnar::ScanTrend(*table_, RowFilter(*table_, filter), granularity);
  trends_.Keep(key, generation_, points);
  return points;
}

absl::StatusOr<std::optional<DateSpan>> ColumnarEngine::SpanLocked(const Filter& filter) const {
  if (table_ == nullptr) return Unavailable();
  return columnar::ScanSpan(*table_, RowFilter(*table_, filter));
}

absl::StatusOr<CustomerRfmList> ColumnarEngine::ScoreCustomersLocked(const Filter& filter,
                                                                     Day as_of) const {
  if (table_ == nullptr) return Unavailable();
  const std::pair<Filter, Day> key{filter, as_of};
  if (auto known = scored_.Find(key, generation_)) return *std::move(known);
  // The records' texts are views into the dictionaries, which the list keeps.
  ScoredRecords scored = ComputeScores(filter, as_of);
  CustomerRfmList customers =
      MakeCustomerRfmList(std::move(scored.records), table_->shared_dictionaries(),
                          [pool = records_pool_, id = scored.id](CustomerRfmRecords records) {
                            pool->Give(std::move(records), id);
                          });
  scored_.Keep(key, generation_, customers);
  return customers;
}

absl::StatusOr<CustomerDayList> ColumnarEngine::CustomerDaysLocked(const Filter& filter) const {
  if (table_ == nullptr) return Unavailable();
  if (auto known = customer_days_.Find(filter, generation_)) return *std::move(known);
  CustomerDayList days = std::make_shared<const CustomerDayHistory>(
      columnar::ScanCustomerDays(*table_, RowFilter(*table_, filter)));
  customer_days_.Keep(filter, generation_, days);
  return days;
}

ColumnarEngine::ScoredRecords ColumnarEngine::ComputeScores(const Filter& filter, Day as_of) const {
  const LineTable& table = *table_;
  const std::uint32_t parallel_min_rows = options_.parallel_min_rows;
  RecordsPool::Spare spare = records_pool_->Take();
  CustomerRfmRecords& records = spare.records;
  if (filter != Filter{}) {
    // A filter on dimensions only reads the kept per-customer partials
    // when they are as of the same day (base_scores.h); otherwise, and for
    // dates that narrow the rows, the filtered rows are scanned.
    if (columnar::BaseCanServe(table, filter)) {
      columnar::MutexLock lock(&score_base_mutex_);
      // None yet (start-up builds none: a snapshot start stays fast): built
      // by the first question as of the last day, which then costs one pass
      // over the rows, as a scan would.
      if (score_base_ == nullptr && table.columns().size() > 0 &&
          as_of == table.columns().day.back()) {
        score_base_ = std::make_unique<columnar::ScoreBase>(
            columnar::BuildScoreBase(table, as_of, parallel_min_rows));
      } else if (score_base_ != nullptr && score_base_->as_of == as_of) {
        columnar::RefreshScoreBase(table, *score_base_, parallel_min_rows);
      }
      if (score_base_ != nullptr && score_base_->as_of == as_of) {
        // Category filters read the per-category partials, built by the
        // first of them.
        if (!filter.categories.empty()) {
          columnar::KeepByValue(table, *score_base_, parallel_min_rows);
        }
        const columnar::BaseScored scored =
            columnar::AccumulateFromBase(table, *score_base_, filter, parallel_min_rows);
        columnar::ScoreCustomerRecords(table, scored.scored, as_of, parallel_min_rows, records);
        return {std::move(records), 0};
      }
    }
    columnar::ScoreCustomerRecords(
        table,
        columnar::AccumulateCustomers(table, RowFilter(table, filter), as_of, parallel_min_rows),
        as_of, parallel_min_rows, records);
    return {std::move(records), 0};
  }
  columnar::MutexLock lock(&score_base_mutex_);
  if (score_base_ == nullptr || score_base_->as_of != as_of) {
    score_base_ = std::make_unique<columnar::ScoreBase>(
        columnar::BuildScoreBase(table, as_of, parallel_min_rows));
  } else {
    columnar::RefreshScoreBase(table, *score_base_, parallel_min_rows);
  }
  const std::uint64_t id = ++scorings_;
  columnar::ScoreFromBase(table, *score_base_, parallel_min_rows, spare.id, id, records);
  return {std::move(records), id};
}

void ColumnarEngine::BuildScoreBaseNow() {
  const auto& days = table_->columns().day;
  columnar::MutexLock lock(&score_base_mutex_);
  if (days.empty()) {
    score_base_.reset();
    return;
  }
  // As of the last day: the as-of an RFM question without one takes. (The
  // per-category partials are left to the first category question.)
  score_base_ = std::make_unique<columnar::ScoreBase>(
      columnar::BuildScoreBase(*table_, days.back(), options_.parallel_min_rows));
  // And room for a scored list of every customer, populated now: the first
  // scoring then writes into memory already faulted in (RecordsPool).
  RecordsPool::Spare spare = records_pool_->Take();
  spare.records.reserve(score_base_->acc.size());
  // Untagged: no scoring of the new base made them.
  records_pool_->Give(std::move(spare.records), 0);
}

void ColumnarEngine::MarkChanged(const columnar::WriteChanges* changes) {
  {
    columnar::MutexLock lock(&score_base_mutex_);
    if (changes == nullptr) {
      score_base_.reset();
    } else if (score_base_ != nullptr) {
      columnar::NoteChanges(*score_base_, *changes);
    }
  }
  {
    columnar::MutexLock lock(&breakdown_bases_mutex_);
    for (std::unique_ptr<columnar::KeptBreakdown>& base : breakdown_bases_) {
      if (base != nullptr && (changes == nullptr || !base->Note(*changes))) base.reset();
    }
  }
  columnar::MutexLock lock(&kept_totals_mutex_);
  if (changes == nullptr) {
    kept_totals_.reset();
  } else if (kept_totals_ != nullptr) {
    kept_totals_->Note(*changes);
  }
}

}  // namespace analytics
