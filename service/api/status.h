// Turning core errors into gRPC statuses for clients.
//
// Client errors (InvalidArgument, NotFound, …) pass through with their
// message: it names the field and is meant for the caller. Internal errors are
// logged in full here and replaced by a generic message, so no database text
// or other internals ever reach a client. Messages are capped at
// kMaxStatusMessageBytes: many echo the offending value, and a 10 MB value
// echoed into the grpc-message trailer would exceed the client's metadata
// limit (the call then fails with a confusing RESOURCE_EXHAUSTED and the
// client's connection can be left unusable) and flood the access log.
//
// Every error also carries the standard details of AIP-193, a serialized
// google.rpc.Status in the grpc-status-details-bin trailer: an ErrorInfo
// (reason, domain kErrorDomain, the method and field as metadata) and, for
// INVALID_ARGUMENT and OUT_OF_RANGE, a BadRequest field violation. The
// violation comes from the message itself: by the project's convention a
// message about a request field starts with that field's path
// ("lines[3].quantity: must not be negative"), so the core keeps returning
// plain absl::Status values and the path is parsed here, in one place.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace analytics::api {

inline constexpr std::size_t kMaxStatusMessageBytes = 1024;

// ErrorInfo.domain of every error this service reports.
inline constexpr std::string_view kErrorDomain = "customer-analytics";

grpc::Status ToGrpcStatus(const absl::Status& status, std::string_view method);

// `message` cut to at most `max_bytes` on a UTF-8 character boundary, with
// "… (N bytes cut)" appended when cut.
std::string TruncateMessage(std::string_view message, std::size_t max_bytes);

// A message split at its leading field path: "lines[3].quantity: must not be
// negative" gives field "lines[3].quantity" and description "must not be
// negative". A path is dot-separated snake_case names, each optionally
// indexed ("[3]"), followed by ": ".
struct FieldMessage {
  std::string_view field;
  std::string_view description;
};
std::optional<FieldMessage> SplitFieldPath(std::string_view message);

// ErrorInfo.reason for a status: UPPER_SNAKE_CASE, stable for clients to
// switch on. INVALID_ARGUMENT and OUT_OF_RANGE distinguish a named field
// (INVALID_FIELD, FIELD_OUT_OF_RANGE) from a request that is unreadable as a
// whole (INVALID_REQUEST, OUT_OF_RANGE); other codes use the code's name.
std::string ErrorReason(absl::StatusCode code, bool names_a_field);

}  // namespace analytics::api
