#include "query/fallback_engine.h"

namespace analytics {
namespace {

const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

}  // namespace

template <typename Call>
auto FallbackQueryEngine::Route(Call call) -> decltype(call(std::declval<QueryEngine&>())) {
  if (primary_.serving()) {
    auto result = call(static_cast<QueryEngine&>(primary_));
    // The engine may stop between the check and the call; it then answers
    // Unavailable without having answered anything (it checks under its
    // lock, so no call or consistent read straddles the stop) and the
    // fallback takes the question.
    const absl::Status& status = StatusOf(result);
    if (status.ok() || !absl::IsUnavailable(status) || primary_.serving()) return result;
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

absl::StatusOr<CustomerDayList> FallbackQueryEngine::CustomerDays(const Filter& filter) {
  return Route([&](QueryEngine& engine) { return engine.CustomerDays(filter); });
}

absl::Status FallbackQueryEngine::ReadConsistently(
    const std::function<absl::Status(QueryEngine& view)>& read) {
  return Route([&](QueryEngine& engine) { return engine.ReadConsistently(read); });
}

}  // namespace analytics
