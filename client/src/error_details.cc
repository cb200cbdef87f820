#include "customer_analytics/error_details.h"

namespace customer_analytics {
namespace {

std::optional<google::rpc::Status> Parse(std::string_view bytes) {
  if (bytes.empty()) return std::nullopt;
  google::rpc::Status details;
  if (!details.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  return details;
}

std::vector<FieldViolation> ViolationsOf(const std::optional<google::rpc::Status>& details) {
  std::vector<FieldViolation> violations;
  if (!details) return violations;
  for (const google::protobuf::Any& any : details->details()) {
    google::rpc::BadRequest bad_request;
    if (!any.UnpackTo(&bad_request)) continue;
    for (const google::rpc::BadRequest::FieldViolation& v : bad_request.field_violations()) {
      violations.push_back(FieldViolation{.field = v.field(), .description = v.description()});
    }
  }
  return violations;
}

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(
    const std::optional<google::rpc::Status>& details) {
  if (!details) return std::nullopt;
  for (const google::protobuf::Any& any : details->details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info;
  }
  return std::nullopt;
}

}  // namespace

std::optional<google::rpc::Status> StatusDetails(const grpc::Status& status) {
  if (status.ok()) return std::nullopt;
  return Parse(status.error_details());
}

std::optional<google::rpc::Status> StatusDetails(const absl::Status& status) {
  // absl::optional, not std::optional, in Debian's Abseil.
  const auto payload = status.GetPayload(kStatusDetailsTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  return Parse(std::string(*payload));
}

std::vector<FieldViolation> FieldViolations(const grpc::Status& status) {
  return ViolationsOf(StatusDetails(status));
}

std::vector<FieldViolation> FieldViolations(const absl::Status& status) {
  return ViolationsOf(StatusDetails(status));
}

std::optional<google::rpc::ErrorInfo> FindErrorInfo(const grpc::Status& status) {
  return ErrorInfoOf(StatusDetails(status));
}

std::optional<google::rpc::ErrorInfo> FindErrorInfo(const absl::Status& status) {
  return ErrorInfoOf(StatusDetails(status));
}

}  // namespace customer_analytics
