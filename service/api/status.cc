#include "api/status.h"

#include <spdlog/spdlog.h>

namespace analytics::api {

std::string TruncateMessage(std::string_view message, std::size_t max_bytes) {
  if (message.size() <= max_bytes) return std::string(message);
  std::size_t cut = max_bytes;
  // Back up over UTF-8 continuation bytes so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  return std::string(message.substr(0, cut)) + "… (" + std::to_string(message.size() - cut) +
         " bytes cut)";
}

grpc::Status ToGrpcStatus(const absl::Status& status, std::string_view method) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message = TruncateMessage(
      std::string_view(status.message().data(), status.message().size()), kMaxStatusMessageBytes);
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
