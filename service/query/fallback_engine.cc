#include "query/fallback_engine.h"

namespace analytics {

template <typename Call>
auto FallbackQueryEngine::Route(Call call) -> decltype(call(std::declval<QueryEngine&>())) {
  if (primary_.serving()) {
    auto result = call(static_cast<QueryEngine&>(primary_));
    // The engine may stop between the check and the call; it then answers
    // Unavailable and the fallback takes the question.
    if (result.ok() || !absl::IsUnavailable(result.status()) || primary_.serving()) return result;
  }
  return call(fallback_);
}

absl::StatusOr<Measures> FallbackQueryEngine::Totals(const Filter& filter) {
  return Route([&](QueryEngine& engine) { return engine.Totals(filter); });
}

absl::StatusOr<std::vector<GroupMeasures>> FallbackQueryEngine::Breakdown(const Filter& filter,
                                                                          Dimension dimension) {
  return Route([&](QueryEngine& engine) { return engine.Breakdown(filter, dimension); });
}

absl::StatusOr<std::vector<TrendPoint>> FallbackQueryEngine::Trend(const Filter& filter,
                                                                   Granularity granularity) {
  return Route([&](QueryEngine& engine) { return engine.Trend(filter, granularity); });
}

absl::StatusOr<std::optional<DateSpan>> FallbackQueryEngine::Span(const Filter& filter) {
  return Route([&](QueryEngine& engine) { return engine.Span(filter); });
}

absl::StatusOr<CustomerRfmList> FallbackQueryEngine::ScoreCustomers(const Filter& filter,
                                                                    Day as_of) {
  return Route([&](QueryEngine& engine) { return engine.ScoreCustomers(filter, as_of); });
}

absl::Status FallbackQueryEngine::ReadConsistently(
    const std::function<absl::Status(QueryEngine& view)>& read) {
  if (primary_.serving()) {
    absl::Status status = primary_.ReadConsistently(read);
    // Stopped before the read began (the engine checks under its lock, so a
    // read never straddles the stop): nothing was answered, ask the fallback.
    if (status.ok() || !absl::IsUnavailable(status) || primary_.serving()) return status;
  }
  return fallback_.ReadConsistently(read);
}

}  // namespace analytics
