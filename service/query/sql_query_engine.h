// The reference query engine: every aggregation is one SQL statement over the
// order_lines table (GROUP BY and window functions), run on the store's
// connection.
//
// SQL text is fixed at compile time. Filter values are bound as parameters
// (lists as JSON arrays expanded with json_each), so no request string ever
// becomes SQL. Bucketing for trends calls the C++ BucketStart() through a
// registered SQL function, so both engines share one calendar definition.
#pragma once

#include <memory>

#include "query/query_engine.h"
#include "store/order_store.h"

namespace analytics {

class SqlQueryEngine final : public QueryEngine {
 public:
  // Registers the engine's SQL functions on the store's connection.
  static absl::StatusOr<std::unique_ptr<SqlQueryEngine>> Create(OrderStore& store);

  absl::StatusOr<Measures> Totals(const Filter& filter) override;
  absl::StatusOr<std::vector<GroupMeasures>> Breakdown(const Filter& filter,
                                                       Dimension dimension) override;
  absl::StatusOr<std::vector<TrendPoint>> Trend(const Filter& filter,
                                                Granularity granularity) override;
  absl::StatusOr<std::optional<DateSpan>> Span(const Filter& filter) override;
  absl::StatusOr<CustomerRfmList> ScoreCustomers(const Filter& filter, Day as_of) override;
  // Holds the store's connection while `read` runs.
  absl::Status ReadConsistently(
      const std::function<absl::Status(QueryEngine& view)>& read) override;

 private:
  // `held`: the connection a consistent read holds (its view queries on it
  // directly), or null for the engine itself.
  SqlQueryEngine(OrderStore& store, sqlite::Connection* held) : store_(store), held_(held) {}
  OrderStore& store_;
  sqlite::Connection* const held_;
};

}  // namespace analytics
