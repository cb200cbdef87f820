#include "store/pg_store.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/line_batch.h"
#include "common/line_fields.h"
#include "common/magnitude_totals.h"

namespace analytics {
namespace {

// Any two ids serve: every replica of any version takes the same lock.
constexpr char kMigrationLock[] = "SELECT pg_advisory_lock(7210, 13)";
constexpr char kMigrationUnlock[] = "SELECT pg_advisory_unlock(7210, 13)";
// The change log's wake-up channel: every write notifies it, every follower
// listens (a wake-up only; followers poll as well).
constexpr char kNotifyChanges[] = "SELECT pg_notify('analytics_changes', '')";
constexpr char kListenChanges[] = "LISTEN analytics_changes";
// Session names in pg_stat_activity (unless the DSN sets application_name):
// the pool's (reads and writes) and the follower's (LISTEN, change log).
constexpr char kPoolSessionName[] = "analytics-server";
constexpr char kFollowerSessionName[] = "analytics-server follower";

// Migration i brings the schema from version i to i + 1. Append only.
constexpr std::array<std::string_view, kPgSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE order_lines (
  line_key      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  order_id      TEXT COLLATE "C" NOT NULL,
  order_date    INTEGER NOT NULL,            -- days since 1970-01-01
  ship_date     INTEGER,
  ship_mode     TEXT COLLATE "C" NOT NULL DEFAULT '',
  customer_id   TEXT COLLATE "C" NOT NULL,
  customer_name TEXT COLLATE "C" NOT NULL DEFAULT '',
  segment       TEXT COLLATE "C" NOT NULL DEFAULT '',
  country       TEXT COLLATE "C" NOT NULL DEFAULT '',
  region        TEXT COLLATE "C" NOT NULL DEFAULT '',
  state         TEXT COLLATE "C" NOT NULL DEFAULT '',
  city          TEXT COLLATE "C" NOT NULL DEFAULT '',
  postal_code   TEXT COLLATE "C" NOT NULL DEFAULT '',
  product_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
  category      TEXT COLLATE "C" NOT NULL DEFAULT '',
  sub_category  TEXT COLLATE "C" NOT NULL DEFAULT '',
  product_name  TEXT COLLATE "C" NOT NULL DEFAULT '',
  sales         BIGINT NOT NULL,             -- micro-units
  quantity      BIGINT NOT NULL DEFAULT 0,
  discount      BIGINT NOT NULL DEFAULT 0,   -- micro-units of a fraction
  profit        BIGINT NOT NULL DEFAULT 0,   -- micro-units
  change_id     BIGINT NOT NULL              -- the change_log row that wrote it
);
CREATE INDEX order_lines_by_change ON order_lines (change_id);
-- One row per write, in the write's transaction (pg_store.h, "Replicas").
CREATE TABLE change_log (
  id         BIGSERIAL PRIMARY KEY,
  xid        XID8 NOT NULL DEFAULT pg_current_xact_id(),
  kind       SMALLINT NOT NULL,              -- 0 upsert, 1 replace everything
  lines      BIGINT NOT NULL,
  written_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX change_log_by_xid ON change_log (xid, id);
-- At least the sums of |sales|, |profit| and quantity (magnitude_totals.h);
-- its one row is also the writers' queue.
CREATE TABLE store_bound (
  one      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
  sales    NUMERIC NOT NULL DEFAULT 0,
  profit   NUMERIC NOT NULL DEFAULT 0,
  quantity NUMERIC NOT NULL DEFAULT 0,
  pruned_below XID8 NOT NULL DEFAULT '0',   -- change rows below this xid are gone
  line_count BIGINT NOT NULL DEFAULT 0       -- rows of order_lines, kept by each write
);
INSERT INTO store_bound DEFAULT VALUES;
CREATE TABLE analytics_replicas (
  name    TEXT PRIMARY KEY,
  horizon XID8 NOT NULL,
  seen_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
-- common/civil_day.h's BucketStart: day, ISO week (Monday), month,
-- quarter, year; days counted from 1970-01-01 (a Thursday).
CREATE FUNCTION analytics_bucket_start(day BIGINT, granularity BIGINT) RETURNS BIGINT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE granularity
    WHEN 0 THEN day
    WHEN 1 THEN day - (((day + 3) % 7) + 7) % 7
    ELSE (date_trunc(CASE granularity WHEN 2 THEN 'month' WHEN 3 THEN 'quarter' ELSE 'year' END,
                     DATE '1970-01-01' + day::INTEGER)::DATE - DATE '1970-01-01')::BIGINT
  END
$$;
)sql",
};

// Debian's Abseil has a string_view of its own.
absl::string_view Av(std::string_view text) { return {text.data(), text.size()}; }

// The columns in LineField order (the API's names, but for the key).
absl::string_view ColumnName(LineField field) {
  return Av(field == LineField::kLineKey ? "line_key" : LineFieldName(field));
}

std::string ColumnList(std::span<const LineField> fields, std::string_view prefix = "") {
  std::string out;
  for (const LineField field : fields) {
    if (!out.empty()) out += ", ";
    absl::StrAppend(&out, Av(prefix), ColumnName(field));
  }
  return out;
}

std::vector<LineField> AllFields() {
  std::vector<LineField> fields;
  for (const LineFieldSpec& spec : kLineFields) fields.push_back(spec.field);
  return fields;
}

std::uint64_t ParseXid(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::int64_t ParseInt(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// Sets `field` of `line` from its text in a result or a COPY row.
void SetField(OrderLine& line, LineField field, std::string_view text, bool null) {
  const LineFieldSpec& spec = SpecOf(field);
  if (spec.text != nullptr) {
    (line.*spec.text).assign(text);
    return;
  }
  switch (field) {
    case LineField::kOrderDate:
      line.order_date = static_cast<Day>(ParseInt(text));
      break;
    case LineField::kShipDate:
      line.ship_date = null ? std::nullopt : std::optional<Day>(static_cast<Day>(ParseInt(text)));
      break;
    case LineField::kSales:
      line.sales = ParseInt(text);
      break;
    case LineField::kQuantity:
      line.quantity = ParseInt(text);
      break;
    case LineField::kDiscount:
      line.discount = ParseInt(text);
      break;
    case LineField::kProfit:
      line.profit = ParseInt(text);
      break;
    default:
      break;
  }
}

// Unescapes one COPY text-format value in place of `out`.
void UnescapeCopy(std::string_view value, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\' || i + 1 == value.size()) {
      out += value[i];
      continue;
    }
    const char next = value[++i];
    out += next == 't' ? '\t' : next == 'n' ? '\n' : next == 'r' ? '\r' : next;
  }
}

// Streams `sql` (a query without parameters) through COPY TO STDOUT, each
// row as a line of `fields`.
absl::Status CopyLines(pg::Connection& connection, const std::string& sql,
                       std::span<const LineField> fields,
                       const std::function<void(const OrderLine&)>& each) {
  OrderLine line;
  std::string value;
  return connection.CopyOut(absl::StrCat("COPY (", sql, ") TO STDOUT"),
                            [&](std::string_view row) -> absl::Status {
                              std::size_t column = 0;
                              std::size_t start = 0;
                              while (column < fields.size()) {
                                std::size_t end = row.find('\t', start);
                                if (end == std::string_view::npos) end = row.size();
                                const std::string_view raw = row.substr(start, end - start);
                                const bool null = raw == "\\N";
                                UnescapeCopy(null ? std::string_view() : raw, value);
                                SetField(line, fields[column], value, null);
                                ++column;
                                start = end + 1;
                              }
                              each(line);
                              return absl::OkStatus();
                            });
}

void AppendCopyLine(std::string& out, std::int64_t seq, const OrderLineView& line) {
  absl::StrAppend(&out, seq);
  for (const LineFieldSpec& spec : kLineFields) {
    out += '\t';
    if (spec.view_text != nullptr) {
      pg::AppendCopyText(out, line.*spec.view_text);
      continue;
    }
    switch (spec.field) {
      case LineField::kOrderDate:
        absl::StrAppend(&out, line.order_date);
        break;
      case LineField::kShipDate:
        if (line.ship_date) {
          absl::StrAppend(&out, *line.ship_date);
        } else {
          out += "\\N";
        }
        break;
      case LineField::kSales:
        absl::StrAppend(&out, line.sales);
        break;
      case LineField::kQuantity:
        absl::StrAppend(&out, line.quantity);
        break;
      case LineField::kDiscount:
        absl::StrAppend(&out, line.discount);
        break;
      case LineField::kProfit:
        absl::StrAppend(&out, line.profit);
        break;
      default:
        break;
    }
  }
  out += '\n';
}

absl::Status MigrateLocked(pg::Connection& connection) {
  if (absl::Status s = connection.Execute(
          "CREATE TABLE IF NOT EXISTS analytics_schema (version INTEGER NOT NULL)");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<pg::Result> version =
      connection.Query("SELECT COALESCE(MAX(version), 0) FROM analytics_schema");
  if (!version.ok()) return version.status();
  const std::int64_t current = version->Int(0, 0);
  if (current > kPgSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat("database schema version ", current,
                                                      " is newer than this build supports (",
                                                      kPgSchemaVersion, ")"));
  }
  if (current == kPgSchemaVersion) return absl::OkStatus();
  absl::StatusOr<pg::Transaction> transaction = pg::Transaction::Begin(connection);
  if (!transaction.ok()) return transaction.status();
  for (std::int64_t step = current; step < kPgSchemaVersion; ++step) {
    const std::string sql(kMigrations[static_cast<std::size_t>(step)]);
    if (absl::Status s = connection.Execute(sql.c_str()); !s.ok()) return s;
  }
  const std::array<pg::Param, 1> params = {std::to_string(kPgSchemaVersion)};
  if (absl::Status s = connection.Execute("DELETE FROM analytics_schema"); !s.ok()) return s;
  if (absl::Status s =
          connection.Query("INSERT INTO analytics_schema VALUES ($1::INTEGER)", params).status();
      !s.ok()) {
    return s;
  }
  return transaction->Commit();
}

// A snapshot for Subscribe: one REPEATABLE READ transaction.
class PgSnapshot final : public StoreSnapshot {
 public:
  explicit PgSnapshot(pg::Connection& connection) : connection_(connection) {}
  absl::StatusOr<std::int64_t> StoredLineCount() override {
    absl::StatusOr<pg::Result> count = connection_.Query("SELECT COUNT(*) FROM order_lines");
    if (!count.ok()) return count.status();
    return count->Int(0, 0);
  }
  absl::Status ReadStoredLines(std::span<const LineField> fields,
                               const std::function<void(const OrderLine&)>& each) override {
    return CopyLines(connection_, absl::StrCat("SELECT ", ColumnList(fields), " FROM order_lines"),
                     fields, each);
  }
  absl::StatusOr<std::int64_t> LoggedLineCount() override { return 0; }
  absl::Status ReadLoggedLines(const std::function<void(const OrderLine&)>&) override {
    return absl::OkStatus();
  }

 private:
  pg::Connection& connection_;
};

class PgRow final : public SqlRow {
 public:
  PgRow(const pg::Result& result, int row) : result_(result), row_(row) {}
  bool IsNull(int column) const override { return result_.IsNull(row_, column); }
  std::int64_t Int(int column) const override { return result_.Int(row_, column); }
  std::string Text(int column) const override { return std::string(result_.Text(row_, column)); }

 private:
  const pg::Result& result_;
  int row_;
};

// The engine's SQL in PostgreSQL's dialect: ?N becomes $N, typed: a list
// (read through json_each) as jsonb, any other parameter as an integer.
std::string ToPostgres(const std::string& sql) {
  std::array<bool, 32> is_list{};
  for (std::size_t at = sql.find("json_each(?"); at != std::string::npos;
       at = sql.find("json_each(?", at + 1)) {
    const std::size_t digits = at + std::string_view("json_each(?").size();
    const std::size_t n = static_cast<std::size_t>(ParseInt(sql.substr(digits, 2)));
    if (n < is_list.size()) is_list[n] = true;
  }
  std::string out;
  out.reserve(sql.size() + 64);
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql.compare(i, 10, "json_each(") == 0) {
      out += "jsonb_array_elements_text(";
      i += 9;
      continue;
    }
    if (sql[i] != '?') {
      out += sql[i];
      continue;
    }
    std::size_t end = i + 1;
    while (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') ++end;
    const std::string number = sql.substr(i + 1, end - i - 1);
    const std::size_t n = static_cast<std::size_t>(ParseInt(number));
    absl::StrAppend(&out, "$", number, n < is_list.size() && is_list[n] ? "::jsonb" : "::int8");
    i = end - 1;
  }
  return out;
}

class PgBackend final : public SqlBackend {
 public:
  PgBackend(pg::Pool& pool, pg::Connection* held) : pool_(pool), held_(held) {}

  absl::Status Query(const std::string& sql, std::span<const SqlParam> params,
                     const std::function<void(const SqlRow&)>& on_row) override {
    std::vector<pg::Param> values;
    for (const SqlParam& param : params) {
      if (std::holds_alternative<std::monostate>(param)) {
        values.emplace_back(std::nullopt);
      } else if (std::holds_alternative<std::int64_t>(param)) {
        values.emplace_back(std::to_string(std::get<std::int64_t>(param)));
      } else {
        values.emplace_back(std::get<std::string>(param));
      }
    }
    const auto run = [&](pg::Connection& connection) -> absl::Status {
      absl::StatusOr<pg::Result> result = connection.Query(ToPostgres(sql), values);
      if (!result.ok()) return result.status();
      for (int row = 0; row < result->rows(); ++row) on_row(PgRow(*result, row));
      return absl::OkStatus();
    };
    if (held_ != nullptr) return run(*held_);
    absl::StatusOr<pg::Pool::Lease> lease = pool_.Acquire();
    if (!lease.ok()) return lease.status();
    return run(**lease);
  }

  absl::Status ReadConsistently(const std::function<absl::Status(SqlBackend&)>& read) override {
    if (held_ != nullptr) return read(*this);
    absl::StatusOr<pg::Pool::Lease> lease = pool_.Acquire();
    if (!lease.ok()) return lease.status();
    absl::StatusOr<pg::Transaction> transaction =
        pg::Transaction::Begin(**lease, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!transaction.ok()) return transaction.status();
    PgBackend view(pool_, &**lease);
    if (absl::Status s = read(view); !s.ok()) return s;
    return transaction->Commit();
  }

 private:
  pg::Pool& pool_;
  pg::Connection* const held_;
};

constexpr char kStagingTable[] = R"sql(
CREATE TEMP TABLE IF NOT EXISTS staged_lines (
  seq BIGINT NOT NULL, line_key TEXT COLLATE "C", order_id TEXT COLLATE "C", order_date INTEGER,
  ship_date INTEGER, ship_mode TEXT, customer_id TEXT COLLATE "C", customer_name TEXT,
  segment TEXT, country TEXT, region TEXT, state TEXT, city TEXT, postal_code TEXT,
  product_id TEXT, category TEXT, sub_category TEXT, product_name TEXT, sales BIGINT,
  quantity BIGINT, discount BIGINT, profit BIGINT) ON COMMIT DELETE ROWS)sql";

// Each staged line with the line it replaces: the one staged before it with
// the same key, else the stored row (none for a new key). Counted the way
// SQLite's row-by-row upsert counts.
constexpr char kClassified[] = R"sql(
WITH s AS (
  SELECT seq, line_key, order_id, customer_id,
         LAG(seq) OVER w AS prev_seq, LAG(order_id) OVER w AS prev_order,
         LAG(customer_id) OVER w AS prev_customer
  FROM staged_lines WINDOW w AS (PARTITION BY line_key ORDER BY seq)),
c AS (
  SELECT s.seq, s.line_key, s.prev_seq IS NULL AND o.line_key IS NULL AS is_new,
         COALESCE(s.prev_order, o.order_id) AS prev_order, s.order_id,
         COALESCE(s.prev_customer, o.customer_id) AS prev_customer, s.customer_id
  FROM s LEFT JOIN order_lines o ON s.prev_seq IS NULL AND o.line_key = s.line_key))sql";

}  // namespace

double PgStore::StalenessSeconds() const {
  const std::int64_t followed = followed_at_ns_.load(std::memory_order_relaxed);
  if (followed == 0) return 0;
  const auto since = std::chrono::steady_clock::now().time_since_epoch() -
                     std::chrono::steady_clock::duration(followed);
  return std::max(ReplicaLagSeconds(), std::chrono::duration<double>(since).count());
}

bool IsPostgresDsn(const std::string& db) {
  return db.starts_with("postgres://") || db.starts_with("postgresql://");
}

std::string RedactedDb(const std::string& db) {
  if (!IsPostgresDsn(db)) return db;
  const std::size_t scheme = db.find("://") + 3;
  const std::size_t at = db.find('@', scheme);
  const std::size_t colon = db.find(':', scheme);
  if (at == std::string::npos || colon == std::string::npos || colon > at) return db;
  return absl::StrCat(db.substr(0, colon + 1), "***", db.substr(at));
}

PgStore::PgStore(PgStoreOptions options)
    : options_(std::move(options)), pool_(options_.dsn, kPoolSessionName) {}

absl::StatusOr<std::unique_ptr<PgStore>> PgStore::Open(PgStoreOptions options) {
  if (options.replica_name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    options.replica_name = absl::StrCat(host, ":", getpid());
  }
  std::unique_ptr<PgStore> store(new PgStore(std::move(options)));
  {
    absl::StatusOr<pg::Pool::Lease> lease = store->pool_.Acquire();
    if (!lease.ok()) return lease.status();
    // The lock is the session's: held across the migration's transaction,
    // released below (or by the server when the session ends).
    if (absl::Status s = (*lease)->Execute(kMigrationLock); !s.ok()) return s;
    absl::Status migrated = MigrateLocked(**lease);
    if (absl::Status s = (*lease)->Execute(kMigrationUnlock); !s.ok() && migrated.ok()) {
      migrated = s;
    }
    if (!migrated.ok()) return migrated;
  }
  store->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (store->wake_fd_ < 0) return absl::InternalError("eventfd failed");
  if (absl::Status s = store->RefreshStats(); !s.ok()) return s;
  return store;
}

PgStore::~PgStore() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  Wake();
  if (follower_.joinable()) follower_.join();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void PgStore::Wake() {
  const std::uint64_t one = 1;
  if (wake_fd_ >= 0) {
    const ssize_t written = write(wake_fd_, &one, sizeof one);
    (void)written;  // a full counter already means "wake"
  }
}

absl::Status PgStore::RefreshStats() {
  absl::StatusOr<pg::Pool::Lease> lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  absl::StatusOr<pg::Result> stats =
      (*lease)->Query("SELECT line_count, pg_database_size(current_database()) FROM store_bound");
  if (!stats.ok()) return stats.status();
  lines_.store(stats->Int(0, 0), std::memory_order_relaxed);
  database_bytes_.store(stats->Int(0, 1), std::memory_order_relaxed);
  return absl::OkStatus();
}

StoreStats PgStore::LastCommittedStats() const {
  return {.lines = lines_.load(std::memory_order_relaxed),
          .database_bytes = database_bytes_.load(std::memory_order_relaxed),
          .lines_written = lines_written_.load(std::memory_order_relaxed)};
}

absl::StatusOr<std::int64_t> PgStore::CountLines() {
  absl::StatusOr<pg::Pool::Lease> lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  absl::StatusOr<pg::Result> count = (*lease)->Query("SELECT COUNT(*) FROM order_lines");
  if (!count.ok()) return count.status();
  return count->Int(0, 0);
}

absl::StatusOr<bool> PgStore::IsEmpty() {
  absl::StatusOr<pg::Pool::Lease> lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  absl::StatusOr<pg::Result> any = (*lease)->Query("SELECT NOT EXISTS (SELECT 1 FROM order_lines)");
  if (!any.ok()) return any.status();
  return any->Text(0, 0) == "t";
}

// A lost connection is told to the client as what it means for the write,
// not as the statement that met it ("copy: ..."): before COMMIT the
// transaction died with the connection, so nothing was stored; at COMMIT the
// outcome is unknown, as for any database client. The source's own errors
// (a stream that failed, a server shutting down) pass through unchanged.
absl::Status PgStore::WriteFailure(const absl::Status& status, FailedAt failed_at) {
  if (status.code() != absl::StatusCode::kUnavailable || failed_at == FailedAt::kSource) {
    return status;
  }
  if (failed_at == FailedAt::kCommit) {
    return absl::UnavailableError(
        "PostgreSQL stopped answering at the commit: this write may or may not be stored; read "
        "before retrying");
  }
  // Not "not reachable" only: a session ended by pg_terminate_backend (an
  // operator, a pooler) lands here too while PostgreSQL itself is up.
  return absl::UnavailableError(
      "PostgreSQL was not reachable or ended the session: nothing of this write was stored; "
      "retry");
}

absl::StatusOr<WriteResult> PgStore::Upsert(LineSource& source, bool replace) {
  std::string xid;
  FailedAt failed_at = FailedAt::kDatabase;
  absl::StatusOr<WriteResult> result = Write(source, replace, /*commit=*/true, &xid, failed_at);
  if (!result.ok()) return WriteFailure(result.status(), failed_at);
  lines_written_.fetch_add(result->inserted + result->updated, std::memory_order_relaxed);
  result->consistency_token = xid;
  // Read-your-writes here as on SQLite: the reply waits for this replica's
  // follower (woken now) to apply the write, within reason.
  Wake();
  if (absl::Status s = AwaitVisible(xid, options_.own_write_wait); !s.ok()) {
    spdlog::warn("write {} committed but not yet applied here: {}", xid, std::string(s.message()));
  }
  return result;
}

absl::StatusOr<WriteResult> PgStore::Classify(LineSource& source) {
  FailedAt failed_at = FailedAt::kDatabase;
  absl::StatusOr<WriteResult> result =
      Write(source, /*replace=*/false, /*commit=*/false, nullptr, failed_at);
  if (!result.ok()) return WriteFailure(result.status(), failed_at);
  return result;
}

absl::StatusOr<WriteResult> PgStore::Write(LineSource& source, bool replace, bool commit,
                                           std::string* xid, FailedAt& failed_at) {
  absl::StatusOr<pg::Pool::Lease> lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  pg::Connection& connection = **lease;
  absl::StatusOr<pg::Transaction> transaction = pg::Transaction::Begin(connection);
  if (!transaction.ok()) return transaction.status();
  if (commit) {
    // Writers queue here, so overlapping upserts never deadlock and counts
    // are exact.
    if (absl::Status s = connection.Query("SELECT 1 FROM store_bound FOR UPDATE").status();
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = connection.Execute(kStagingTable); !s.ok()) return s;
  if (absl::Status s = connection.BeginCopy("COPY staged_lines FROM STDIN"); !s.ok()) return s;
  MagnitudeTotals staged;
  std::int64_t seq = 0;
  std::string buffer;
  LineBatch batch;
  OrderLineView line;
  absl::Status copy = absl::OkStatus();
  bool copy_refused = false;  // `copy` is PostgreSQL's error, not the lines'
  while (copy.ok() && source.NextBatch(batch)) {
    staged.Add(batch.magnitudes());
    if (const std::optional<MagnitudeTotals::Field> field = staged.Exceeded()) {
      copy = MagnitudeRefusal(*field);
      break;
    }
    LineBatchReader reader(batch.bytes());
    while (reader.Next(line)) AppendCopyLine(buffer, seq++, line);
    if (!reader.status().ok()) copy = reader.status();
    if (buffer.size() >= (1u << 20)) {
      if (copy.ok()) {
        copy = connection.PutCopyData(buffer);
        copy_refused = !copy.ok();
      }
      buffer.clear();
    }
  }
  if (copy.ok()) copy = source.status();
  if (copy.ok() && !buffer.empty()) {
    copy = connection.PutCopyData(buffer);
    copy_refused = !copy.ok();
  }
  if (!copy.ok()) {
    if (!copy_refused) failed_at = FailedAt::kSource;
    // Abort the COPY; the transaction rolls back with `transaction`.
    absl::Status ignored = connection.EndCopy("write abandoned");
    (void)ignored;
    return copy;
  }
  if (absl::Status s = connection.EndCopy(); !s.ok()) return s;

  if (replace && commit) {
    if (absl::Status s = connection.Execute("DELETE FROM order_lines"); !s.ok()) return s;
  }
  WriteResult result;
  std::int64_t lines_after = 0;
  {
    absl::StatusOr<pg::Result> counts = connection.Query(
        absl::StrCat(kClassified,
                     " SELECT COUNT(*) FILTER (WHERE is_new), COUNT(*) FILTER (WHERE NOT is_new),"
                     " COUNT(*) FILTER (WHERE NOT is_new AND (prev_order <> order_id OR"
                     " prev_customer <> customer_id)) FROM c"));
    if (!counts.ok()) return counts.status();
    result.inserted = counts->Int(0, 0);
    result.updated = counts->Int(0, 1);
    // As on SQLite: a replacing write has nothing stored to compare with.
    const std::int64_t reassigned = replace ? 0 : counts->Int(0, 2);
    if (reassigned > 0) {
      const std::array<pg::Param, 1> limit = {std::to_string(kMaxReportedReassignments)};
      absl::StatusOr<pg::Result> examples = connection.Query(
          absl::StrCat(kClassified,
                       " SELECT line_key, prev_order, order_id, prev_customer, customer_id FROM c"
                       " WHERE NOT is_new AND (prev_order <> order_id OR"
                       " prev_customer <> customer_id) ORDER BY seq LIMIT $1::INTEGER"),
          limit);
      if (!examples.ok()) return examples.status();
      for (int row = 0; row < examples->rows(); ++row) {
        result.NoteReassigned({.line_key = std::string(examples->Text(row, 0)),
                               .previous_order_id = std::string(examples->Text(row, 1)),
                               .order_id = std::string(examples->Text(row, 2)),
                               .previous_customer_id = std::string(examples->Text(row, 3)),
                               .customer_id = std::string(examples->Text(row, 4))});
      }
      result.reassigned = reassigned;
    }
  }

  // The bound: the stored bound plus this write's magnitudes (a replaced
  // line counts twice); only past the limit is it recomputed exactly.
  {
    const std::array<pg::Param, 5> params = {
        std::to_string(staged.sales()), std::to_string(staged.profit()),
        std::to_string(staged.quantity()), replace ? "t" : "f", std::to_string(result.inserted)};
    absl::StatusOr<pg::Result> bound = connection.Query(
        "UPDATE store_bound SET"
        " sales = CASE WHEN $4::BOOLEAN THEN 0 ELSE sales END + $1::NUMERIC,"
        " profit = CASE WHEN $4::BOOLEAN THEN 0 ELSE profit END + $2::NUMERIC,"
        " quantity = CASE WHEN $4::BOOLEAN THEN 0 ELSE quantity END + $3::NUMERIC,"
        " line_count = CASE WHEN $4::BOOLEAN THEN 0 ELSE line_count END + $5::BIGINT"
        " RETURNING sales > 9223372036854775807, profit > 9223372036854775807,"
        " quantity > 9223372036854775807, line_count",
        params);
    if (!bound.ok()) return bound.status();
    if (commit) lines_after = bound->Int(0, 3);
    if (bound->Text(0, 0) == "t" || bound->Text(0, 1) == "t" || bound->Text(0, 2) == "t") {
      // Exact over what the store would hold after this write.
      absl::StatusOr<pg::Result> exact = connection.Query(R"sql(
WITH after AS (
  SELECT sales, profit, quantity FROM order_lines o
  WHERE NOT EXISTS (SELECT 1 FROM staged_lines s WHERE s.line_key = o.line_key)
  UNION ALL
  SELECT DISTINCT ON (line_key) sales, profit, quantity FROM staged_lines
  ORDER BY 1)
SELECT COALESCE(SUM(ABS(sales::NUMERIC)), 0) > 9223372036854775807,
       COALESCE(SUM(ABS(profit::NUMERIC)), 0) > 9223372036854775807,
       COALESCE(SUM(ABS(quantity::NUMERIC)), 0) > 9223372036854775807 FROM after)sql");
      if (!exact.ok()) return exact.status();
      if (exact->Text(0, 0) == "t") return MagnitudeRefusal(MagnitudeTotals::Field::kSales);
      if (exact->Text(0, 1) == "t") return MagnitudeRefusal(MagnitudeTotals::Field::kProfit);
      if (exact->Text(0, 2) == "t") return MagnitudeRefusal(MagnitudeTotals::Field::kQuantity);
      if (commit) {
        if (absl::Status s = connection.Execute(R"sql(
UPDATE store_bound SET (sales, profit, quantity) = (
  SELECT COALESCE(SUM(ABS(sales::NUMERIC)), 0), COALESCE(SUM(ABS(profit::NUMERIC)), 0),
         COALESCE(SUM(ABS(quantity::NUMERIC)), 0) FROM order_lines))sql");
            !s.ok()) {
          return s;
        }
      }
    }
  }
  if (!commit) return result;  // `transaction` rolls back

  const std::array<pg::Param, 2> change_params = {replace ? "1" : "0", std::to_string(seq)};
  absl::StatusOr<pg::Result> change = connection.Query(
      "INSERT INTO change_log (kind, lines) VALUES ($1::SMALLINT, $2::BIGINT)"
      " RETURNING id, xid::TEXT",
      change_params);
  if (!change.ok()) return change.status();
  const std::array<pg::Param, 1> change_id = {std::string(change->Text(0, 0))};
  static const std::string upsert = [] {
    const std::vector<LineField> fields = AllFields();
    std::string set;
    for (const LineField field : fields) {
      if (field == LineField::kLineKey) continue;
      absl::StrAppend(&set, ColumnName(field), " = EXCLUDED.", ColumnName(field), ", ");
    }
    return absl::StrCat("INSERT INTO order_lines (", ColumnList(fields),
                        ", change_id) SELECT DISTINCT ON (line_key) ", ColumnList(fields),
                        ", $1::BIGINT FROM staged_lines ORDER BY line_key, seq DESC"
                        " ON CONFLICT (line_key) DO UPDATE SET ",
                        set, "change_id = EXCLUDED.change_id");
  }();
  if (absl::Status s = connection.Query(upsert, change_id).status(); !s.ok()) return s;
  if (absl::Status s = connection.Execute(kNotifyChanges); !s.ok()) {
    return s;
  }
  failed_at = FailedAt::kCommit;
  if (absl::Status s = transaction->Commit(); !s.ok()) return s;
  *xid = std::string(change->Text(0, 1));
  lines_.store(lines_after, std::memory_order_relaxed);
  return result;
}

absl::Status PgStore::Subscribe(WriteListener& listener,
                                const std::function<absl::Status(StoreSnapshot&)>& load) {
  {
    std::lock_guard lock(mutex_);
    if (listener_ != nullptr) return absl::FailedPreconditionError("store already has a listener");
  }
  absl::StatusOr<pg::Pool::Lease> lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  // Registered before the snapshot, at the pruning floor: from now on no
  // replica prunes the change log past it, so the log still holds every
  // change above the snapshot's horizon when the follower starts from it.
  const std::array<pg::Param, 1> name = {options_.replica_name};
  if (absl::Status s =
          (*lease)
              ->Query("INSERT INTO analytics_replicas (name, horizon)"
                      " SELECT $1, pruned_below FROM store_bound ON CONFLICT (name) DO UPDATE"
                      " SET horizon = EXCLUDED.horizon, seen_at = clock_timestamp()",
                      name)
              .status();
      !s.ok()) {
    return s;
  }
  absl::StatusOr<pg::Transaction> transaction =
      pg::Transaction::Begin(**lease, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!transaction.ok()) return transaction.status();
  absl::StatusOr<pg::Result> horizon =
      (*lease)->Query("SELECT pg_snapshot_xmin(pg_current_snapshot())::TEXT");
  if (!horizon.ok()) return horizon.status();
  PgSnapshot snapshot(**lease);
  if (absl::Status s = load(snapshot); !s.ok()) return s;
  if (absl::Status s = transaction->Commit(); !s.ok()) return s;
  {
    std::lock_guard lock(mutex_);
    listener_ = &listener;
    horizon_ = ParseXid(horizon->Text(0, 0));
  }
  follower_ = std::thread([this] { RunFollower(); });
  return absl::OkStatus();
}

void PgStore::Unsubscribe(const WriteListener& listener) {
  {
    std::lock_guard lock(mutex_);
    if (listener_ != &listener) return;
    stopping_ = true;
  }
  Wake();
  if (follower_.joinable()) follower_.join();
  std::lock_guard lock(mutex_);
  listener_ = nullptr;
  // A later Subscribe starts a follower again: left set, that follower
  // would stop at once and the new listener would miss every write.
  stopping_ = false;
}

absl::Status PgStore::AwaitVisible(std::string_view token, std::chrono::milliseconds max_wait) {
  std::uint64_t xid = 0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), xid);
  if (token.empty() || error != std::errc() || end != token.data() + token.size()) {
    return absl::InvalidArgumentError("consistency token: not one this service issued");
  }
  std::unique_lock lock(mutex_);
  if (listener_ == nullptr) return absl::OkStatus();  // SQL reads see every commit
  if (!applied_cv_.wait_for(lock, max_wait, [&] { return horizon_ > xid || stopping_; })) {
    return absl::DeadlineExceededError(
        "this replica has not applied the write of the consistency token yet");
  }
  return absl::OkStatus();
}

void PgStore::Publish(std::uint64_t horizon) {
  {
    std::lock_guard lock(mutex_);
    if (horizon > horizon_) horizon_ = horizon;
  }
  applied_cv_.notify_all();
}

void PgStore::RunFollower() {
  std::optional<pg::Connection> connection;
  std::chrono::milliseconds backoff(100);
  // After a round that saw changes it could not apply yet: 1, 2, 4 ... ms.
  std::chrono::milliseconds recheck(0);
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (!connection || !connection->healthy()) {
      connection.reset();
      absl::StatusOr<pg::Connection> connected =
          pg::Connection::Connect(pool_.dsn(), kFollowerSessionName);
      if (connected.ok() && connected->Execute(kListenChanges).ok()) {
        connection = std::move(*connected);
        backoff = std::chrono::milliseconds(100);
      }
    }
    bool failed = !connection.has_value();
    bool held_back = false;
    if (connection) {
      // Catch-up after a reconnect is the same round: from the horizon on.
      if (absl::Status s = FollowOnce(*connection, held_back); !s.ok()) {
        spdlog::warn("replica follower: {}; retrying", std::string(s.message()));
        failed = true;
      }
    }
    // A notification that arrived during the round was read by libpq
    // along with the round's results, so the socket will not signal it:
    // look again now instead of waiting.
    bool notified = false;
    if (connection && !failed) {
      PQconsumeInput(connection->get());
      while (PGnotify* notify = PQnotifies(connection->get())) {
        PQfreemem(notify);
        notified = true;
      }
    }
    if (notified) continue;
    // Wait for a notification, a local write or the poll interval.
    std::array<pollfd, 2> fds = {
        pollfd{.fd = wake_fd_, .events = POLLIN, .revents = 0},
        pollfd{
            .fd = connection ? PQsocket(connection->get()) : -1, .events = POLLIN, .revents = 0}};
    recheck = held_back && !failed ? std::min(std::max(recheck * 2, std::chrono::milliseconds(1)),
                                              options_.poll_interval)
                                   : std::chrono::milliseconds(0);
    const auto wait = failed ? backoff : held_back ? recheck : options_.poll_interval;
    if (failed) backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    std::uint64_t drained = 0;
    const ssize_t got = read(wake_fd_, &drained, sizeof drained);
    (void)got;
    if (connection) {
      PQconsumeInput(connection->get());
      while (PGnotify* notify = PQnotifies(connection->get())) PQfreemem(notify);
    }
  }
}

absl::Status PgStore::FollowOnce(pg::Connection& connection, bool& held_back) {
  held_back = false;
  WriteListener* listener = nullptr;
  std::uint64_t from = 0;
  {
    std::lock_guard lock(mutex_);
    listener = listener_;
    from = horizon_;
  }
  if (listener == nullptr) return absl::OkStatus();
  absl::StatusOr<pg::Transaction> transaction =
      pg::Transaction::Begin(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!transaction.ok()) return transaction.status();
  absl::StatusOr<pg::Result> state = connection.Query(
      "SELECT pg_snapshot_xmin(pg_current_snapshot())::TEXT, pruned_below::TEXT, line_count,"
      " pg_database_size(current_database()) FROM store_bound");
  if (!state.ok()) return state.status();
  // Every replica's writes count, not only this one's.
  lines_.store(state->Int(0, 2), std::memory_order_relaxed);
  database_bytes_.store(state->Int(0, 3), std::memory_order_relaxed);
  const std::uint64_t to = ParseXid(state->Text(0, 0));
  const bool pruned_past_us = ParseXid(state->Text(0, 1)) > from;
  const std::array<pg::Param, 2> range = {std::to_string(from), std::to_string(to)};
  if (to > from) {
    absl::StatusOr<pg::Result> changes = connection.Query(
        "SELECT id, kind FROM change_log WHERE xid >= $1::TEXT::XID8 AND xid < $2::TEXT::XID8"
        " ORDER BY xid, id",
        range);
    if (!changes.ok()) return changes.status();
    bool replace = pruned_past_us;
    std::string ids = "{";
    for (int row = 0; row < changes->rows(); ++row) {
      replace = replace || changes->Text(row, 1) == "1";
      if (row > 0) ids += ',';
      ids += changes->Text(row, 0);
    }
    ids += '}';
    if (changes->rows() > 0 || replace) {
      const std::vector<LineField> fields = AllFields();
      std::unique_ptr<PendingWrite> pending = listener->BeginWrite(replace);
      const auto add = [&](const OrderLine& line) { pending->Add(OrderLine(line)); };
      if (replace) {
        if (absl::Status s = CopyLines(
                connection, absl::StrCat("SELECT ", ColumnList(fields), " FROM order_lines"),
                fields, add);
            !s.ok()) {
          return s;
        }
      } else {
        const std::array<pg::Param, 1> id_list = {ids};
        OrderLine line;
        if (absl::Status s = connection.QueryEach(
                absl::StrCat("SELECT ", ColumnList(fields),
                             " FROM order_lines WHERE change_id = ANY($1::BIGINT[])"),
                id_list,
                [&](const pg::Result& row) {
                  for (std::size_t column = 0; column < fields.size(); ++column) {
                    const int c = static_cast<int>(column);
                    SetField(line, fields[column], row.Text(0, c), row.IsNull(0, c));
                  }
                  pending->Add(OrderLine(line));
                });
            !s.ok()) {
          return s;
        }
      }
      pending->Commit();
      changes_applied_.fetch_add(changes->rows(), std::memory_order_relaxed);
    }
  }
  // How far behind: the oldest change this replica has not applied. One
  // this snapshot sees but may not apply yet is held back by an older
  // transaction still running (often another replica's horizon update):
  // it commits without a notification, so look again soon, not at the poll.
  const std::array<pg::Param, 1> horizon = {std::to_string(std::max(from, to))};
  absl::StatusOr<pg::Result> lag = connection.Query(
      "SELECT COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - MIN(written_at)), 0)::TEXT,"
      " (COUNT(*) > 0)::TEXT FROM change_log WHERE xid >= $1::TEXT::XID8",
      horizon);
  if (!lag.ok()) return lag.status();
  held_back = lag->Text(0, 1) == "true";
  if (absl::Status s = transaction->Commit(); !s.ok()) return s;
  lag_seconds_.store(std::strtod(std::string(lag->Text(0, 0)).c_str(), nullptr),
                     std::memory_order_relaxed);
  followed_at_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                        std::memory_order_relaxed);
  if (to > from) {
    Publish(to);
    // Record the horizon and prune below every live replica's; a replica
    // silent for ten minutes no longer holds the log back (it reloads).
    const std::array<pg::Param, 2> replica = {options_.replica_name, std::to_string(to)};
    absl::Status recorded =
        connection
            .Query(
                "INSERT INTO analytics_replicas (name, horizon) VALUES ($1, $2::TEXT::XID8)"
                " ON CONFLICT (name) DO UPDATE SET horizon = EXCLUDED.horizon,"
                " seen_at = clock_timestamp()",
                replica)
            .status();
    if (recorded.ok()) {
      absl::Status pruned = connection.Execute(R"sql(
WITH live AS (
  SELECT MIN(horizon) AS floor FROM analytics_replicas
  WHERE seen_at > clock_timestamp() - INTERVAL '10 minutes'),
moved AS (
  UPDATE store_bound SET pruned_below = live.floor FROM live
  WHERE live.floor IS NOT NULL AND live.floor > pruned_below RETURNING pruned_below)
DELETE FROM change_log WHERE xid < (SELECT pruned_below FROM moved))sql");
      if (!pruned.ok()) return pruned;
    }
    return recorded;
  }
  return absl::OkStatus();
}

std::unique_ptr<SqlBackend> PgStore::MakeSqlBackend() {
  return std::make_unique<PgBackend>(pool_, nullptr);
}

}  // namespace analytics
