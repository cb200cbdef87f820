// An OpenAPI 3.0 document of the HTTP/JSON mapping (routes.h) of services,
// with the protos' comments as descriptions: paths, parameters (path
// variables and, for bodiless methods, every scalar request field as a
// dotted query parameter), bodies and one schema per message.
#pragma once

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace analytics::http {

absl::StatusOr<std::string> OpenApiDocument(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services,
    const std::string& title, const std::string& version);

}  // namespace analytics::http
