// Routes every query to the columnar engine while it serves, and to a
// fallback (the SQL engine) once it stopped — for example because a write
// pushed it over its memory budget. Callers keep one QueryEngine reference
// for the life of the server and never see the switch, except in speed.
#pragma once

#include "query/columnar/columnar_engine.h"
#include "query/query_engine.h"

namespace analytics {

class FallbackQueryEngine final : public QueryEngine {
 public:
  // Both engines must outlive this object.
  FallbackQueryEngine(ColumnarEngine& primary, QueryEngine& fallback)
      : primary_(primary), fallback_(fallback) {}

  absl::StatusOr<Measures> Totals(const Filter& filter) override;
  absl::StatusOr<std::vector<GroupMeasures>> Breakdown(const Filter& filter,
                                                       Dimension dimension) override;
  absl::StatusOr<std::vector<TrendPoint>> Trend(const Filter& filter,
                                                Granularity granularity) override;
  absl::StatusOr<std::optional<DateSpan>> Span(const Filter& filter) override;
  absl::StatusOr<CustomerRfmList> ScoreCustomers(const Filter& filter, Day as_of) override;
  absl::StatusOr<CustomerDayList> CustomerDays(const Filter& filter) override;
  absl::Status ReadConsistently(
      const std::function<absl::Status(QueryEngine& view)>& read) override;

 private:
  template <typename Call>
  auto Route(Call call) -> decltype(call(std::declval<QueryEngine&>()));

  ColumnarEngine& primary_;
  QueryEngine& fallback_;
};

}  // namespace analytics
