#include "http/gateway.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/sync_stream.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/call_guard.h"
#include "api/status.h"
#include "google/rpc/status.pb.h"
#include "http/routes.h"
#include "http/web_assets.h"
#include "httplib.h"
#include "metrics/http_server.h"
#include "metrics/registry.h"

namespace analytics::http {
namespace {

using google::protobuf::Message;

// The gRPC peer string of the HTTP client, as grpc::ServerContext::peer()
// would name it, so the server's loopback rule and logs read it the same way.
std::string PeerOf(const httplib::Request& request) {
  const std::string& address = request.remote_addr;
  if (address.find(':') != std::string::npos) {
    return absl::StrCat("ipv6:[", address, "]:", request.remote_port);
  }
  return absl::StrCat("ipv4:", address, ":", request.remote_port);
}

// `text` (a URL-decoded path, a method name) fit for one field of a log
// line: bytes outside printable ASCII, spaces, quotes, backslashes and '%'
// percent-encoded, so a crafted path ("%0A", '"') can neither split the
// line nor forge a field; cut at 512 bytes.
std::string LoggableText(std::string_view text) {
  constexpr std::size_t kMaxLoggedBytes = 512;
  std::string out;
  for (const char c : text.substr(0, kMaxLoggedBytes)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '"' || c == '\\' || c == '%') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  if (text.size() > kMaxLoggedBytes) out += "...";
  return out;
}

// Bodies go out through a content provider of known length, which httplib
// sends as they are: its own on-the-fly compression prefers Brotli at the
// highest quality, seconds of CPU for the chart library on every load.
void SendBytes(httplib::Response& response, std::string_view bytes, std::string content_type,
               std::shared_ptr<const std::string> owner = nullptr) {
  response.set_content_provider(
      bytes.size(), std::move(content_type),
      [bytes, owner](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        return sink.write(bytes.data() + offset, std::min(length, bytes.size() - offset));
      });
}

void SendJson(httplib::Response& response, int status, std::string body) {
  response.status = status;
  auto owned = std::make_shared<const std::string>(std::move(body));
  SendBytes(response, *owned, "application/json; charset=utf-8", owned);
}

// `data` gzip-compressed (RFC 1952), once per asset at start-up.
std::string Gzip(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return "";
  }
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return result == Z_STREAM_END ? out : "";
}

// The most of a refused request's body read and dropped so that a
// kept-alive connection stays in step: httplib parses whatever is left
// unread as the next request (seen: a 413 followed by a 414 for the body's
// own bytes). A larger rest is left, and the connection closed.
constexpr std::size_t kMaxDrainBytes = 64 << 20;

// A receiver step that drops `size` bytes; false once past the bound.
bool Drain(std::size_t& dropped, std::size_t size) {
  dropped += size;
  return dropped <= kMaxDrainBytes;
}

// A strong entity tag for a file's content: 64-bit FNV-1a in hex.
std::string EntityTag(std::string_view data) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : data) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return absl::StrCat(absl::Hex(hash, absl::kZeroPad16));
}

// Google's JSON error body for a gRPC status, with its details.
void SendGrpcError(httplib::Response& response, const grpc::Status& status) {
  const int http_status = HttpStatusFromGrpcCode(status.error_code());
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    details.Clear();
    details.set_message(status.error_message());
  }
  details.set_code(http_status);
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  if (!google::protobuf::util::MessageToJsonString(details, &json, print).ok() || json.size() < 2) {
    json = "{}";
  }
  // {"code":400,...} -> {"error":{"status":"INVALID_ARGUMENT","code":400,...}}
  std::string body = absl::StrCat("{\"error\":{\"status\":\"",
                                  std::string(metrics::StatusCodeName(status.error_code())), "\"",
                                  json.size() > 2 ? "," : "", json.substr(1), "}");
  SendJson(response, http_status, std::move(body));
}

// An error found before any call (no route, a bad parameter): the same body
// and details the service gives, as api::ToGrpcStatus builds them.
void SendError(httplib::Response& response, const absl::Status& status, std::string_view method) {
  SendGrpcError(response, api::ToGrpcStatus(status, method));
}

}  // namespace

int HttpStatusFromGrpcCode(int code) {
  switch (code) {
    case 0:
      return 200;
    case 1:
      return 499;
    case 2:
      return 500;
    case 3:
      return 400;
    case 4:
      return 504;
    case 5:
      return 404;
    case 6:
      return 409;
    case 7:
      return 403;
    case 8:
      return 429;
    case 9:
      return 400;
    case 10:
      return 409;
    case 11:
      return 400;
    case 12:
      return 501;
    case 13:
      return 500;
    case 14:
      return 503;
    case 15:
      return 500;
    case 16:
      return 401;
    default:
      return 500;
  }
}

struct HttpGateway::State {
  std::shared_ptr<grpc::Channel> channel;
  GatewayOptions options;
  std::vector<Route> routes;
  std::vector<std::string> cors_origins;    // empty: CORS off
  std::unique_ptr<httplib::Server> server;  // an httplib::SSLServer with TLS
  std::thread thread;
  int port = 0;
  std::promise<void> running;
  std::once_flag running_once;
  // When each request in flight reached the pre-routing handler, for the
  // access log's duration. Keyed by the Request object, which httplib keeps
  // alive from parsing to the logger call on one worker thread.
  std::mutex started_mutex;
  std::unordered_map<const httplib::Request*, std::chrono::steady_clock::time_point> started;

  void MarkStarted(const httplib::Request& request) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(started_mutex);
    started[&request] = now;
  }

  // One access-log line per HTTP request, API call or not, written when its
  // response has been sent: "http method=GET path=/v1/kpis peer=… status=200
  // duration_ms=…", the shape of api::LoggingObserver's "rpc …" lines (the
  // JSON log format splits both into fields). An API call also gets the
  // gRPC layer's "rpc" line; refusals made here (no route, 405, a bad or
  // oversized body) are in this log only. Levels as for RPCs: info, warn for
  // a client error, error for a server error.
  void LogRequest(const httplib::Request& request, const httplib::Response& response) {
    std::optional<std::chrono::steady_clock::time_point> start;
    {
      std::lock_guard lock(started_mutex);
      if (auto it = started.find(&request); it != started.end()) {
        start = it->second;
        started.erase(it);
      }
    }
    // A request httplib could not parse never reached pre-routing: its
    // duration is unknown and logged as 0.
    const double ms =
        start ? std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - *start)
                    .count()
              : 0.0;
    const std::string peer = request.remote_addr.empty() ? "unknown" : PeerOf(request);
    const spdlog::level::level_enum level = response.status >= 500   ? spdlog::level::err
                                            : response.status >= 400 ? spdlog::level::warn
                                                                     : spdlog::level::info;
    spdlog::log(level, "http method={} path={} peer={} status={} duration_ms={:.3f}",
                LoggableText(request.method), LoggableText(request.path), peer, response.status,
                ms);
  }

  void MarkRunning() {
    std::call_once(running_once, [this] { running.set_value(); });
  }

  // The Access-Control-Allow-Origin value for a request's Origin, or "".
  std::string AllowedOrigin(const httplib::Request& request) const {
    if (cors_origins.empty() || !request.has_header("Origin")) return "";
    const std::string origin = request.get_header_value("Origin");
    for (const std::string& allowed : cors_origins) {
      if (allowed == "*") return "*";
      if (allowed == origin) return origin;
    }
    return "";
  }

  std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) const {
    return std::unique_ptr<Message>(
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
  }

  void PrepareContext(const httplib::Request& request, grpc::ClientContext& context) const {
    if (request.has_header("Authorization")) {
      context.AddMetadata("authorization", request.get_header_value("Authorization"));
    }
    context.AddMetadata(std::string(api::kForwardedPeerKey), PeerOf(request));
    context.AddMetadata(std::string(api::kGatewayTokenKey), api::GatewayToken());
  }

  void SendReply(httplib::Response& response, const grpc::Status& status,
                 const Message& reply) const {
    if (!status.ok()) return SendGrpcError(response, status);
    std::string json;
    google::protobuf::util::JsonPrintOptions print;
    print.always_print_primitive_fields = true;
    if (auto s = google::protobuf::util::MessageToJsonString(reply, &json, print); !s.ok()) {
      return SendError(response, absl::InternalError("cannot print the reply as JSON"),
                       reply.GetDescriptor()->name());
    }
    SendJson(response, 200, std::move(json));
  }

  // Fills `message` from the path variables and the query parameters.
  absl::Status BindParameters(const RouteMatch& match, const httplib::Request& request,
                              Message& message) const {
    for (const auto& [field, value] : match.bindings) {
      if (absl::Status s = SetFieldFromText(message, field, value); !s.ok()) return s;
    }
    for (const auto& [name, value] : request.params) {
      if (absl::Status s = SetFieldFromText(message, name, value); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  void Unary(const RouteMatch& match, const httplib::Request& request, httplib::Response& response,
             const httplib::ContentReader* reader) const {
    const Route& route = *match.route;
    const std::string& method_name = route.method->name();
    std::unique_ptr<Message> message = NewMessage(route.method->input_type());
    if (!route.body.empty() && reader != nullptr) {
      std::string body;
      bool too_large = false;
      std::size_t dropped = 0;
      (*reader)([&](const char* data, std::size_t size) {
        if (!too_large && body.size() + size > options.max_json_bytes) {
          too_large = true;
          std::string().swap(body);
        }
        if (too_large) return Drain(dropped, size);
        body.append(data, size);
        return true;
      });
      if (too_large) {
        SendError(response,
                  absl::ResourceExhaustedError(
                      absl::StrCat("the body is larger than ", options.max_json_bytes, " bytes")),
                  method_name);
        response.status = 413;  // Content Too Large: the request, not a quota, is at fault
        return;
      }
      if (!absl::StripAsciiWhitespace(body).empty()) {
        Message* target = message.get();
        if (route.body != "*") {
          const google::protobuf::FieldDescriptor* field =
              message->GetDescriptor()->FindFieldByName(route.body);
          if (field == nullptr || field->message_type() == nullptr || field->is_repeated()) {
            return SendError(response,
                             absl::UnimplementedError(
                                 absl::StrCat("body ", route.body, " is not a message field")),
                             method_name);
          }
          target = message->GetReflection()->MutableMessage(message.get(), field);
        }
        if (auto s = google::protobuf::util::JsonStringToMessage(body, target); !s.ok()) {
          return SendError(response,
                           absl::InvalidArgumentError(absl::StrCat(
                               "the body is not a JSON ", target->GetDescriptor()->full_name(),
                               ": ", s.ToString())),
                           method_name);
        }
      }
    }
    if (absl::Status s = BindParameters(match, request, *message); !s.ok()) {
      return SendError(response, s, method_name);
    }
    std::unique_ptr<Message> reply = NewMessage(route.method->output_type());
    grpc::ClientContext context;
    PrepareContext(request, context);
    const grpc::internal::RpcMethod rpc(route.grpc_path.c_str(),
                                        grpc::internal::RpcMethod::NORMAL_RPC);
    const grpc::Status status = grpc::internal::BlockingUnaryCall<Message, Message>(
        channel.get(), rpc, &context, *message, reply.get());
    SendReply(response, status, *reply);
  }

  // A client-streaming method: the body becomes the stream (routes.h).
  void Streamed(const RouteMatch& match, const httplib::Request& request,
                httplib::Response& response, const httplib::ContentReader& reader) const {
    const Route& route = *match.route;
    const std::string& method_name = route.method->name();
    const google::protobuf::Descriptor* input = route.method->input_type();
    const google::protobuf::FieldDescriptor* last_field = input->FindFieldByName("last");
    if (last_field != nullptr &&
        last_field->type() != google::protobuf::FieldDescriptor::TYPE_BOOL) {
      last_field = nullptr;
    }
    const google::protobuf::FieldDescriptor* bytes_field = nullptr;
    if (route.body != "*") {
      bytes_field = input->FindFieldByName(route.body);
      if (bytes_field == nullptr ||
          bytes_field->type() != google::protobuf::FieldDescriptor::TYPE_BYTES) {
        return SendError(response,
                         absl::UnimplementedError(absl::StrCat(
                             "a streamed body must be \"*\" or a bytes field, not ", route.body)),
                         method_name);
      }
    }
    if (absl::StartsWith(request.get_header_value("Content-Type"), "multipart/")) {
      return SendError(response,
                       absl::InvalidArgumentError(
                           "send the file as the request body itself, not as multipart/form-data"),
                       method_name);
    }
    // The query parameters fill a first message of their own.
    std::unique_ptr<Message> first;
    if (!request.params.empty() || !match.bindings.empty()) {
      first = NewMessage(input);
      if (absl::Status s = BindParameters(match, request, *first); !s.ok()) {
        return SendError(response, s, method_name);
      }
    }

    std::unique_ptr<Message> reply = NewMessage(route.method->output_type());
    grpc::ClientContext context;
    PrepareContext(request, context);
    const grpc::internal::RpcMethod rpc(route.grpc_path.c_str(),
                                        grpc::internal::RpcMethod::CLIENT_STREAMING);
    std::unique_ptr<grpc::ClientWriter<Message>> writer(
        grpc::internal::ClientWriterFactory<Message>::Create(channel.get(), rpc, &context,
                                                             reply.get()));
    bool stream_open = true;  // false once the server stopped taking messages
    auto write = [&](const Message& message) {
      if (stream_open && !writer->Write(message)) stream_open = false;
      return stream_open;
    };
    if (first != nullptr) write(*first);

    absl::Status body_error;
    // One message is held back so that the final one can carry `last`.
    std::unique_ptr<Message> pending;
    auto send_pending = [&] {
      if (pending != nullptr) write(*pending);
      pending.reset();
    };
    std::string buffer;
    std::size_t dropped = 0;  // body bytes after the call was refused or failed
    JsonObjectSplitter splitter(options.max_json_bytes, [&](std::string object) -> absl::Status {
      auto message = NewMessage(input);
      if (auto s = google::protobuf::util::JsonStringToMessage(object, message.get()); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("message ", splitter.objects(),
                                                       " of the body is not a JSON ",
                                                       input->full_name(), ": ", s.ToString()));
      }
      send_pending();
      pending = std::move(message);
      return absl::OkStatus();
    });
    const bool complete = reader([&](const char* data, std::size_t size) {
      if (!body_error.ok() || !stream_open) return Drain(dropped, size);
      if (bytes_field == nullptr) {
        body_error = splitter.Feed(absl::string_view(data, size));
        return true;
      }
      buffer.append(data, size);
      if (buffer.size() >= options.chunk_bytes) {
        send_pending();
        pending = NewMessage(input);
        pending->GetReflection()->SetString(pending.get(), bytes_field, std::move(buffer));
        buffer.clear();
      }
      return true;
    });
    if (!stream_open) {
      // The server ended the call (refused it, or failed it early): its
      // status is the answer, whatever of the body was left unread.
      return SendReply(response, writer->Finish(), *reply);
    }
    if (body_error.ok() && bytes_field == nullptr) body_error = splitter.Finish();
    if (!complete || !body_error.ok()) {
      // A body cut short or unreadable: nothing may commit.
      context.TryCancel();
      writer->Finish();
      if (!body_error.ok()) return SendError(response, body_error, method_name);
      return SendError(response,
                       absl::CancelledError("the request body ended early; nothing was written"),
                       method_name);
    }
    if (bytes_field != nullptr && (!buffer.empty() || pending == nullptr)) {
      send_pending();
      pending = NewMessage(input);
      pending->GetReflection()->SetString(pending.get(), bytes_field, std::move(buffer));
    }
    // An empty body (JSON): an empty final message carries the mark.
    if (pending == nullptr) pending = NewMessage(input);
    if (last_field != nullptr) pending->GetReflection()->SetBool(pending.get(), last_field, true);
    send_pending();
    if (stream_open) writer->WritesDone();
    SendReply(response, writer->Finish(), *reply);
  }

  void Api(const httplib::Request& request, httplib::Response& response,
           const httplib::ContentReader* reader) const {
    if (reader == nullptr) return Dispatch(request, response, nullptr);
    bool body_read = false;
    const httplib::ContentReader tracked(
        [&](httplib::ContentReceiver receiver) {
          body_read = true;
          return (*reader)(std::move(receiver));
        },
        [&](httplib::MultipartContentHeader header, httplib::ContentReceiver receiver) {
          body_read = true;
          return (*reader)(std::move(header), std::move(receiver));
        });
    Dispatch(request, response, &tracked);
    // Refused before its body was read: drop the body (kMaxDrainBytes).
    if (!body_read) {
      std::size_t dropped = 0;
      (*reader)([&](const char*, std::size_t size) { return Drain(dropped, size); });
    }
    // The client should not reuse a connection whose request was refused
    // (the body may be left unread past kMaxDrainBytes).
    if (response.status >= 400) response.set_header("Connection", "close");
  }

  void Dispatch(const httplib::Request& request, httplib::Response& response,
                const httplib::ContentReader* reader) const {
    bool path_matched = false;
    std::optional<RouteMatch> match =
        FindRoute(routes, request.method, request.path, &path_matched);
    if (!match) {
      if (path_matched) {
        SendError(response,
                  absl::UnimplementedError(
                      absl::StrCat("method ", request.method, " not allowed on ", request.path)),
                  "");
        response.status = 405;  // not 501: the path exists, under another method
        return;
      }
      return SendError(response, absl::NotFoundError(absl::StrCat("no API route ", request.path)),
                       "");
    }
    if (match->route->method->client_streaming()) {
      if (reader == nullptr) {
        return SendError(response, absl::InvalidArgumentError("this method takes a request body"),
                         match->route->method->name());
      }
      return Streamed(*match, request, response, *reader);
    }
    if (match->route->method->server_streaming()) {
      return SendError(response,
                       absl::UnimplementedError("server-streaming methods have no HTTP mapping"),
                       match->route->method->name());
    }
    Unary(*match, request, response, reader);
  }
};

absl::StatusOr<std::unique_ptr<HttpGateway>> HttpGateway::Start(
    std::shared_ptr<grpc::Channel> channel, const GatewayOptions& options) {
  absl::StatusOr<metrics::HostPort> address = metrics::ParseHostPort(options.listen, "HTTP");
  if (!address.ok()) return address.status();
  auto state = std::make_unique<State>();
  state->channel = std::move(channel);
  state->options = options;
  for (const std::string& name : options.services) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) return absl::NotFoundError("no service " + name + " to route");
    absl::StatusOr<std::vector<Route>> routes = RoutesOf(*service);
    if (!routes.ok()) return routes.status();
    for (Route& route : *routes) state->routes.push_back(std::move(route));
  }
  for (absl::string_view origin :
       absl::StrSplit(options.cors_origins, ',', absl::SkipWhitespace())) {
    state->cors_origins.emplace_back(absl::StripAsciiWhitespace(origin));
  }

  State* raw = state.get();
  if (options.tls_cert.empty()) {
    state->server = std::make_unique<httplib::Server>();
  } else {
    auto tls = std::make_unique<httplib::SSLServer>(
        options.tls_cert.c_str(), options.tls_key.c_str(),
        options.tls_client_ca.empty() ? nullptr : options.tls_client_ca.c_str());
    if (!tls->is_valid()) {
      return absl::InvalidArgumentError("HTTP: cannot use the TLS certificate, key or client CA");
    }
    state->server = std::move(tls);
  }
  httplib::Server& server = *state->server;
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Idle kept-alive connections hold a worker, and stop(), this long.
  server.set_keep_alive_timeout(2);
  server.set_read_timeout(30, 0);
  server.set_write_timeout(30, 0);
  server.set_default_headers(
      {{"X-Content-Type-Options", "nosniff"}, {"Referrer-Policy", "no-referrer"}});
  server.set_logger([raw](const httplib::Request& request, const httplib::Response& response) {
    raw->LogRequest(request, response);
  });
  server.set_pre_routing_handler(
      [raw](const httplib::Request& request, httplib::Response& response) {
        raw->MarkStarted(request);
        const std::string origin = raw->AllowedOrigin(request);
        if (!origin.empty()) {
          response.set_header("Access-Control-Allow-Origin", origin);
          response.set_header("Vary", "Origin");
          if (request.method == "OPTIONS") {
            response.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE");
            response.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
            response.set_header("Access-Control-Max-Age", "600");
            response.status = 204;
            return httplib::Server::HandlerResponse::Handled;
          }
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });

  // The page and its files; the page itself loads only from this origin.
  for (std::size_t i = 0; i < kWebAssetCount; ++i) {
    const WebAsset& asset = kWebAssets[i];
    auto gzipped = std::make_shared<const std::string>(Gzip(asset.data));
    // "no-cache" makes the browser ask each time; the ETag (the content's
    // hash, per encoding) lets it keep its copy on a 304 instead of fetching
    // the chart library's 240 KB again (bench/page_load.mjs, warm loads).
    const std::string etag = EntityTag(asset.data);
    auto handler = [&asset, gzipped, etag](const httplib::Request& request,
                                           httplib::Response& response) {
      response.set_header("Cache-Control", "no-cache");
      response.set_header("Vary", "Accept-Encoding");
      const bool gzip =
          !gzipped->empty() && gzipped->size() < asset.data.size() &&
          request.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
      const std::string tag =
          gzip ? absl::StrCat("\"", etag, "-gz\"") : absl::StrCat("\"", etag, "\"");
      response.set_header("ETag", tag);
      if (request.get_header_value("If-None-Match").find(tag) != std::string::npos) {
        response.status = 304;
        return;
      }
      if (asset.content_type.starts_with("text/html")) {
        response.set_header("Content-Security-Policy",
                            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
                            "data: blob:; frame-ancestors 'none'");
      }
      if (gzip) {
        response.set_header("Content-Encoding", "gzip");
        return SendBytes(response, *gzipped, std::string(asset.content_type), gzipped);
      }
      SendBytes(response, std::string_view(asset.data.data(), asset.data.size()),
                std::string(asset.content_type));
    };
    server.Get(std::string(asset.path), handler);
    if (asset.path == "/index.html") server.Get("/", handler);
  }
  auto api = [raw](const httplib::Request& request, httplib::Response& response) {
    raw->Api(request, response, nullptr);
  };
  auto api_with_body = [raw](const httplib::Request& request, httplib::Response& response,
                             const httplib::ContentReader& reader) {
    raw->Api(request, response, &reader);
  };
  server.Get("/v1/.*", api);
  server.Delete("/v1/.*", api);
  server.Post("/v1/.*", api_with_body);
  server.Put("/v1/.*", api_with_body);
  server.Patch("/v1/.*", api_with_body);
  server.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (!response.has_header("Content-Type") && response.status == 404) {
      SendError(response, absl::NotFoundError(absl::StrCat("no such page ", request.path)), "");
    }
  });

  if (address->port == 0) {
    state->port = server.bind_to_any_port(address->host);
    if (state->port < 0) {
      return absl::UnavailableError("cannot bind HTTP address " + options.listen);
    }
  } else {
    if (!server.bind_to_port(address->host, address->port)) {
      return absl::UnavailableError("cannot bind HTTP address " + options.listen +
                                    " (in use, or not an address of this host)");
    }
    state->port = address->port;
  }
  const int threads = options.threads;
  server.new_task_queue = [raw, threads] {
    raw->MarkRunning();
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  std::future<void> running = state->running.get_future();
  state->thread = std::thread([raw] {
    raw->server->listen_after_bind();
    raw->MarkRunning();
  });
  running.wait();
  return std::unique_ptr<HttpGateway>(new HttpGateway(std::move(state)));
}

HttpGateway::HttpGateway(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpGateway::~HttpGateway() {
  state_->server->stop();
  state_->thread.join();
}

int HttpGateway::port() const { return state_->port; }

}  // namespace analytics::http
