// How the SQL query engine reaches a database: one read-only statement at a
// time, with bound parameters, rows handed back one by one.
//
// The engine's SQL is written once (query/sql_query_engine.cc) in the
// common subset of SQLite and PostgreSQL, with `?N` placeholders and two
// functions each database provides (json_each over a JSON array of values;
// analytics_bucket_start, common/civil_day.h's BucketStart); a backend
// turns them into its dialect. Values are always bound, so no request
// string ever becomes SQL. The SQLite backend runs on OrderStore's connection, the
// PostgreSQL one on PgStore's pool (pg_store.h).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <variant>

#include "absl/status/status.h"

namespace analytics {

// A bound parameter: NULL, an integer, or text (a list is a JSON array).
using SqlParam = std::variant<std::monostate, std::int64_t, std::string>;

// One result row; integers wider than 64 bits are not expected (the
// magnitude bound keeps every sum within int64).
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual bool IsNull(int column) const = 0;
  virtual std::int64_t Int(int column) const = 0;
  virtual std::string Text(int column) const = 0;
};

class SqlBackend {
 public:
  virtual ~SqlBackend() = default;
  // Runs `sql` with `params` bound to ?1..?N, calling `on_row` for each
  // row. A parameter read through json_each(?N) is a JSON array of texts (or
  // NULL); every other one an integer (or NULL).
  virtual absl::Status Query(const std::string& sql, std::span<const SqlParam> params,
                             const std::function<void(const SqlRow&)>& on_row) = 0;
  // Runs `read` with a backend whose queries all see one committed state.
  virtual absl::Status ReadConsistently(const std::function<absl::Status(SqlBackend&)>& read) = 0;
};

}  // namespace analytics
