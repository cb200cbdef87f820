// Order lines as rows of the order_lines table: the SQL that writes a line
// as a row, compares a line with the row of its key, and reads rows back
// as lines.
//
// The table's schema is order_store.cc's (its migrations); this file and
// that one are the only code that names the table's columns. Readers
// outside store/ (the columnar engine's start-up load) go through
// ReadStoredLines rather than writing SQL of their own. Parameters ?1..?21
// of the insert and update are the fields in LineField order
// (common/line_fields.h).
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/line_fields.h"
#include "common/order_line.h"
#include "store/sqlite.h"
#include "store/write_listener.h"

namespace analytics {

// Statements that write lines as rows, prepared once per transaction.
struct RowStatements {
  sqlite::Statement insert;  // a new key; does nothing for a stored one
  sqlite::Statement update;  // the row of a stored key
  sqlite::Statement stored;  // the stored ids of a key
  static absl::StatusOr<RowStatements> Prepare(sqlite::Connection& connection);
};

// Inserts `line`, or updates the row of its key; true when it inserted.
// With `result`, an update is first compared with the row it replaces
// (CompareStored).
absl::StatusOr<bool> UpsertRow(sqlite::Connection& connection, RowStatements& statements,
                               const OrderLine& line, WriteResult* result = nullptr);

// Whether `line`'s key is stored; notes in `result` when the stored row has
// another order_id or customer_id (a reassigned line, write_listener.h).
absl::StatusOr<bool> CompareStored(RowStatements& statements, const OrderLine& line,
                                   WriteResult& result);

// How many rows order_lines holds.
absl::StatusOr<std::int64_t> StoredLineCount(sqlite::Connection& connection);

// Reads every row of order_lines (in no particular order) into a line of
// which only `fields` are filled (the others keep their defaults), handed
// to `each`; the line is reused from row to row. The write log is not
// read: see ReadLoggedLines (order_store.h).
absl::Status ReadStoredLines(sqlite::Connection& connection, std::span<const LineField> fields,
                             const std::function<void(const OrderLine&)>& each);

}  // namespace analytics
