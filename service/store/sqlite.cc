#include "store/sqlite.h"

#include "absl/strings/str_cat.h"

namespace analytics::sqlite {

absl::Status StatusFromCode(int code, std::string_view context) {
  // The common case first: every bind of every written line comes here, and
  // building the message for an OK status cost more than the bind itself.
  if (code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE) return absl::OkStatus();
  const std::string message = absl::StrCat(std::string(context), ": ", sqlite3_errstr(code));
  switch (code & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return absl::OkStatus();
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message);
    case SQLITE_CONSTRAINT:
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::StatusOr<Connection> Connection::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Connection connection(raw);  // owns the handle even when opening failed
  if (code != SQLITE_OK) return StatusFromCode(code, "opening the database");
  sqlite3_extended_result_codes(raw, 1);
  return connection;
}

absl::Status Connection::Execute(std::string_view sql) {
  const std::string text(sql);
  const int code = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
  return StatusFromCode(code, "database statement failed");
}

absl::StatusOr<Statement> Connection::Prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int code = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  Statement statement(raw);
  if (code != SQLITE_OK) return StatusFromCode(code, "preparing a database statement");
  return statement;
}

std::int64_t Connection::Changes() const { return sqlite3_changes64(db_.get()); }

absl::Status Statement::Bind(int index, std::int64_t value) {
  return StatusFromCode(sqlite3_bind_int64(statement_.get(), index, value), "binding");
}

absl::Status Statement::Bind(int index, double value) {
  return StatusFromCode(sqlite3_bind_double(statement_.get(), index, value), "binding");
}

absl::Status Statement::Bind(int index, std::string_view value) {
  return StatusFromCode(sqlite3_bind_text64(statement_.get(), index, value.data(), value.size(),
                                            SQLITE_TRANSIENT, SQLITE_UTF8),
                        "binding");
}

absl::Status Statement::BindStatic(int index, std::string_view value) {
  return StatusFromCode(sqlite3_bind_text64(statement_.get(), index, value.data(), value.size(),
                                            SQLITE_STATIC, SQLITE_UTF8),
                        "binding");
}

absl::Status Statement::BindBlobStatic(int index, std::string_view bytes) {
  return StatusFromCode(
      sqlite3_bind_blob64(statement_.get(), index, bytes.data(), bytes.size(), SQLITE_STATIC),
      "binding");
}

absl::Status Statement::BindNull(int index) {
  return StatusFromCode(sqlite3_bind_null(statement_.get(), index), "binding");
}

absl::StatusOr<bool> Statement::Step() {
  const int code = sqlite3_step(statement_.get());
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  return StatusFromCode(code, "database query failed");
}

absl::Status Statement::Run() {
  absl::StatusOr<bool> row = Step();
  while (row.ok() && *row) row = Step();
  return row.status();
}

void Statement::Reset() {
  sqlite3_reset(statement_.get());
  sqlite3_clear_bindings(statement_.get());
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL;
}

std::int64_t Statement::Int(int column) const {
  return sqlite3_column_int64(statement_.get(), column);
}

double Statement::Real(int column) const { return sqlite3_column_double(statement_.get(), column); }

std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(statement_.get(), column);
  const int size = sqlite3_column_bytes(statement_.get(), column);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), size);
}

std::string_view Statement::TextView(int column) const {
  const auto* text = sqlite3_column_text(statement_.get(), column);
  const int size = sqlite3_column_bytes(statement_.get(), column);
  return text == nullptr ? std::string_view()
                         : std::string_view(reinterpret_cast<const char*>(text), size);
}

std::string_view Statement::BlobView(int column) const {
  const void* bytes = sqlite3_column_blob(statement_.get(), column);
  const int size = sqlite3_column_bytes(statement_.get(), column);
  return bytes == nullptr ? std::string_view()
                          : std::string_view(static_cast<const char*>(bytes), size);
}

absl::Status QuickCheck(Connection& connection) {
  // The first few findings are enough to tell damage from a wrong file.
  absl::StatusOr<Statement> check = connection.Prepare("PRAGMA quick_check(3)");
  if (!check.ok()) {
    return absl::DataLossError(absl::StrCat("quick_check failed: ", check.status().message()));
  }
  std::string findings;
  for (;;) {
    absl::StatusOr<bool> row = check->Step();
    if (!row.ok()) {
      return absl::DataLossError(absl::StrCat("quick_check failed: ", row.status().message()));
    }
    if (!*row) break;
    const std::string_view finding = check->TextView(0);
    if (finding == "ok") continue;
    absl::StrAppend(&findings, findings.empty() ? "" : "; ", std::string(finding));
  }
  if (findings.empty()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("quick_check found damage: ", findings));
}

absl::StatusOr<Transaction> Transaction::Begin(Connection& connection) {
  if (absl::Status status = connection.Execute("BEGIN IMMEDIATE"); !status.ok()) return status;
  return Transaction(&connection);
}

Transaction::Transaction(Transaction&& other) noexcept : connection_(other.connection_) {
  other.connection_ = nullptr;
}

Transaction::~Transaction() {
  if (connection_ != nullptr) connection_->Execute("ROLLBACK").IgnoreError();
}

absl::Status Transaction::Commit() {
  if (connection_ == nullptr) return absl::FailedPreconditionError("transaction already ended");
  absl::Status status = connection_->Execute("COMMIT");
  if (status.ok()) connection_ = nullptr;
  return status;
}

}  // namespace analytics::sqlite
