// The columnar engine's copy of the order lines: the columns of columns.h,
// rows sorted by (order date, customer, line key), and the indexes derived
// from them.
//
// The sort order is what makes queries cheap:
// - a date filter is a contiguous row range (two binary searches);
// - trend buckets are consecutive row ranges;
// - the "latest line" of a customer (latest order date, then greatest line
//   key) is simply the last of its matching rows met in row order, so no
//   query ever compares line-key text.
//
// Writes arrive as a StagedWrite (staged_write.h) and are applied by
// Apply(): the staged lines are sorted and merged with the existing rows
// from the earliest day the write touches, replaced keys dropped — a write
// of recent lines costs the rows of those days, not the table.
//
// Not thread-safe: the engine holds its exclusive lock for Apply() and its
// shared lock for reads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/money.h"
#include "query/columnar/columns.h"
#include "query/columnar/huge_page_allocator.h"
#include "query/columnar/staged_write.h"

namespace analytics::columnar {

// A row a write removed or added, as answers kept across writes need it.
struct ChangedRow {
  std::uint32_t customer;
  std::uint32_t order;  // order id, without kSpreadOrder
  std::array<std::uint16_t, kDimCount> dims;
  Micros sales;
  Micros profit;
  std::int64_t quantity;
};

struct WriteChanges {
  std::vector<ChangedRow> removed;
  std::vector<ChangedRow> added;
};

// A stored row that a write replaced with a line of another order or
// customer (store/write_listener.h's ReassignedLine), in table ids.
struct Reassignment {
  std::uint32_t staged;  // the new line's place in the write
  std::uint32_t key;
  std::uint32_t previous_order;
  std::uint32_t order;
  std::uint32_t previous_customer;
  std::uint32_t customer;
};

struct Reassignments {
  std::int64_t count = 0;
  std::vector<Reassignment> first;  // the first `max_examples`, in write order
  std::size_t max_examples = 10;
};

// Sums of absolute values of every row's sales, profit and quantity: while
// each fits int64, no sum over any subset of rows can overflow.
struct Magnitudes {
  __int128 sales = 0;
  __int128 profit = 0;
  __int128 quantity = 0;
  void Add(Micros sales_value, Micros profit_value, std::int64_t quantity_value);
  void Remove(Micros sales_value, Micros profit_value, std::int64_t quantity_value);
  bool Fit() const;
};

class LineTable {
 public:
  LineTable();

  // Applies a committed write (taking over its dictionaries when it
  // replaces everything). FailedPrecondition (and no change) when a
  // dimension would exceed kMaxDimValues distinct values. When it does not
  // replace everything, `changes` (if given) receives the rows it removed
  // (replaced lines, as they were) and the rows it added, in table ids.
  // Returns how many of the write's distinct keys were new to the table:
  // the lines an upsert inserted (the write's other lines updated).
  // `reassigned` (if given) receives the replaced rows whose order or
  // customer differs from the line that replaced them.
  absl::StatusOr<std::int64_t> Apply(StagedWrite& staged, WriteChanges* changes = nullptr,
                                     Reassignments* reassigned = nullptr);

  const Columns& columns() const { return columns_; }
  const Dictionaries& dictionaries() const { return *dictionaries_; }
  // The same, for answers that keep views of its text after the engine's
  // lock is released: the text stays valid while they hold this, even if a
  // replace-all write gives the table new dictionaries meanwhile (append-only
  // arenas: a view never moves).
  std::shared_ptr<const Dictionaries> shared_dictionaries() const { return dictionaries_; }
  // Per order id: the one customer of its lines, or kSeveralCustomers.
  const std::vector<std::uint32_t>& order_customer() const { return order_customer_; }
  // Customer ids sorted by their text, for output in customer_id order.
  const std::vector<std::uint32_t>& customers_by_id() const { return customers_by_id_; }
  // False when a sum over some rows could overflow int64.
  bool SumsFit() const { return magnitudes_.Fit(); }
  std::size_t MemoryBytes() const;

 private:
  // The snapshot (snapshot.h) reads and writes every member below; a member
  // added here is added to SnapshotAccess::Members too.
  friend struct SnapshotAccess;

  // Staged id -> table id, per column, and each staged line's key id.
  struct IdMaps;
  // The write's rows: the lines that survive (the last with each key), in
  // row order, and the table rows they replace.
  struct WriteRows;

  // Apply's steps, in order.
  // The one way Apply can fail, checked before anything changes.
  absl::Status CheckFits(const StagedWrite& staged) const;
  // Replacing: the staged dictionaries become the table's (every map is
  // the identity). Otherwise: the staged ids mapped into the table's
  // dictionaries, which grow by the write's new values.
  IdMaps AdoptStaged(StagedWrite& staged);
  IdMaps MapStaged(const StagedWrite& staged);
  WriteRows SortWriteRows(const StagedWrite& staged, const IdMaps& ids,
                          Reassignments* reassigned) const;
  // Not replacing: the rows removed and added, in table ids.
  void RecordChanges(const StagedWrite& staged, const IdMaps& ids, const WriteRows& rows,
                     WriteChanges& changes) const;
  // Not replacing: the first row of the earliest day the write touches.
  std::size_t FirstChangedRow(const StagedWrite& staged, const WriteRows& rows) const;
  // Not replacing: moves the order line counts and the magnitudes by the
  // write, which ReindexFrom needs to judge the rows from the first changed
  // row on without reading the rest.
  void CountChanges(const StagedWrite& staged, const IdMaps& ids, const WriteRows& rows);
  // The rows from `from` on: the old ones that stay and the write's, merged.
  Columns MergeFrom(std::size_t from, const StagedWrite& staged, const IdMaps& ids,
                    const WriteRows& rows) const;
  // Puts the merged rows in place of the rows from `from` on and updates
  // the indexes.
  void Install(std::size_t from, Columns merged);

  void Reset();
  // Brings the indexes derived from the rows up to date for rows [from,
  // end), all of them when `from` is 0. False (and nothing consistent) when
  // that is not enough: an order that was compact became spread by rows at
  // or after `from`, so its earlier rows need the flag too.
  bool ReindexFrom(std::size_t from);
  // Places the customer ids from `customers_before` on in customers_by_id_.
  void AddNewCustomers(std::uint32_t customers_before);

  std::shared_ptr<Dictionaries> dictionaries_;
  Columns columns_;
  BigVector<std::uint32_t> row_of_;  // per line-key id
  std::vector<std::uint32_t> order_customer_;
  std::vector<std::uint32_t> order_lines_;  // per order id: its rows
  std::vector<bool> spread_;                // per order id: flagged kSpreadOrder
  Magnitudes magnitudes_;
  std::vector<std::uint32_t> customers_by_id_;
};

}  // namespace analytics::columnar
