// The reference query engine: every aggregation is one SQL statement over the
// order_lines table (GROUP BY and window functions), run through a
// SqlBackend (store/sql_backend.h): SQLite on OrderStore's connection, or
// PostgreSQL on PgStore's pool. The same SQL text serves both.
//
// SQL text is fixed at compile time. Filter values are bound as parameters
// (lists as JSON arrays expanded with json_each), so no request string ever
// becomes SQL. Bucketing for trends calls analytics_bucket_start: on SQLite
// the C++ BucketStart() as a registered function, so both engines share one
// calendar definition; on PostgreSQL a SQL function of the schema that the
// differential tests hold to the same answers.
#pragma once

#include <memory>

#include "query/query_engine.h"
#include "store/order_store.h"
#include "store/sql_backend.h"

namespace analytics {

class SqlQueryEngine final : public QueryEngine {
 public:
  // Registers the engine's SQL functions on the store's connection.
  static absl::StatusOr<std::unique_ptr<SqlQueryEngine>> Create(OrderStore& store);
  // Over any backend (PgStore::SqlBackend(), say).
  static std::unique_ptr<SqlQueryEngine> Create(std::unique_ptr<SqlBackend> backend);

  absl::StatusOr<Measures> Totals(const Filter& filter) override;
  absl::StatusOr<std::vector<GroupMeasures>> Breakdown(const Filter& filter,
                                                       Dimension dimension) override;
  absl::StatusOr<std::vector<TrendPoint>> Trend(const Filter& filter,
                                                Granularity granularity) override;
  absl::StatusOr<std::optional<DateSpan>> Span(const Filter& filter) override;
  absl::StatusOr<CustomerRfmList> ScoreCustomers(const Filter& filter, Day as_of) override;
  absl::StatusOr<CustomerDayList> CustomerDays(const Filter& filter) override;
  // Runs `read` on the backend's consistent view (SQLite: holding the
  // store's connection; PostgreSQL: one REPEATABLE READ transaction).
  absl::Status ReadConsistently(
      const std::function<absl::Status(QueryEngine& view)>& read) override;

 private:
  // `owned` null: a consistent read's view over `backend`.
  SqlQueryEngine(std::unique_ptr<SqlBackend> owned, SqlBackend& backend)
      : owned_(std::move(owned)), backend_(backend) {}
  std::unique_ptr<SqlBackend> owned_;
  SqlBackend& backend_;
};

}  // namespace analytics
