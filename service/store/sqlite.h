// A thin RAII layer over the SQLite C API.
//
// Connection, Statement and Transaction own their handles and release them in
// their destructors; every fallible call returns an absl::Status. Statements
// only take values through bound parameters: no caller ever splices request
// data into SQL text. Status messages carry SQLite's generic error text (for
// example "database or disk is full"), never the SQL itself.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace analytics::sqlite {

// Maps an SQLite result code to a status: FULL -> ResourceExhausted,
// BUSY/LOCKED -> Unavailable, CONSTRAINT -> FailedPrecondition, others Internal.
absl::Status StatusFromCode(int code, std::string_view context);

class Statement;

class Connection {
 public:
  // Opens (creating if needed) the database at `path`; ":memory:" works.
  static absl::StatusOr<Connection> Open(const std::string& path);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  // Runs one or more statements without parameters (schema, pragmas).
  absl::Status Execute(std::string_view sql);
  absl::StatusOr<Statement> Prepare(std::string_view sql);
  std::int64_t Changes() const;
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit Connection(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, Closer> db_;
};

class Statement {
 public:
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  // Parameters are 1-based, as in SQLite.
  absl::Status Bind(int index, std::int64_t value);
  absl::Status Bind(int index, double value);
  absl::Status Bind(int index, std::string_view value);
  // Binds text without copying it: `value` must stay valid and unchanged
  // until the statement is reset (saves a copy per column on bulk writes).
  absl::Status BindStatic(int index, std::string_view value);
  absl::Status BindNull(int index);
  // Binds bytes as a BLOB without copying them (same lifetime rule).
  absl::Status BindBlobStatic(int index, std::string_view bytes);
  template <typename T>
  absl::Status BindOptional(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }

  // True when a row is available, false when the statement is done.
  absl::StatusOr<bool> Step();
  // Steps to completion, expecting no rows.
  absl::Status Run();
  // Resets for re-execution and clears the bindings.
  void Reset();

  bool IsNull(int column) const;
  std::int64_t Int(int column) const;
  double Real(int column) const;
  std::string Text(int column) const;
  // The column's text without a copy; valid until the next Step or Reset.
  std::string_view TextView(int column) const;
  // The column's bytes as a BLOB, without a copy; same validity.
  std::string_view BlobView(int column) const;

 private:
  friend class Connection;
  struct Finalizer {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}
  std::unique_ptr<sqlite3_stmt, Finalizer> statement_;
};

// PRAGMA quick_check: OK when the file's structure is sound, else DataLoss
// with SQLite's first findings (or its error, for a file it cannot read as
// a database at all). It reads every page once, O(size of the file), but
// skips the index-content cross-check of integrity_check.
absl::Status QuickCheck(Connection& connection);

// BEGIN IMMEDIATE on construction via Begin(); rolls back unless committed.
class Transaction {
 public:
  static absl::StatusOr<Transaction> Begin(Connection& connection);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  absl::Status Commit();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}
  Connection* connection_;  // null once committed or rolled back
};

}  // namespace analytics::sqlite
