#include "http/openapi.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "http/routes.h"

namespace analytics::http {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

std::string Quote(absl::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          static constexpr char kDigits[] = "0123456789abcdef";
          out += "\\u00";
          out += kDigits[c >> 4];
          out += kDigits[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

template <typename D>
std::string Comment(const D& descriptor) {
  google::protobuf::SourceLocation location;
  if (!descriptor.GetSourceLocation(&location)) return "";
  std::string text(absl::StripAsciiWhitespace(location.leading_comments));
  // Comment lines start with a space after "//".
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!out.empty()) out += "\n";
    absl::StrAppend(&out, absl::StripPrefix(line, " "));
  }
  return out;
}

std::string SchemaName(const Descriptor& type) { return type.full_name(); }

std::string EnumValues(const EnumDescriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) names.push_back(Quote(type.value(i)->name()));
  return absl::StrCat("[", absl::StrJoin(names, ","), "]");
}

// The JSON schema of one value of `field` (not the repeated wrapper).
std::string ValueSchema(const FieldDescriptor& field, std::set<const Descriptor*>& needed) {
  switch (field.type()) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FLOAT:
      return R"J({"type":"number"})J";
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_SFIXED64:
      return R"J({"type":"string","format":"int64"})J";
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      return R"J({"type":"string","format":"uint64"})J";
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SFIXED32:
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      return R"J({"type":"integer","format":"int32"})J";
    case FieldDescriptor::TYPE_BOOL:
      return R"J({"type":"boolean"})J";
    case FieldDescriptor::TYPE_STRING:
      return R"J({"type":"string"})J";
    case FieldDescriptor::TYPE_BYTES:
      return R"J({"type":"string","format":"byte"})J";
    case FieldDescriptor::TYPE_ENUM:
      return absl::StrCat(R"J({"type":"string","enum":)J", EnumValues(*field.enum_type()), "}");
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP:
      needed.insert(field.message_type());
      return absl::StrCat(R"J({"$ref":"#/components/schemas/)J", SchemaName(*field.message_type()),
                          "\"}");
  }
  return "{}";
}

std::string MessageSchema(const Descriptor& type, std::set<const Descriptor*>& needed) {
  std::vector<std::string> properties;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    std::string schema = ValueSchema(field, needed);
    if (field.is_repeated()) schema = absl::StrCat(R"J({"type":"array","items":)J", schema, "}");
    const std::string description = Comment(field);
    if (!description.empty()) {
      // {"type":...} -> {"description":"...","type":...}; a $ref cannot take siblings in 3.0.
      if (schema.find("$ref") == std::string::npos) {
        schema = absl::StrCat("{\"description\":", Quote(description), ",", schema.substr(1));
      } else {
        schema =
            absl::StrCat("{\"description\":", Quote(description), ",\"allOf\":[", schema, "]}");
      }
    }
    properties.push_back(absl::StrCat(Quote(field.json_name()), ":", schema));
  }
  return absl::StrCat("{\"type\":\"object\",\"description\":", Quote(Comment(type)),
                      ",\"properties\":{", absl::StrJoin(properties, ","), "}}");
}

// Dotted query parameters for every scalar field reachable through singular
// message fields (at most a few levels deep), except `skip` (path variables).
void QueryParameters(const Descriptor& type, const std::string& prefix,
                     const std::set<std::string>& skip, int depth,
                     std::vector<std::string>& parameters, std::set<const Descriptor*>& needed) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    const std::string name = prefix + field.name();
    if (skip.contains(name)) continue;
    if (field.type() == FieldDescriptor::TYPE_MESSAGE) {
      if (!field.is_repeated() && depth < 3) {
        QueryParameters(*field.message_type(), name + ".", skip, depth + 1, parameters, needed);
      }
      continue;
    }
    std::string schema = ValueSchema(field, needed);
    if (field.is_repeated()) schema = absl::StrCat(R"J({"type":"array","items":)J", schema, "}");
    parameters.push_back(absl::StrCat(R"J({"name":)J", Quote(name), R"J(,"in":"query",)J",
                                      field.is_repeated() ? R"J("explode":true,)J" : "",
                                      R"J("description":)J", Quote(Comment(field)),
                                      R"J(,"schema":)J", schema, "}"));
  }
}

}  // namespace

absl::StatusOr<std::string> OpenApiDocument(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services,
    const std::string& title, const std::string& version) {
  std::set<const Descriptor*> needed;
  // path -> method -> operation
  std::map<std::string, std::map<std::string, std::string>> paths;
  std::vector<std::string> tags;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    absl::StatusOr<std::vector<Route>> routes = RoutesOf(*service);
    if (!routes.ok()) return routes.status();
    if (routes->empty()) continue;
    tags.push_back(absl::StrCat(R"J({"name":)J", Quote(service->name()), R"J(,"description":)J",
                                Quote(Comment(*service)), "}"));
    for (const Route& route : *routes) {
      const google::protobuf::MethodDescriptor& method = *route.method;
      std::vector<std::string> parameters;
      std::set<std::string> bound(route.variables.begin(), route.variables.end());
      for (const std::string& variable : route.variables) {
        parameters.push_back(
            absl::StrCat(R"J({"name":)J", Quote(variable),
                         R"J(,"in":"path","required":true,"schema":{"type":"string"}})J"));
      }
      std::string body;
      if (route.body.empty() || method.client_streaming()) {
        QueryParameters(*method.input_type(), "", bound, 0, parameters, needed);
      }
      if (!route.body.empty()) {
        needed.insert(method.input_type());
        const std::string ref = absl::StrCat(R"J({"$ref":"#/components/schemas/)J",
                                             SchemaName(*method.input_type()), "\"}");
        if (method.client_streaming() && route.body != "*") {
          body = absl::StrCat(
              R"J("requestBody":{"required":true,"description":"The raw bytes of the )J",
              route.body,
              R"J( field, streamed (any length; chunked transfer encoding accepted)","content":{"text/csv":{"schema":{"type":"string","format":"binary"}},"application/octet-stream":{"schema":{"type":"string","format":"binary"}}}},)J");
        } else if (method.client_streaming()) {
          body = absl::StrCat(
              R"J("requestBody":{"required":true,"description":"A sequence of request messages: newline-delimited JSON, concatenated objects or one JSON array; each is one stream message","content":{"application/x-ndjson":{"schema":)J",
              ref, R"J(},"application/json":{"schema":{"type":"array","items":)J", ref, "}}}},");
        } else {
          body = absl::StrCat(R"J("requestBody":{"content":{"application/json":{"schema":)J", ref,
                              "}}},");
        }
      }
      needed.insert(method.output_type());
      std::string operation = absl::StrCat(
          R"J({"operationId":)J", Quote(method.name()), R"J(,"tags":[)J", Quote(service->name()),
          R"J(],"summary":)J", Quote(Comment(method)), R"J(,"parameters":[)J",
          absl::StrJoin(parameters, ","), "],", body,
          R"J("responses":{"200":{"description":"OK","content":{"application/json":{"schema":{"$ref":"#/components/schemas/)J",
          SchemaName(*method.output_type()),
          R"J("}}}},"default":{"description":"An error: the HTTP status from the gRPC code, google.rpc.Status details","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}}}})J");
      paths[route.path][absl::AsciiStrToLower(route.http_method)] = std::move(operation);
    }
  }
  // Every message reachable from the operations.
  std::map<std::string, std::string> schemas;
  std::set<const Descriptor*> done;
  while (true) {
    std::set<const Descriptor*> pending;
    for (const Descriptor* type : needed) {
      if (!done.contains(type)) pending.insert(type);
    }
    if (pending.empty()) break;
    for (const Descriptor* type : pending) {
      done.insert(type);
      schemas[SchemaName(*type)] = MessageSchema(*type, needed);
    }
  }
  schemas["Error"] =
      R"J({"type":"object","properties":{"error":{"type":"object","properties":{"code":{"type":"integer","description":"The HTTP status"},"status":{"type":"string","description":"The gRPC code's name, e.g. INVALID_ARGUMENT"},"message":{"type":"string"},"details":{"type":"array","items":{"type":"object","description":"google.rpc.ErrorInfo, google.rpc.BadRequest, ... with their @type"}}}}}})J";

  std::vector<std::string> path_entries;
  for (const auto& [path, operations] : paths) {
    std::vector<std::string> entries;
    for (const auto& [method, operation] : operations) {
      entries.push_back(absl::StrCat(Quote(method), ":", operation));
    }
    path_entries.push_back(absl::StrCat(Quote(path), ":{", absl::StrJoin(entries, ","), "}"));
  }
  std::vector<std::string> schema_entries;
  for (const auto& [name, schema] : schemas) {
    schema_entries.push_back(absl::StrCat(Quote(name), ":", schema));
  }
  return absl::StrCat(
      R"J({"openapi":"3.0.3","info":{"title":)J", Quote(title), R"J(,"version":)J", Quote(version),
      R"J(,"description":"Generated at build time from the protos' google.api.http options. Send a bearer token as 'Authorization: Bearer TOKEN' when the server requires one."},"tags":[)J",
      absl::StrJoin(tags, ","),
      R"J(],"components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}},"schemas":{)J",
      absl::StrJoin(schema_entries, ","), R"J(}},"security":[{},{"bearer":[]}],"paths":{)J",
      absl::StrJoin(path_entries, ","), "}}\n");
}

}  // namespace analytics::http
