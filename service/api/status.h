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
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace analytics::api {

inline constexpr std::size_t kMaxStatusMessageBytes = 1024;

grpc::Status ToGrpcStatus(const absl::Status& status, std::string_view method);

// `message` cut to at most `max_bytes` on a UTF-8 character boundary, with
// "… (N bytes cut)" appended when cut.
std::string TruncateMessage(std::string_view message, std::size_t max_bytes);

}  // namespace analytics::api
