// The ImportCsv stream: a CSV file's raw bytes, in chunks of any size.
//
// The first message may carry the options; every chunk is parsed as it
// arrives (import/csv_import.h), so memory stays bounded whatever the file's
// size. At the end of the stream the reply reports what was read, and the
// accepted lines are upserted in one transaction — unless it is a dry run, or
// a line was rejected and skip_invalid is off (all-or-nothing: committed =
// false, nothing written). Structural problems (missing required columns,
// undecidable date order, broken quoting) fail the call with INVALID_ARGUMENT.
// A cancelled or broken stream writes nothing.
#pragma once

#include <memory>
#include <optional>

#include "api/rpc_observer.h"
#include "api/write_gate.h"
#include "customer_analytics/v1/analytics_service.grpc.pb.h"
#include "import/csv_import.h"
#include "store/order_store.h"

namespace analytics::api {

namespace v1 = ::customer_analytics::v1;

class ImportReactor final : public grpc::ServerReadReactor<v1::ImportCsvRequest> {
 public:
  ImportReactor(grpc::CallbackServerContext* context, v1::ImportCsvResponse* response,
                OrderStore& store, RpcObserver& observer, WriteGate::Lease lease = {});

  void OnReadDone(bool ok) override;
  void OnDone() override { delete this; }

 private:
  absl::Status TakeMessage();
  absl::Status FinishImport();
  void Complete(const absl::Status& status);

  grpc::CallbackServerContext* const context_;
  v1::ImportCsvResponse* const response_;
  OrderStore& store_;
  RpcObserver& observer_;
  // The one-writer gate, held until the reactor is deleted (after Finish).
  WriteGate::Lease lease_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  v1::ImportCsvRequest request_;
  bool first_message_ = true;
  bool dry_run_ = false;
  bool skip_invalid_ = false;
  std::unique_ptr<CsvImport> import_;
};

}  // namespace analytics::api
