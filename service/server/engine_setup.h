// Builds the query engine the server answers with, from --engine and
// --memory-budget-mb.
//
// Any store (store/store.h) with a SQL engine over it. "columnar" (the
// default) loads the lines into the columnar engine and wraps
// it in a FallbackQueryEngine over the SQL engine: if the lines do not fit
// the memory budget at start-up, or a later write pushes them over it, the
// server logs why and keeps answering, from SQL. "sql" uses the SQL engine
// alone.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "query/columnar/columnar_engine.h"
#include "query/fallback_engine.h"
#include "query/sql_query_engine.h"
#include "store/order_store.h"
#include "store/pg_store.h"
#include "store/store.h"

namespace analytics {

// Opens the store --db names: PostgreSQL for a postgres:// or postgresql://
// URI (PgStore), else the SQLite file (OrderStore), whose bound on the
// stored magnitudes is summed in the background: call
// OrderStore::BoundChecked before serving.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& db);

// Where the columnar engine keeps its snapshot for the store `db` names:
// `<db>.engine-snapshot` beside a SQLite file; empty (none) for :memory: and
// PostgreSQL.
std::string SnapshotPathFor(const std::string& db);

class QueryEngines {
 public:
  // `engine` is "columnar" or "sql"; `memory_budget_mb` 0 means no cap.
  // The SQL engine runs on the store's own connection.
  static absl::StatusOr<std::unique_ptr<QueryEngines>> Start(OrderStore& store,
                                                             const std::string& engine,
                                                             std::int64_t memory_budget_mb);
  // OrderStore or PgStore: the SQL engine on SQLite's connection or on
  // PostgreSQL's pool.
  // `snapshot_path`: the columnar engine's snapshot (empty: none; ignored
  // for PostgreSQL, whose store cannot replay from a position).
  // `read_snapshot`: ColumnarEngineOptions::read_snapshot (empty: read the
  // file when the engine starts).
  static absl::StatusOr<std::unique_ptr<QueryEngines>> StartFor(
      Store& store, const std::string& engine, std::int64_t memory_budget_mb,
      const std::string& snapshot_path = "",
      std::function<absl::StatusOr<columnar::TableSnapshot>()> read_snapshot = {});
  // Any store, with the SQL engine over its backend (PostgreSQL: the
  // fallback reads by SQL on the shared database).
  static absl::StatusOr<std::unique_ptr<QueryEngines>> Start(
      Store& store, std::unique_ptr<SqlQueryEngine> sql, const std::string& engine,
      std::int64_t memory_budget_mb, const std::string& snapshot_path = "",
      std::function<absl::StatusOr<columnar::TableSnapshot>()> read_snapshot = {});
  // Writes the columnar engine's snapshot if it changed (a clean stop, once
  // writes have stopped), logging the outcome.
  void SaveSnapshot();

  // The engine every read goes through; lives as long as this object.
  QueryEngine& active() {
    if (fallback_ != nullptr) return *fallback_;
    return *sql_;
  }

 private:
  QueryEngines() = default;
  std::unique_ptr<SqlQueryEngine> sql_;
  std::unique_ptr<ColumnarEngine> columnar_;
  std::unique_ptr<FallbackQueryEngine> fallback_;
};

}  // namespace analytics
