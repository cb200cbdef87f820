// The structured details of a failed call (AIP-193).
//
// Besides its code and message, every error of the service carries a
// google.rpc.Status in the grpc-status-details-bin trailer: an ErrorInfo
// (reason, domain "customer-analytics", metadata such as the method and the
// field) and, for INVALID_ARGUMENT and OUT_OF_RANGE, a BadRequest listing the
// request fields at fault. These helpers read them from a grpc::Status, or
// from an absl::Status returned by AnalyticsClient, which keeps the
// serialized google.rpc.Status as the payload kStatusDetailsTypeUrl
// (FromGrpcStatus). Each returns nothing when the error carries no details,
// as from a server that sends none.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace customer_analytics {

// The absl::Status payload under which FromGrpcStatus keeps the details.
inline constexpr char kStatusDetailsTypeUrl[] = "type.googleapis.com/google.rpc.Status";

// One request field at fault: its path ("lines[3].quantity") and what is
// wrong with it.
struct FieldViolation {
  std::string field;
  std::string description;
};

// The whole google.rpc.Status, when the error carries one that parses.
std::optional<google::rpc::Status> StatusDetails(const grpc::Status& status);
std::optional<google::rpc::Status> StatusDetails(const absl::Status& status);

// The BadRequest field violations, in the server's order.
std::vector<FieldViolation> FieldViolations(const grpc::Status& status);
std::vector<FieldViolation> FieldViolations(const absl::Status& status);

// The ErrorInfo (reason, domain, metadata).
std::optional<google::rpc::ErrorInfo> FindErrorInfo(const grpc::Status& status);
std::optional<google::rpc::ErrorInfo> FindErrorInfo(const absl::Status& status);

}  // namespace customer_analytics
