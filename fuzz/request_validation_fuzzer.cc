// libFuzzer target: request validation (api/convert.h) on whatever a client
// can put on the wire. The first byte picks a request type; the rest is
// parsed as that protobuf message and run through the same conversions the
// handlers use. Properties: whatever is accepted is within the documented
// limits (filter sizes, date order, amounts, discount fraction).
#include <cstdlib>

#include "api/convert.h"
#include "api/page_token.h"
#include "common/money.h"
#include "customer_analytics/v1/analytics_service.pb.h"
#include "fuzz/fuzz_input.h"

namespace {

using namespace analytics;       // NOLINT: fuzz target
using namespace analytics::api;  // NOLINT: fuzz target

void CheckFilter(const absl::StatusOr<Filter>& filter) {
  if (!filter.ok()) return;
  if (filter->start && filter->end && *filter->start > *filter->end) std::abort();
  for (const auto* list : {&filter->regions, &filter->categories, &filter->sub_categories,
                           &filter->segments, &filter->states}) {
    if (list->size() > static_cast<std::size_t>(kMaxFilterValues)) std::abort();
    for (const std::string& value : *list) {
      if (value.size() > kMaxFilterValueBytes) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput input(data, size);
  const std::uint8_t kind = input.Byte();
  const std::string_view bytes = input.Rest();
  const auto parse = [&](google::protobuf::Message& message) {
    return message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  };
  switch (kind % 5) {
    case 0: {
      v1::GetKpisRequest request;
      if (parse(request)) CheckFilter(FilterFromProto(request.filter()));
      break;
    }
    case 1: {
      v1::GetBreakdownRequest request;
      if (!parse(request)) break;
      CheckFilter(FilterFromProto(request.filter()));
      (void)DimensionFromProto(request.dimension());
      (void)MeasureFromProto(request.order_by());
      break;
    }
    case 2: {
      v1::ListCustomersRequest request;
      if (!parse(request)) break;
      absl::StatusOr<RfmQuery> query = RfmQueryFromProto(request.filter(), request.rfm());
      if (query.ok()) CheckFilter(query->filter);
      (void)TierFromProto(request.tier(), "tier");
      (void)SegmentFromProto(request.rfm_segment(), "rfm_segment");
      absl::StatusOr<CustomerOrder> order = ParseCustomerOrder(request.order_by());
      if (!query.ok() || !order.ok()) break;
      CustomerSelection selection;
      selection.order = *order;
      // A fixed key: a token the fuzzer made up must never decode.
      const PageTokenCodec codec(std::string(32, 'k'));
      if (!request.page_token().empty() &&
          codec.Decode(request.page_token(), ListCustomersFingerprint(*query, selection)).ok()) {
        std::abort();
      }
      break;
    }
    case 3: {
      v1::IngestTransactionsRequest request;
      if (!parse(request)) break;
      LineKeyAssigner keys;
      OrderLine line;
      for (const v1::OrderLine& proto : request.lines()) {
        if (OrderLineFromProto(proto, keys, line)) continue;  // rejected
        if (line.discount < 0 || line.discount > kMicrosPerUnit || line.quantity < 0) std::abort();
        for (Micros m : {line.sales, line.profit}) {
          if (m > kMaxAbsMicros || m < -kMaxAbsMicros) std::abort();
        }
        if (line.line_key.empty() || line.customer_id.empty()) std::abort();
      }
      break;
    }
    case 4: {
      v1::GetSalesTrendRequest request;
      if (!parse(request)) break;
      CheckFilter(FilterFromProto(request.filter()));
      (void)GranularityFromProto(request.granularity());
      break;
    }
  }
  return 0;
}
