// Turning core errors into gRPC statuses for clients.
//
// Client errors (InvalidArgument, NotFound, …) pass through with their
// message: it names the field and is meant for the caller. Internal errors are
// logged in full here and replaced by a generic message, so no database text
// or other internals ever reach a client.
#pragma once

#include <grpcpp/support/status.h>

#include <string_view>

#include "absl/status/status.h"

namespace analytics::api {

grpc::Status ToGrpcStatus(const absl::Status& status, std::string_view method);

}  // namespace analytics::api
