#include "api/rpc_observer.h"

#include <spdlog/spdlog.h>

namespace analytics::api {

std::string_view StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "UNKNOWN";
  }
}

void LoggingObserver::OnFinish(const RpcRecord& record) {
  const double ms = record.elapsed.count() * 1000.0;
  const std::string_view code = StatusCodeName(record.code);
  switch (record.code) {
    case grpc::StatusCode::OK:
      spdlog::info("rpc method={} peer={} code={} duration_ms={:.3f}", record.method, record.peer,
                   code, ms);
      break;
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
      spdlog::error("rpc method={} peer={} code={} duration_ms={:.3f} error=\"{}\"", record.method,
                    record.peer, code, ms, record.message);
      break;
    default:
      spdlog::warn("rpc method={} peer={} code={} duration_ms={:.3f} error=\"{}\"", record.method,
                   record.peer, code, ms, record.message);
  }
}

void ObserverList::OnStart(std::string_view method) {
  for (RpcObserver* observer : observers_) observer->OnStart(method);
}

void ObserverList::OnFinish(const RpcRecord& record) {
  for (RpcObserver* observer : observers_) observer->OnFinish(record);
}

void ObserverList::OnLinesWritten(std::int64_t accepted, std::int64_t rejected) {
  for (RpcObserver* observer : observers_) observer->OnLinesWritten(accepted, rejected);
}

}  // namespace analytics::api
