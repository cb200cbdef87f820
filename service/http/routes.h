// The HTTP/JSON mapping of gRPC methods, read from their google.api.http
// options (AIP-127): which HTTP method and path template reach which RPC,
// where the body goes, and how path variables and query parameters fill
// the request message. Pure protobuf reflection: no HTTP server, no gRPC,
// so a new annotated RPC is routed without code and the rules are unit
// tested on their own.
//
// Beyond google.api.http's own rules (https://google.aip.dev/127), two for
// client-streaming methods, which an HTTP request carries in one body:
// - body "*": the body is a sequence of JSON request messages (one per
//   line, concatenated, or a JSON array), each sent as one stream message;
// - body naming a `bytes` field: the body is raw bytes (a CSV file), sent in
//   successive messages setting that field.
// Either way the query parameters, when there are any, fill a first
// message of their own, and when the request has a bool field `last` it is
// set on the final message (the API's end-of-stream mark), sent only after
// the whole body has arrived: a body cut short cancels the call, and nothing
// is written.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace analytics::http {

// One piece of a path template: a literal segment, "*" (one segment) or
// "**" (the rest), possibly captured into a field path.
struct TemplateSegment {
  enum Kind { kLiteral, kOne, kRest } kind = kLiteral;
  std::string literal;
  int variable = -1;  // index into Route::variables, or -1
};

struct Route {
  std::string http_method;  // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string path;         // the template as annotated, e.g. "/v1/customers/{customer_id}"
  std::vector<TemplateSegment> segments;
  std::string verb;                    // after the last ':' ("import"), or empty
  std::vector<std::string> variables;  // field paths bound by the template
  // "" (no body), "*" (the whole request) or a top-level field name.
  std::string body;
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string grpc_path;  // "/package.Service/Method"
};

// Every binding (additional_bindings too) of every method of `service`
// that has a google.api.http option; methods without one are left out
// (MethodsWithoutHttpRule lists them). InvalidArgument for a malformed
// template or a body/variable naming no field.
absl::StatusOr<std::vector<Route>> RoutesOf(const google::protobuf::ServiceDescriptor& service);

// Names of the methods of `service` without a google.api.http option.
std::vector<std::string> MethodsWithoutHttpRule(const google::protobuf::ServiceDescriptor& service);

// Parses one path template ("/v1/{name=shelves/*}:verb") into `route`.
absl::Status ParsePathTemplate(absl::string_view path, Route& route);

struct RouteMatch {
  const Route* route = nullptr;
  // (field path, value) for each template variable.
  std::vector<std::pair<std::string, std::string>> bindings;
};

// The route for `http_method` and `path` (already URL-decoded, no query),
// or nullopt. `path_matched` (optional) is set when some route's template
// matched the path under another method (405 rather than 404).
std::optional<RouteMatch> FindRoute(const std::vector<Route>& routes, absl::string_view http_method,
                                    absl::string_view path, bool* path_matched = nullptr);

// Sets the field at `field_path` ("filter.regions", json names accepted too)
// of `message` from a query parameter or path variable: a repeated field
// gets the value appended. InvalidArgument starting with the path for an
// unknown field, a value that is no value of the field's type, or a path
// through a repeated or non-message field.
absl::Status SetFieldFromText(google::protobuf::Message& message, absl::string_view field_path,
                              absl::string_view value);

// Splits a stream of JSON values into top-level objects: newline-delimited,
// concatenated, or the elements of one top-level array. Feed() may be called
// with any piece of the text; each complete object goes to the callback.
class JsonObjectSplitter {
 public:
  using Sink = std::function<absl::Status(std::string object)>;
  // `max_object_bytes`: larger objects fail with ResourceExhausted.
  JsonObjectSplitter(std::size_t max_object_bytes, Sink sink)
      : max_object_bytes_(max_object_bytes), sink_(std::move(sink)) {}
  absl::Status Feed(absl::string_view text);
  // InvalidArgument when the text ended inside an object.
  absl::Status Finish() const;
  int objects() const { return objects_; }

 private:
  std::size_t max_object_bytes_;
  Sink sink_;
  std::string current_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  bool in_array_ = false;
  int objects_ = 0;
};

}  // namespace analytics::http
