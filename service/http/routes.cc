#include "http/routes.h"

#include <google/protobuf/reflection.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"

namespace analytics::http {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

const FieldDescriptor* FindField(const Descriptor& type, absl::string_view name) {
  if (const FieldDescriptor* field = type.FindFieldByName(std::string(name))) return field;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == name) return type.field(i);
  }
  return nullptr;
}

// The field at a dotted path of singular message fields, or null.
const FieldDescriptor* FieldAtPath(const Descriptor& type, absl::string_view path) {
  const Descriptor* current = &type;
  const FieldDescriptor* field = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (current == nullptr) return nullptr;
    field = FindField(*current, part);
    if (field == nullptr) return nullptr;
    current = field->is_repeated() ? nullptr : field->message_type();
  }
  return field;
}

absl::Status AddRoute(const google::protobuf::MethodDescriptor& method,
                      const google::api::HttpRule& rule, std::vector<Route>& routes) {
  Route route;
  std::string path;
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      route.http_method = "GET", path = rule.get();
      break;
    case google::api::HttpRule::kPut:
      route.http_method = "PUT", path = rule.put();
      break;
    case google::api::HttpRule::kPost:
      route.http_method = "POST", path = rule.post();
      break;
    case google::api::HttpRule::kDelete:
      route.http_method = "DELETE", path = rule.delete_();
      break;
    case google::api::HttpRule::kPatch:
      route.http_method = "PATCH", path = rule.patch();
      break;
    case google::api::HttpRule::kCustom:
      route.http_method = rule.custom().kind(), path = rule.custom().path();
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(method.full_name(), ": google.api.http rule without a pattern"));
  }
  if (absl::Status s = ParsePathTemplate(path, route); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(method.full_name(), ": ", s.message()));
  }
  const Descriptor& input = *method.input_type();
  for (const std::string& variable : route.variables) {
    const FieldDescriptor* field = FieldAtPath(input, variable);
    if (field == nullptr || field->is_repeated() ||
        field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return absl::InvalidArgumentError(absl::StrCat(method.full_name(), ": path variable ",
                                                     variable, " is no singular scalar field"));
    }
  }
  route.body = rule.body();
  if (!route.body.empty() && route.body != "*" && FindField(input, route.body) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(method.full_name(), ": body ", route.body, " is no field"));
  }
  route.method = &method;
  route.grpc_path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  routes.push_back(std::move(route));
  return absl::OkStatus();
}

// Matches segments[i..] against parts[j..], recording captured spans.
bool MatchFrom(const Route& route, std::size_t i, const std::vector<absl::string_view>& parts,
               std::size_t j, std::vector<std::pair<std::size_t, std::size_t>>& spans) {
  if (i == route.segments.size()) return j == parts.size();
  const TemplateSegment& segment = route.segments[i];
  auto capture = [&](std::size_t first, std::size_t end) {
    if (segment.variable < 0) return;
    auto& span = spans[segment.variable];
    if (span.first == span.second) span.first = first;
    span.second = end;
  };
  if (j >= parts.size()) return false;
  // The ends of the parts this segment may take, longest first: one part
  // for a literal or "*", any number (at least one) for "**".
  std::size_t longest = j + 1;
  switch (segment.kind) {
    case TemplateSegment::kLiteral:
      if (parts[j] != segment.literal) return false;
      break;
    case TemplateSegment::kOne:
      if (parts[j].empty()) return false;
      break;
    case TemplateSegment::kRest:
      longest = parts.size();
      break;
  }
  for (std::size_t end = longest; end > j; --end) {
    auto saved = spans;
    capture(j, end);
    if (MatchFrom(route, i + 1, parts, end, spans)) return true;
    spans = saved;
  }
  return false;
}

// A template segment from its text: "*", "**" or a literal.
TemplateSegment SegmentOf(absl::string_view part, int variable) {
  TemplateSegment segment;
  segment.variable = variable;
  if (part == "*") {
    segment.kind = TemplateSegment::kOne;
  } else if (part == "**") {
    segment.kind = TemplateSegment::kRest;
  } else {
    segment.literal = std::string(part);
  }
  return segment;
}

std::optional<RouteMatch> MatchRoute(const Route& route, absl::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  if (!route.verb.empty()) {
    const std::string suffix = ":" + route.verb;
    if (path.size() <= suffix.size() || path.substr(path.size() - suffix.size()) != suffix) {
      return std::nullopt;
    }
    path.remove_suffix(suffix.size());
  } else {
    // A path with a verb matches only a template with that verb.
    const std::size_t slash = path.rfind('/');
    if (path.find(':', slash == absl::string_view::npos ? 0 : slash) != absl::string_view::npos) {
      return std::nullopt;
    }
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  std::vector<std::pair<std::size_t, std::size_t>> spans(route.variables.size(), {0, 0});
  if (!MatchFrom(route, 0, parts, 0, spans)) return std::nullopt;
  RouteMatch match{.route = &route, .bindings = {}};
  for (std::size_t v = 0; v < route.variables.size(); ++v) {
    std::vector<absl::string_view> captured(parts.begin() + spans[v].first,
                                            parts.begin() + spans[v].second);
    match.bindings.emplace_back(route.variables[v], absl::StrJoin(captured, "/"));
  }
  return match;
}

absl::Status Invalid(absl::string_view path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
}

}  // namespace

absl::Status ParsePathTemplate(absl::string_view path, Route& route) {
  route.path = std::string(path);
  if (path.empty() || path.front() != '/')
    return absl::InvalidArgumentError("template must start with /");
  absl::string_view rest = path.substr(1);
  // The verb follows the last ':' outside braces.
  int depth = 0;
  std::size_t verb_at = absl::string_view::npos;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '{') ++depth;
    if (rest[i] == '}') --depth;
    if (rest[i] == ':' && depth == 0) verb_at = i;
  }
  if (verb_at != absl::string_view::npos) {
    route.verb = std::string(rest.substr(verb_at + 1));
    rest = rest.substr(0, verb_at);
  }
  while (!rest.empty()) {
    if (rest.front() == '{') {
      const std::size_t close = rest.find('}');
      if (close == absl::string_view::npos) return absl::InvalidArgumentError("unclosed {");
      absl::string_view inside = rest.substr(1, close - 1);
      absl::string_view sub = "*";
      if (const std::size_t eq = inside.find('='); eq != absl::string_view::npos) {
        sub = inside.substr(eq + 1);
        inside = inside.substr(0, eq);
      }
      const int variable = static_cast<int>(route.variables.size());
      route.variables.emplace_back(inside);
      for (absl::string_view part : absl::StrSplit(sub, '/')) {
        route.segments.push_back(SegmentOf(part, variable));
      }
      rest.remove_prefix(close + 1);
    } else {
      const std::size_t slash = rest.find('/');
      absl::string_view part = rest.substr(0, slash);
      route.segments.push_back(SegmentOf(part, -1));
      rest.remove_prefix(part.size());
    }
    if (!rest.empty()) {
      if (rest.front() != '/') return absl::InvalidArgumentError("expected / between segments");
      rest.remove_prefix(1);
      if (rest.empty()) return absl::InvalidArgumentError("trailing /");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Route>> RoutesOf(const google::protobuf::ServiceDescriptor& service) {
  std::vector<Route> routes;
  for (int i = 0; i < service.method_count(); ++i) {
    const google::protobuf::MethodDescriptor& method = *service.method(i);
    if (!method.options().HasExtension(google::api::http)) continue;
    const google::api::HttpRule& rule = method.options().GetExtension(google::api::http);
    if (absl::Status s = AddRoute(method, rule, routes); !s.ok()) return s;
    for (const google::api::HttpRule& extra : rule.additional_bindings()) {
      if (absl::Status s = AddRoute(method, extra, routes); !s.ok()) return s;
    }
  }
  return routes;
}

std::vector<std::string> MethodsWithoutHttpRule(
    const google::protobuf::ServiceDescriptor& service) {
  std::vector<std::string> names;
  for (int i = 0; i < service.method_count(); ++i) {
    if (!service.method(i)->options().HasExtension(google::api::http)) {
      names.push_back(service.method(i)->name());
    }
  }
  return names;
}

std::optional<RouteMatch> FindRoute(const std::vector<Route>& routes, absl::string_view http_method,
                                    absl::string_view path, bool* path_matched) {
  if (path_matched != nullptr) *path_matched = false;
  for (const Route& route : routes) {
    std::optional<RouteMatch> match = MatchRoute(route, path);
    if (!match) continue;
    if (route.http_method == http_method) return match;
    if (path_matched != nullptr) *path_matched = true;
  }
  return std::nullopt;
}

absl::Status SetFieldFromText(Message& message, absl::string_view field_path,
                              absl::string_view value) {
  Message* current = &message;
  const std::vector<absl::string_view> parts = absl::StrSplit(field_path, '.');
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Reflection& reflection = *current->GetReflection();
    const FieldDescriptor* field = FindField(*current->GetDescriptor(), parts[i]);
    if (field == nullptr) return Invalid(field_path, "no such field");
    const bool leaf = i + 1 == parts.size();
    if (!leaf) {
      if (field->is_repeated() || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        return Invalid(field_path, "cannot be set from a query parameter");
      }
      current = reflection.MutableMessage(current, field);
      continue;
    }
    const bool repeated = field->is_repeated();
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string text(value);
        repeated ? reflection.AddString(current, field, std::move(text))
                 : reflection.SetString(current, field, std::move(text));
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool b = false;
        if (!absl::SimpleAtob(value, &b)) return Invalid(field_path, "expected true or false");
        repeated ? reflection.AddBool(current, field, b) : reflection.SetBool(current, field, b);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT32: {
        std::int32_t n = 0;
        if (!absl::SimpleAtoi(value, &n)) return Invalid(field_path, "expected a 32-bit integer");
        repeated ? reflection.AddInt32(current, field, n) : reflection.SetInt32(current, field, n);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        std::int64_t n = 0;
        if (!absl::SimpleAtoi(value, &n)) return Invalid(field_path, "expected a 64-bit integer");
        repeated ? reflection.AddInt64(current, field, n) : reflection.SetInt64(current, field, n);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        std::uint32_t n = 0;
        if (!absl::SimpleAtoi(value, &n))
          return Invalid(field_path, "expected an unsigned integer");
        repeated ? reflection.AddUInt32(current, field, n)
                 : reflection.SetUInt32(current, field, n);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        std::uint64_t n = 0;
        if (!absl::SimpleAtoi(value, &n))
          return Invalid(field_path, "expected an unsigned integer");
        repeated ? reflection.AddUInt64(current, field, n)
                 : reflection.SetUInt64(current, field, n);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double d = 0;
        if (!absl::SimpleAtod(value, &d)) return Invalid(field_path, "expected a number");
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
          repeated ? reflection.AddFloat(current, field, static_cast<float>(d))
                   : reflection.SetFloat(current, field, static_cast<float>(d));
        } else {
          repeated ? reflection.AddDouble(current, field, d)
                   : reflection.SetDouble(current, field, d);
        }
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const google::protobuf::EnumValueDescriptor* found =
            field->enum_type()->FindValueByName(std::string(value));
        int number = 0;
        if (found == nullptr && absl::SimpleAtoi(value, &number)) {
          found = field->enum_type()->FindValueByNumber(number);
        }
        if (found == nullptr) {
          return Invalid(field_path, absl::StrCat("expected a value of ",
                                                  field->enum_type()->full_name(), " by name"));
        }
        repeated ? reflection.AddEnum(current, field, found)
                 : reflection.SetEnum(current, field, found);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Invalid(field_path, "is a message: set its fields (e.g. filter.regions)");
    }
  }
  return Invalid(field_path, "empty field path");
}

absl::Status JsonObjectSplitter::Feed(absl::string_view text) {
  for (char c : text) {
    if (depth_ == 0) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
      if (c == '[' && !in_array_ && objects_ == 0) {
        in_array_ = true;
        continue;
      }
      if ((c == ',' || c == ']') && in_array_) continue;
      if (c != '{') {
        return absl::InvalidArgumentError(absl::StrCat("expected a JSON object (message ",
                                                       objects_ + 1, "), found '",
                                                       std::string(1, c), "'"));
      }
    }
    current_.push_back(c);
    if (current_.size() > max_object_bytes_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("message ", objects_ + 1, " is larger than ", max_object_bytes_, " bytes"));
    }
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        ++objects_;
        std::string object;
        object.swap(current_);
        if (absl::Status s = sink_(std::move(object)); !s.ok()) return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status JsonObjectSplitter::Finish() const {
  if (depth_ != 0 || !current_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body ended inside JSON message ", objects_ + 1));
  }
  return absl::OkStatus();
}

}  // namespace analytics::http
