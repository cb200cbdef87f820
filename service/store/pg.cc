#include "store/pg.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <array>
#include <charconv>

#include "absl/strings/str_cat.h"

namespace analytics::pg {

namespace {
// Debian's Abseil has a string_view of its own.
absl::string_view Av(std::string_view text) { return {text.data(), text.size()}; }
}  // namespace

absl::Status StatusFromSqlState(std::string_view sqlstate, std::string_view what_text) {
  const absl::string_view what = Av(what_text);
  const std::string_view klass = sqlstate.substr(0, 2);
  // 08: connection exception; 57P01-03: the server is shutting down or
  // restarting; 53: out of resources (connections, memory, disk).
  if (sqlstate.empty() || klass == "08" || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03") {
    return absl::UnavailableError(absl::StrCat(what, ": the database is not reachable"));
  }
  if (klass == "53") {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": the database is out of resources"));
  }
  // 40001 serialization failure, 40P01 deadlock: nothing was written.
  if (klass == "40") return absl::AbortedError(absl::StrCat(what, ": conflict; retry"));
  if (sqlstate == "57014") return absl::CancelledError(absl::StrCat(what, ": cancelled"));
  return absl::InternalError(absl::StrCat(what, ": database error ", Av(sqlstate)));
}

std::int64_t Result::Int(int row, int column) const {
  const std::string_view text = Text(row, column);
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

absl::StatusOr<Connection> Connection::Connect(const std::string& dsn,
                                               const char* application_name) {
  // expand_dbname: "dbname" holds the whole DSN, URI or key=value.
  const std::array<const char*, 3> keywords = {"dbname", "fallback_application_name", nullptr};
  const std::array<const char*, 3> values = {dsn.c_str(), application_name, nullptr};
  Connection connection(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  if (connection.get() == nullptr) return absl::ResourceExhaustedError("out of memory");
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    // The message can name hosts and users: the log's, not a client's.
    spdlog::warn("PostgreSQL connection failed: {}", PQerrorMessage(connection.get()));
    return absl::UnavailableError("connecting to PostgreSQL: the database is not reachable");
  }
  // Notices (e.g. "relation already exists, skipping") are not errors.
  PQsetNoticeProcessor(
      connection.get(), [](void*, const char*) {}, nullptr);
  return connection;
}

absl::Status Connection::ResultStatus(PGresult* result, std::string_view what) {
  const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN ||
      status == PGRES_COPY_OUT) {
    return absl::OkStatus();
  }
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  spdlog::warn("PostgreSQL {}: {}", what,
               result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(get()));
  return StatusFromSqlState(sqlstate != nullptr ? sqlstate : "", what);
}

absl::Status Connection::Execute(const char* sql) {
  Result result(PQexec(get(), sql));
  return ResultStatus(result.get(), "statement");
}

absl::StatusOr<Result> Connection::Query(const std::string& sql, std::span<const Param> params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& param : params) values.push_back(param ? param->c_str() : nullptr);
  Result result(PQexecParams(get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0));
  if (absl::Status s = ResultStatus(result.get(), "query"); !s.ok()) return s;
  return result;
}

absl::Status Connection::QueryEach(const std::string& sql, std::span<const Param> params,
                                   const std::function<void(const Result&)>& row) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& param : params) values.push_back(param ? param->c_str() : nullptr);
  if (PQsendQueryParams(get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0) != 1 ||
      PQsetSingleRowMode(get()) != 1) {
    return StatusFromSqlState("", "query");
  }
  absl::Status status = absl::OkStatus();
  // Every result is read, even after an error, so the connection is left
  // ready for the next statement.
  while (PGresult* raw = PQgetResult(get())) {
    Result result(raw);
    if (PQresultStatus(raw) == PGRES_SINGLE_TUPLE) {
      if (status.ok()) row(result);
    } else if (absl::Status s = ResultStatus(raw, "query"); !s.ok() && status.ok()) {
      status = s;
    }
  }
  return status;
}

absl::Status Connection::BeginCopy(const char* sql) {
  Result result(PQexec(get(), sql));
  if (absl::Status s = ResultStatus(result.get(), "copy"); !s.ok()) return s;
  if (PQresultStatus(result.get()) != PGRES_COPY_IN)
    return absl::InternalError("copy: not started");
  return absl::OkStatus();
}

absl::Status Connection::PutCopyData(std::string_view data) {
  if (PQputCopyData(get(), data.data(), static_cast<int>(data.size())) != 1) {
    return StatusFromSqlState("", "copy");
  }
  return absl::OkStatus();
}

absl::Status Connection::EndCopy(const char* abort_reason) {
  if (PQputCopyEnd(get(), abort_reason) != 1) return StatusFromSqlState("", "copy");
  if (abort_reason != nullptr) {
    // The COPY's error is the abort asked for: nothing to report.
    while (PGresult* raw = PQgetResult(get())) PQclear(raw);
    return absl::OkStatus();
  }
  absl::Status status = absl::OkStatus();
  // The COPY's own result, then the end of the command.
  while (PGresult* raw = PQgetResult(get())) {
    Result result(raw);
    if (absl::Status s = ResultStatus(result.get(), "copy"); !s.ok() && status.ok()) status = s;
  }
  return status;
}

absl::Status Connection::CopyOut(const std::string& sql,
                                 const std::function<absl::Status(std::string_view)>& row) {
  {
    Result result(PQexec(get(), sql.c_str()));
    if (absl::Status s = ResultStatus(result.get(), "copy"); !s.ok()) return s;
    if (PQresultStatus(result.get()) != PGRES_COPY_OUT) {
      return absl::InternalError("copy: not started");
    }
  }
  absl::Status status = absl::OkStatus();
  for (;;) {
    char* buffer = nullptr;
    const int length = PQgetCopyData(get(), &buffer, 0);
    if (length < 0) break;  // -1: done; -2: error, reported by PQgetResult
    std::string_view line(buffer, static_cast<std::size_t>(length));
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (status.ok()) status = row(line);
    PQfreemem(buffer);
  }
  while (PGresult* raw = PQgetResult(get())) {
    Result result(raw);
    if (absl::Status s = ResultStatus(result.get(), "copy"); !s.ok() && status.ok()) status = s;
  }
  return status;
}

absl::StatusOr<Transaction> Transaction::Begin(Connection& connection, const char* begin) {
  if (absl::Status s = connection.Execute(begin); !s.ok()) return s;
  return Transaction(&connection);
}

Transaction::~Transaction() {
  // A broken connection has nothing to roll back: the server did.
  if (connection_ != nullptr && connection_->healthy()) {
    absl::Status ignored = connection_->Execute("ROLLBACK");
    (void)ignored;
  }
}

absl::Status Transaction::Commit() {
  Connection* connection = std::exchange(connection_, nullptr);
  return connection->Execute("COMMIT");
}

Pool::Lease::~Lease() {
  if (pool_ == nullptr || !connection_) return;
  // Only a healthy connection outside any transaction goes back.
  if (!connection_->healthy() || PQtransactionStatus(connection_->get()) != PQTRANS_IDLE) return;
  std::lock_guard lock(pool_->mutex_);
  pool_->idle_.push_back(std::move(*connection_));
}

namespace {
// An idle connection (no statement running, not listening) has nothing to
// read unless the server ended the session: a restart or
// pg_terminate_backend sends a FATAL message, then closes the socket.
// libpq notices neither until the next statement, which would then fail
// (PQconsumeInput only buffers the message; the end of file comes on a
// later read), so a readable socket means "closed". Dropping a connection
// that merely got a stray message costs one reconnect.
bool StillOpen(const Connection& connection) {
  if (!connection.healthy()) return false;
  pollfd socket{.fd = PQsocket(connection.get()), .events = POLLIN, .revents = 0};
  return poll(&socket, 1, 0) == 0;
}
}  // namespace

absl::StatusOr<Pool::Lease> Pool::Acquire() {
  {
    std::lock_guard lock(mutex_);
    while (!idle_.empty()) {
      Connection connection = std::move(idle_.front());
      idle_.pop_front();
      if (StillOpen(connection)) return Lease(*this, std::move(connection));
    }
  }
  absl::StatusOr<Connection> connection = Connection::Connect(dsn_, application_name_.c_str());
  if (!connection.ok()) return connection.status();
  return Lease(*this, std::move(*connection));
}

void AppendCopyText(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace analytics::pg
