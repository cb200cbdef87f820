// The fast query engine: every aggregation answered from an in-memory,
// column-oriented copy of the order lines (line_table.h) instead of SQL.
//
// This folder is the engine, split the way an execution engine is: storage
// (columns.h, string_dictionary.h, line_table.h), write staging
// (staged_write.h, pending_write.h), filters (row_filter.h), the scan
// kernels as free functions over the table and a filter (totals.h,
// breakdown.h, trend.h, customer_scores.h), and answers kept across calls
// (recent_results.h, kept_breakdown.h). All of it is analytics::columnar
// except this class, the QueryEngine the server sees; it keeps the
// lifecycle, the locking and the caching.
//
// SQLite stays the system of record. At start-up the engine reads its
// snapshot (snapshot.h: the table as of a store position, written after
// large writes and at a clean stop) and replays the writes
// the store logged after it; without a usable snapshot it reads every line
// once. Afterwards it is the store's WriteListener, so each write is applied
// (sorted and merged into the table) before the write's Upsert returns:
// a read that starts after a write's RPC returned sees that write.
//
// Answers are kept for the last few questions of each kind until the next
// write (recent_results.h): dashboards ask the same few questions on every
// view, and listing pages or a summary after a list asks for the same
// scores again. The unfiltered RFM accumulators and breakdowns are kept
// across writes and brought up to date by what a write changed.
//
// Concurrency: any number of reads share a readers-writer lock; applying a
// write takes it exclusively. ReadConsistently holds the shared lock across
// several primitives, so a report's parts come from one state. Memory: when
// the copy would exceed the budget (or a write cannot be represented), the
// engine stops serving for good and answers Unavailable;
// FallbackQueryEngine then routes to SQL.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "query/columnar/annotated_mutex.h"
#include "query/columnar/customer_scores.h"
#include "query/columnar/kept_breakdown.h"
#include "query/columnar/kept_totals.h"
#include "query/columnar/line_table.h"
#include "query/columnar/recent_results.h"
#include "query/columnar/snapshot.h"
#include "query/columnar/staged_write.h"
#include "query/query_engine.h"
#include "store/store.h"
#include "store/write_listener.h"

namespace analytics {

struct ColumnarEngineOptions {
  // Largest estimated memory the engine may hold; 0 means no limit.
  std::size_t memory_budget_bytes = 0;
  // Called (under no engine lock) when the engine stops serving, with why.
  std::function<void(const std::string&)> on_stop;
  // Scans of at least this many rows run in two halves on two threads (the
  // second a helper started for the call). Below, a thread costs more than
  // it saves.
  std::uint32_t parallel_min_rows = 1u << 18;
  // Where the engine keeps its snapshot (snapshot.h); empty: no snapshot.
  // Only for stores that replay from a position (Store::KeepWriteLog).
  std::string snapshot_path = {};
  // Reads the snapshot at snapshot_path; empty: ReadTableSnapshot, when
  // Create runs. The server starts the read earlier, beside its check of
  // the database file (a different file, read on the other core), and
  // passes one that waits for it.
  std::function<absl::StatusOr<columnar::TableSnapshot>()> read_snapshot = {};
  // A new snapshot is written once this many lines (and an eighth of the
  // table) were written since the last one: by the write itself when that
  // one write was this large (before its caller hears it succeeded, so a
  // crash right after a bulk import restarts from the snapshot instead of
  // replaying the import), otherwise in the background. Either way it is
  // made durable (fsync) in the background.
  std::int64_t snapshot_after_lines = 100'000;
  // Called (under no engine lock) after each snapshot written or failed,
  // with the outcome, the lines it holds, how long it took, and whether it
  // is durable yet (false: written and renamed by a write, fsync to come).
  std::function<void(const absl::Status&, std::int64_t lines, std::int64_t millis, bool durable)>
      on_snapshot = {};
};

// How the engine started.
struct EngineStartup {
  bool snapshots = false;      // a snapshot path was given and the store can replay
  bool from_snapshot = false;  // the table came from the snapshot
  // Why the snapshot was not used (empty when it was, or without snapshots).
  std::string snapshot_ignored;
  std::int64_t replayed_lines = 0;  // lines replayed over the snapshot
  std::int64_t read_ms = 0;         // reading and checking the file, or waiting for read_snapshot
};

class ColumnarEngine final : public QueryEngine, private WriteListener {
 public:
  // Loads every line of `store` and subscribes to its writes. The store must
  // outlive the engine. ResourceExhausted when the lines do not fit the
  // memory budget, FailedPrecondition when they cannot be represented.
  static absl::StatusOr<std::unique_ptr<ColumnarEngine>> Create(Store& store,
                                                                ColumnarEngineOptions options = {});
  ~ColumnarEngine() override;

  absl::StatusOr<Measures> Totals(const Filter& filter) override ABSL_LOCKS_EXCLUDED(mutex_);
  absl::StatusOr<std::vector<GroupMeasures>> Breakdown(const Filter& filter,
                                                       Dimension dimension) override
      ABSL_LOCKS_EXCLUDED(mutex_);
  absl::StatusOr<std::vector<TrendPoint>> Trend(const Filter& filter,
                                                Granularity granularity) override
      ABSL_LOCKS_EXCLUDED(mutex_);
  absl::StatusOr<std::optional<DateSpan>> Span(const Filter& filter) override
      ABSL_LOCKS_EXCLUDED(mutex_);
  absl::StatusOr<CustomerRfmList> ScoreCustomers(const Filter& filter, Day as_of) override
      ABSL_LOCKS_EXCLUDED(mutex_);
  absl::StatusOr<CustomerDayList> CustomerDays(const Filter& filter) override
      ABSL_LOCKS_EXCLUDED(mutex_);
  // Holds the read lock while `read` runs; Unavailable if the engine stopped.
  absl::Status ReadConsistently(const std::function<absl::Status(QueryEngine& view)>& read) override
      ABSL_LOCKS_EXCLUDED(mutex_);

  // Writes the snapshot now if the table changed since the last one and
  // makes it durable (a clean stop calls this once writes have stopped).
  // FailedPrecondition without snapshots or once stopped.
  absl::Status SaveSnapshot() ABSL_LOCKS_EXCLUDED(mutex_, snapshot_write_mutex_) {
    return WriteSnapshot(/*durable=*/true);
  }
  const EngineStartup& startup() const { return startup_; }

  // False once the engine stopped serving (see the header comment).
  bool serving() const ABSL_LOCKS_EXCLUDED(mutex_);
  std::size_t MemoryBytes() const ABSL_LOCKS_EXCLUDED(mutex_);
  std::int64_t LineCount() const ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  class View;
  class RecordsPool;

  ColumnarEngine(Store& store, ColumnarEngineOptions options);

  // Loads the store's lines into the (new, unshared) engine; called by the
  // store with its lock held.
  // `persisted` (may be null) is the snapshot read from disk, used when the
  // store can replay every write after it.
  absl::Status Load(StoreSnapshot& snapshot, columnar::TableSnapshot* persisted)
      ABSL_LOCKS_EXCLUDED(mutex_);
  // The background snapshot writer's loop.
  void RunSnapshots() ABSL_LOCKS_EXCLUDED(mutex_);
  // Writes the table to the snapshot's temporary file and renames it over
  // the snapshot if it changed since the last one; `durable` then fsyncs
  // the file and its folder and lets the store drop its log up to it (which
  // needs the store's lock: never from inside Apply).
  absl::Status WriteSnapshot(bool durable) ABSL_LOCKS_EXCLUDED(mutex_, snapshot_write_mutex_);
  // Writes (or has the background writer write) a snapshot once enough
  // lines were applied since the last one; `written` lines just now.
  void MaybeSnapshotAfter(std::int64_t written, std::int64_t rows_after)
      ABSL_LOCKS_EXCLUDED(mutex_, snapshot_write_mutex_);
  void Report(const absl::Status& status, std::chrono::steady_clock::time_point started,
              bool durable) const;
  std::unique_ptr<PendingWrite> BeginWrite(bool replace) override ABSL_LOCKS_EXCLUDED(mutex_);
  // Applies a committed write (called with the store's lock held); its
  // counts, or nullopt when the table could not take it (the engine then
  // stops).
  std::optional<WriteResult> Apply(columnar::StagedWrite& staged) ABSL_LOCKS_EXCLUDED(mutex_);
  // Whether the table can be served: FailedPrecondition when sums could
  // overflow, ResourceExhausted when it is over the memory budget.
  absl::Status Servable() const ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  // Stops serving for good: drops the table and every kept answer.
  void Stop() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // The primitives, called with mutex_ held (shared or exclusive).
  absl::StatusOr<Measures> TotalsLocked(const Filter& filter) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<std::vector<GroupMeasures>> BreakdownLocked(const Filter& filter,
                                                             Dimension dimension) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<std::vector<TrendPoint>> TrendLocked(const Filter& filter,
                                                      Granularity granularity) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<std::optional<DateSpan>> SpanLocked(const Filter& filter) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<CustomerRfmList> ScoreCustomersLocked(const Filter& filter, Day as_of) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<CustomerDayList> CustomerDaysLocked(const Filter& filter) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);

  // Records, tagged (for RecordsPool) when an unfiltered scoring made them.
  struct ScoredRecords {
    CustomerRfmRecords records;
    std::uint64_t id = 0;
  };
  // Scores from the kept per-customer partials when unfiltered, or
  // filtered on dimensions only (base_scores.h); after a write, only the
  // customers it touched are accumulated again, and unfiltered, the
  // previous scoring's records are updated in place (ScoreFromBase).
  ScoredRecords ComputeScores(const Filter& filter, Day as_of) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_) ABSL_LOCKS_EXCLUDED(score_base_mutex_);
  // Builds the per-customer partials (score_base_) over the whole table, as
  // of its last day, after each bulk write (start-up leaves them to the
  // first RFM question).
  void BuildScoreBaseNow() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_)
      ABSL_LOCKS_EXCLUDED(score_base_mutex_);
  // The unfiltered breakdown by a dimension of at most 32 values, from
  // (and into) its kept state (kept_breakdown.h).
  std::vector<GroupMeasures> BreakdownFromBase(Dimension dimension) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_) ABSL_LOCKS_EXCLUDED(breakdown_bases_mutex_);
  // The unfiltered totals, from (and into) their kept state
  // (kept_totals.h).
  Measures TotalsFromBase() const ABSL_SHARED_LOCKS_REQUIRED(mutex_)
      ABSL_LOCKS_EXCLUDED(kept_totals_mutex_);
  // A write changed these rows; null drops every answer kept across writes
  // (a large or replacing write, or the engine stopped).
  void MarkChanged(const columnar::WriteChanges* changes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_)
      ABSL_LOCKS_EXCLUDED(score_base_mutex_, breakdown_bases_mutex_, kept_totals_mutex_);
  // Totals are kept by themselves and by breakdowns, which compute their
  // filter's totals in the same pass (the report asks for them next).
  void KeepTotals(const Filter& filter, const Measures& totals) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  // Frees the answers kept until the next write.
  void ClearAnswers() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  Store& store_;
  const ColumnarEngineOptions options_;
  bool subscribed_ = false;  // set by Create before the engine is shared
  EngineStartup startup_;    // set by Create before the engine is shared

  mutable columnar::SharedMutex mutex_;
  // Null once stopped.
  std::unique_ptr<columnar::LineTable> table_ ABSL_GUARDED_BY(mutex_) ABSL_PT_GUARDED_BY(mutex_);
  std::uint64_t generation_ ABSL_GUARDED_BY(mutex_) = 0;  // counts applied writes
  // The store state table_ reflects (nullopt: a store without positions).
  std::optional<StorePosition> position_ ABSL_GUARDED_BY(mutex_);

  // Snapshots: lines applied in total and as of the last snapshot (read
  // without the engine lock to decide whether to write one).
  std::atomic<std::int64_t> lines_applied_{0};
  std::atomic<std::int64_t> lines_at_snapshot_{0};
  // One snapshot written at a time; the position of the last one, and
  // whether it is known to be on disk (fsync'd) yet.
  mutable columnar::Mutex snapshot_write_mutex_ ABSL_ACQUIRED_BEFORE(mutex_);
  std::optional<StorePosition> saved_position_ ABSL_GUARDED_BY(snapshot_write_mutex_);
  bool saved_durable_ ABSL_GUARDED_BY(snapshot_write_mutex_) = false;
  // The background writer: woken after large writes.
  columnar::Mutex snapshot_wake_mutex_;
  std::condition_variable snapshot_wake_;
  bool snapshot_wanted_ ABSL_GUARDED_BY(snapshot_wake_mutex_) = false;
  bool snapshot_stopping_ ABSL_GUARDED_BY(snapshot_wake_mutex_) = false;
  std::thread snapshot_thread_;

  // Answers valid until the next write, tagged with generation_; kept by
  // readers under the shared lock (each has a mutex of its own).
  columnar::RecentResults<Filter, Measures, 32> totals_;
  columnar::RecentResults<std::pair<Filter, Dimension>, std::vector<GroupMeasures>, 16> breakdowns_;
  columnar::RecentResults<std::pair<Filter, Granularity>, std::vector<TrendPoint>, 8> trends_;
  // Scored lists are large (tens of bytes per customer): a few only.
  columnar::RecentResults<std::pair<Filter, Day>, CustomerRfmList, 4> scored_;
  // Per-customer order days: the same answer (same pointer) until a write,
  // which tells callers caching what they derive from it (predictions).
  columnar::RecentResults<Filter, CustomerDayList, 4> customer_days_;

  // The unfiltered accumulators of the last unfiltered scoring, kept across
  // writes: rescoring after a write of a few lines then reads the customer
  // column once instead of every column of every row. Readers (shared
  // lock) take score_base_mutex_ to use or refresh it; Apply (exclusive
  // lock) to mark customers changed.
  mutable columnar::Mutex score_base_mutex_ ABSL_ACQUIRED_AFTER(mutex_);
  mutable std::unique_ptr<columnar::ScoreBase> score_base_ ABSL_GUARDED_BY(score_base_mutex_);
  // Tags the unfiltered scorings' records (ScoreBase's LastScoring).
  mutable std::uint64_t scorings_ ABSL_GUARDED_BY(score_base_mutex_) = 0;

  // The records of the last scored list nobody holds any more, for the
  // next: rescoring after each write then writes into memory already
  // faulted in. Shared with the lists, which may outlive the engine.
  std::shared_ptr<RecordsPool> records_pool_;

  // Per dimension, the unfiltered breakdown kept across writes, created
  // when first asked for.
  mutable columnar::Mutex breakdown_bases_mutex_ ABSL_ACQUIRED_AFTER(mutex_);
  mutable std::array<std::unique_ptr<columnar::KeptBreakdown>, columnar::kDimCount> breakdown_bases_
      ABSL_GUARDED_BY(breakdown_bases_mutex_);

  // The unfiltered totals kept across writes (the KPIs without a filter),
  // created when first asked for: a write moves them by its rows, so the
  // KPIs right after a write of one line cost no scan.
  mutable columnar::Mutex kept_totals_mutex_ ABSL_ACQUIRED_AFTER(mutex_);
  mutable std::unique_ptr<columnar::KeptTotals> kept_totals_ ABSL_GUARDED_BY(kept_totals_mutex_);
};

}  // namespace analytics
