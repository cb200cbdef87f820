// A store write's counts (store/write_listener.h's WriteResult) into the
// replies of the write RPCs, which share these fields' names and meaning.
#pragma once

#include "customer_analytics/v1/analytics_service.pb.h"
#include "store/write_listener.h"

namespace analytics::api {

// Sets inserted, updated, reassigned, reassigned_lines and
// consistency_token of `response`
// (an IngestTransactionsResponse or ImportCsvResponse).
template <typename Response>
void SetWriteCounts(const WriteResult& written, Response& response) {
  response.set_inserted(written.inserted);
  response.set_updated(written.updated);
  response.set_reassigned(written.reassigned);
  response.clear_reassigned_lines();
  for (const ReassignedLine& line : written.reassigned_lines) {
    ::customer_analytics::v1::ReassignedLine& out = *response.add_reassigned_lines();
    out.set_line_key(line.line_key);
    out.set_previous_order_id(line.previous_order_id);
    out.set_order_id(line.order_id);
    out.set_previous_customer_id(line.previous_customer_id);
    out.set_customer_id(line.customer_id);
  }
  response.set_consistency_token(written.consistency_token);
}

}  // namespace analytics::api
