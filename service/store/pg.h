// A thin RAII layer over libpq for PgStore: connections, results,
// transactions and a small connection pool.
//
// Statements always carry their values as bound parameters (text format),
// never spliced into SQL. Errors come back as absl::Status with clean
// messages chosen by SQLSTATE class: a lost connection or a server shutting
// down is Unavailable (the caller may retry), a serialisation failure or
// deadlock Aborted, anything else Internal. The server's own message, which
// can quote SQL or values, goes to the log only, never to a client.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace analytics::pg {

// A query result; empty on move.
class Result {
 public:
  explicit Result(PGresult* result) : result_(result) {}
  int rows() const { return PQntuples(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string_view Text(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
  }
  // Integer columns (and numeric sums known to fit) as int64.
  std::int64_t Int(int row, int column) const;
  PGresult* get() const { return result_.get(); }

 private:
  struct Clear {
    void operator()(PGresult* result) const { PQclear(result); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

// A parameter: nullopt is SQL NULL; otherwise its text form.
using Param = std::optional<std::string>;

class Connection {
 public:
  // Connects to `dsn` (a postgres:// URI or key=value string).
  // `application_name`, when given, names the session in pg_stat_activity
  // unless the DSN names it itself (libpq's fallback_application_name), so
  // an operator can tell the service's sessions, and which are whose.
  static absl::StatusOr<Connection> Connect(const std::string& dsn,
                                            const char* application_name = nullptr);

  // Runs a statement without parameters (BEGIN, COMMIT, DDL).
  absl::Status Execute(const char* sql);
  // Runs `sql` with `params` bound to $1..$N.
  absl::StatusOr<Result> Query(const std::string& sql, std::span<const Param> params = {});

  // The same, streamed: `row` sees each row as a one-row result (libpq's
  // single-row mode), so a large answer is never held whole.
  absl::Status QueryEach(const std::string& sql, std::span<const Param> params,
                         const std::function<void(const Result&)>& row);

  // COPY ... FROM STDIN: `Copy` starts it; PutCopyData sends bytes;
  // EndCopy finishes it (or aborts it with `abort_reason`).
  absl::Status BeginCopy(const char* sql);
  absl::Status PutCopyData(std::string_view data);
  absl::Status EndCopy(const char* abort_reason = nullptr);

  // COPY (...) TO STDOUT: calls `row` with each line of text format
  // (without its newline).
  absl::Status CopyOut(const std::string& sql,
                       const std::function<absl::Status(std::string_view)>& row);

  // False once the connection broke (the pool then drops it).
  bool healthy() const { return PQstatus(connection_.get()) == CONNECTION_OK; }
  PGconn* get() const { return connection_.get(); }

 private:
  struct Finish {
    void operator()(PGconn* connection) const { PQfinish(connection); }
  };
  explicit Connection(PGconn* connection) : connection_(connection) {}
  absl::Status ResultStatus(PGresult* result, std::string_view what);
  std::unique_ptr<PGconn, Finish> connection_;
};

// BEGIN on Begin(); rolls back on destruction unless committed.
class Transaction {
 public:
  // `begin` is the BEGIN statement ("BEGIN", or with an isolation level).
  static absl::StatusOr<Transaction> Begin(Connection& connection, const char* begin = "BEGIN");
  Transaction(Transaction&& other) noexcept
      : connection_(std::exchange(other.connection_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  absl::Status Commit();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}
  Connection* connection_;  // null once committed or rolled back
};

// A few connections to one database, handed out one caller at a time.
class Pool {
 public:
  // Connections are named `application_name` (see Connection::Connect).
  Pool(std::string dsn, std::string application_name)
      : dsn_(std::move(dsn)), application_name_(std::move(application_name)) {}

  // A connection for the caller's exclusive use, returned to the pool when
  // the lease ends unless it broke (a broken one is closed; the next
  // Acquire connects afresh, which is how the store reconnects).
  class Lease {
   public:
    Lease(Pool& pool, Connection connection) : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return &*connection_; }

   private:
    Pool* pool_;
    std::optional<Connection> connection_;
  };
  absl::StatusOr<Lease> Acquire();
  const std::string& dsn() const { return dsn_; }

 private:
  const std::string dsn_;
  const std::string application_name_;
  std::mutex mutex_;
  std::deque<Connection> idle_;  // guarded by mutex_
};

// The status of a failed libpq call, by SQLSTATE (see the header comment).
absl::Status StatusFromSqlState(std::string_view sqlstate, std::string_view what);

// `value` in COPY text format: backslash, tab, newline and carriage return
// escaped.
void AppendCopyText(std::string& out, std::string_view value);

}  // namespace analytics::pg
