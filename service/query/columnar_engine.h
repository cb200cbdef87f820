// The fast query engine: every aggregation answered from an in-memory,
// column-oriented copy of the order lines (line_table.h) instead of SQL.
//
// SQLite stays the system of record. At start-up the engine reads every line
// once; afterwards it is the store's WriteListener, so each write is applied
// (sorted and merged into the table) before the write's Upsert returns:
// a read that starts after a write's RPC returned sees that write.
//
// How each primitive runs, for N lines of which M match the filter:
// - filters: a date range is a row range (rows are sorted by day); list
//   filters become a byte per dictionary code, evaluated block-wise into a
//   selection vector (row_filter.h);
// - sums are exact int64 sums over the matching rows (the engine refuses to
//   serve when the sum of absolute values could overflow int64);
// - distinct orders and customers: a bit per dense id, counted at the end
//   (per group for breakdowns);
// - the latest line of a customer is the last matching row in row order;
// - RFM scores: per-customer accumulators in one pass, then one sort per
//   measure (rank_scoring.h). Scored customer lists are kept for the last few
//   (filter, as-of) pairs until the next write, since listing pages or a
//   summary after a list asks for the same scores again; totals, breakdowns
//   and trends likewise (the same few questions come with every dashboard
//   view, recent_results.h). Every cached answer is dropped by the next
//   write; `make bench` reports the uncached cost right after a write too.
//
// Concurrency: any number of reads share a readers-writer lock; applying a
// write takes it exclusively. ReadConsistently holds the shared lock across
// several primitives, so a report's parts come from one state. Memory: when the copy would exceed
// the budget (or a write cannot be represented), the engine stops serving for good and answers
// Unavailable; FallbackQueryEngine then routes to SQL.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>

#include "query/kept_breakdown.h"
#include "query/line_table.h"
#include "query/query_engine.h"
#include "query/recent_results.h"
#include "store/order_store.h"
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
};

class ColumnarEngine final : public QueryEngine, private WriteListener {
 public:
  // Loads every line of `store` and subscribes to its writes. The store must
  // outlive the engine. ResourceExhausted when the lines do not fit the
  // memory budget, FailedPrecondition when they cannot be represented.
  static absl::StatusOr<std::unique_ptr<ColumnarEngine>> Create(OrderStore& store,
                                                                ColumnarEngineOptions options = {});
  ~ColumnarEngine() override;

  absl::StatusOr<Measures> Totals(const Filter& filter) override;
  absl::StatusOr<std::vector<GroupMeasures>> Breakdown(const Filter& filter,
                                                       Dimension dimension) override;
  absl::StatusOr<std::vector<TrendPoint>> Trend(const Filter& filter,
                                                Granularity granularity) override;
  absl::StatusOr<std::optional<DateSpan>> Span(const Filter& filter) override;
  absl::StatusOr<CustomerRfmList> ScoreCustomers(const Filter& filter, Day as_of) override;
  // Holds the read lock while `read` runs; Unavailable if the engine stopped.
  absl::Status ReadConsistently(
      const std::function<absl::Status(QueryEngine& view)>& read) override;

  // False once the engine stopped serving (see the header comment).
  bool serving() const;
  std::size_t MemoryBytes() const;
  std::int64_t LineCount() const;

 private:
  class Pending;
  class View;

  ColumnarEngine(OrderStore& store, ColumnarEngineOptions options);

  std::unique_ptr<PendingWrite> BeginWrite(bool replace) override;
  // Applies a committed write; called with the store's lock held.
  // Applies a committed write; its counts, or nullopt when the table could
  // not take it (the engine then stops).
  std::optional<WriteResult> Apply(columnar::StagedWrite& staged);
  // Checks the budget and the overflow bound after a change; empty if fine.
  std::string Refusal() const;
  void StopLocked(const std::string& why);

  // The primitives, called with mutex_ held (shared or exclusive).
  absl::StatusOr<Measures> TotalsLocked(const Filter& filter) const;
  absl::StatusOr<std::vector<GroupMeasures>> BreakdownLocked(const Filter& filter,
                                                             Dimension dimension) const;
  absl::StatusOr<std::vector<TrendPoint>> TrendLocked(const Filter& filter,
                                                      Granularity granularity) const;
  absl::StatusOr<std::optional<DateSpan>> SpanLocked(const Filter& filter) const;
  absl::StatusOr<CustomerRfmList> ScoreCustomersLocked(const Filter& filter, Day as_of) const;

  CustomerRfmRecords ComputeScores(const Filter& filter, Day as_of) const;
  // RFM scoring in steps: every customer's accumulators from the filtered
  // rows; those of the customers a write touched, again (the unfiltered
  // base only); scores and records from accumulators.
  struct CustomerAcc;
  struct ScoreBase;
  std::vector<CustomerAcc> AccumulateAll(const Filter& filter, Day as_of) const;
  void RefreshScoreBase(ScoreBase& base) const;
  CustomerRfmRecords ScoreFrom(const std::vector<CustomerAcc>& acc, Day as_of) const;
  // Called with the exclusive lock held: a write changed these rows; null
  // drops every answer kept across writes (a large or replacing write, or
  // the engine stopped).
  void MarkChanged(const columnar::WriteChanges* changes);
  // The unfiltered breakdown by a dimension of at most 32 values, from
  // (and into) its kept state (query/kept_breakdown.h).
  std::vector<GroupMeasures> BreakdownFromBase(Dimension dimension) const;
  // Totals of recent filters, valid until the next write: dashboards ask
  // the same few questions on every page view (a KPI call under load
  // should not rescan a million lines), and a breakdown leaves the totals
  // of its filter here, which its report asks for right after.
  void KeepTotals(const Filter& filter, const Measures& totals) const;
  std::optional<Measures> CachedTotals(const Filter& filter) const;
  void ClearAnswers() const;
  std::vector<GroupMeasures> DimensionBreakdown(const Filter& filter, Dimension dimension) const;
  std::vector<GroupMeasures> CustomerBreakdown(const Filter& filter) const;
  std::vector<TrendPoint> ComputeTrend(const Filter& filter, Granularity granularity) const;

  OrderStore& store_;
  const ColumnarEngineOptions options_;
  bool subscribed_ = false;

  mutable std::shared_mutex mutex_;
  std::unique_ptr<columnar::LineTable> table_;  // null once stopped
  std::uint64_t generation_ = 0;                // counts applied writes

  RecentResults<Filter, Measures, 32> totals_;
  RecentResults<std::pair<Filter, Dimension>, std::vector<GroupMeasures>, 16> breakdowns_;
  RecentResults<std::pair<Filter, Granularity>, std::vector<TrendPoint>, 8> trends_;

  // Scored lists are large (~12 MB for 100,000 customers): a few only.
  RecentResults<std::pair<Filter, Day>, CustomerRfmList, 4> scored_;

  // The unfiltered accumulators of the last unfiltered scoring (~6 MB for
  // 100,000 customers), kept across writes: rescoring after a write of a few
  // lines then reads the customer column once instead of every column of
  // every row. Readers (shared lock) take score_base_mutex_ to use or
  // refresh it; Apply (exclusive lock) to mark customers changed.
  mutable std::mutex score_base_mutex_;
  mutable std::unique_ptr<ScoreBase> score_base_;  // guarded by score_base_mutex_

  // The records of the last scored list nobody holds any more, for the
  // next: rescoring after each write then writes into memory already
  // faulted in. Shared with the lists, which may outlive the engine.
  class RecordsPool;
  std::shared_ptr<RecordsPool> records_pool_;

  // Per dimension, the unfiltered breakdown kept across writes (~5 MB for
  // a million lines), created when first asked for.
  mutable std::mutex breakdown_bases_mutex_;
  mutable std::array<std::unique_ptr<columnar::KeptBreakdown>, columnar::kDimCount>
      breakdown_bases_;  // guarded by breakdown_bases_mutex_
};

}  // namespace analytics
