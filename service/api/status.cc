#include "api/status.h"

#include <spdlog/spdlog.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace analytics::api {
namespace {

// Longest field path recognised; the service's paths are far shorter, and a
// longer prefix is more likely prose than a path.
constexpr std::size_t kMaxFieldPathBytes = 128;

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Length of the field path at the start of `text` (0 when there is none):
// name ("[" digits "]")? ("." name ("[" digits "]")?)*.
std::size_t FieldPathLength(std::string_view text) {
  std::size_t i = 0;
  while (true) {
    if (i >= text.size() || !IsLower(text[i])) return 0;
    while (i < text.size() && (IsLower(text[i]) || IsDigit(text[i]) || text[i] == '_')) ++i;
    if (i < text.size() && text[i] == '[') {
      const std::size_t digits = ++i;
      while (i < text.size() && IsDigit(text[i])) ++i;
      if (i == digits || i >= text.size() || text[i] != ']') return 0;
      ++i;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      continue;
    }
    return i;
  }
}

google::rpc::Status StatusDetails(absl::StatusCode code, std::string_view message,
                                  std::string_view method,
                                  const std::optional<FieldMessage>& field) {
  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(std::string(message));

  google::rpc::ErrorInfo info;
  info.set_reason(ErrorReason(code, field.has_value()));
  info.set_domain(std::string(kErrorDomain));
  (*info.mutable_metadata())["method"] = std::string(method);
  if (field) (*info.mutable_metadata())["field"] = std::string(field->field);
  details.add_details()->PackFrom(info);

  if (field) {
    google::rpc::BadRequest bad_request;
    google::rpc::BadRequest::FieldViolation* violation = bad_request.add_field_violations();
    violation->set_field(std::string(field->field));
    violation->set_description(std::string(field->description));
    violation->set_reason(info.reason());
    details.add_details()->PackFrom(bad_request);
  }
  return details;
}

grpc::Status WithDetails(absl::StatusCode code, const std::string& message, std::string_view method,
                         const std::optional<FieldMessage>& field) {
  return grpc::Status(static_cast<grpc::StatusCode>(code), message,
                      StatusDetails(code, message, method, field).SerializeAsString());
}

}  // namespace

std::string TruncateMessage(std::string_view message, std::size_t max_bytes) {
  if (message.size() <= max_bytes) return std::string(message);
  std::size_t cut = max_bytes;
  // Back up over UTF-8 continuation bytes so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  return std::string(message.substr(0, cut)) + "… (" + std::to_string(message.size() - cut) +
         " bytes cut)";
}

std::optional<FieldMessage> SplitFieldPath(std::string_view message) {
  const std::size_t length = FieldPathLength(message.substr(0, kMaxFieldPathBytes + 2));
  if (length == 0 || length > kMaxFieldPathBytes) return std::nullopt;
  if (message.substr(length, 2) != ": ") return std::nullopt;
  return FieldMessage{.field = message.substr(0, length),
                      .description = message.substr(length + 2)};
}

std::string ErrorReason(absl::StatusCode code, bool names_a_field) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return names_a_field ? "INVALID_FIELD" : "INVALID_REQUEST";
    case absl::StatusCode::kOutOfRange:
      return names_a_field ? "FIELD_OUT_OF_RANGE" : "OUT_OF_RANGE";
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return "INTERNAL";
    default:
      return absl::StatusCodeToString(code);
  }
}

grpc::Status ToGrpcStatus(const absl::Status& status, std::string_view method) {
  if (status.ok()) return grpc::Status::OK;
  const std::string message = TruncateMessage(
      std::string_view(status.message().data(), status.message().size()), kMaxStatusMessageBytes);
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      spdlog::error("{}: internal error: {}", method, message);
      return WithDetails(status.code(), "internal error; see the server log", method, std::nullopt);
    case absl::StatusCode::kResourceExhausted:
      spdlog::error("{}: {}", method, message);
      return WithDetails(status.code(), message, method, std::nullopt);
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return WithDetails(status.code(), message, method, SplitFieldPath(message));
    default:
      return WithDetails(status.code(), message, method, std::nullopt);
  }
}

}  // namespace analytics::api
