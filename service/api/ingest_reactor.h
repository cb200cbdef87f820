// The IngestTransactions stream: batches of structured order lines.
//
// Each message's lines are validated as they arrive; valid ones wait in a
// LineSpool (memory stays flat however long the stream), invalid ones are
// counted and the first are reported with their field and reason. When the
// client closes the stream every valid line is upserted in one transaction;
// a cancelled or broken stream writes nothing. A message over the per-message
// line limit fails the whole stream with INVALID_ARGUMENT.
#pragma once

#include <optional>

#include "api/rpc_observer.h"
#include "api/write_gate.h"
#include "common/line_key.h"
#include "common/line_spool.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "store/order_store.h"

namespace analytics::api {

namespace v1 = ::customer_analytics::v1;

class IngestReactor final : public grpc::ServerReadReactor<v1::IngestTransactionsRequest> {
 public:
  IngestReactor(grpc::CallbackServerContext* context, v1::IngestTransactionsResponse* response,
                OrderStore& store, RpcObserver& observer, int max_lines_per_message,
                WriteGate::Lease lease = {});

  void OnReadDone(bool ok) override;
  void OnDone() override { delete this; }

 private:
  absl::Status TakeBatch();
  absl::Status Commit();
  void Complete(const absl::Status& status);

  grpc::CallbackServerContext* const context_;
  v1::IngestTransactionsResponse* const response_;
  OrderStore& store_;
  RpcObserver& observer_;
  const int max_lines_per_message_;
  // The one-writer gate, held until the reactor is deleted (after Finish).
  WriteGate::Lease lease_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  v1::IngestTransactionsRequest request_;
  std::optional<LineSpool> spool_;
  LineKeyAssigner keys_;
  std::int64_t line_number_ = 0;
};

}  // namespace analytics::api
