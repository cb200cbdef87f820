#include "api/status.h"

#include <spdlog/spdlog.h>

namespace analytics::api {

grpc::Status ToGrpcStatus(const absl::Status& status, std::string_view method) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      spdlog::error("{}: internal error: {}", method, message);
      return grpc::Status(code, "internal error; see the server log");
    case absl::StatusCode::kResourceExhausted:
      spdlog::error("{}: {}", method, message);
      return grpc::Status(code, message);
    default:
      return grpc::Status(code, message);
  }
}

}  // namespace analytics::api
