// Message bytes for the methods registered raw (IngestTransactions,
// ImportCsv): their reactors read each request's bytes themselves and
// answer with bytes.
//
// Why raw: with a typed client-streaming method, gRPC hands a message it
// cannot parse to the reactor as an ordinary end of stream, so the lines
// before it would be committed as if the client had finished. Read raw, an
// unreadable message fails the stream (INVALID_ARGUMENT) and nothing is
// written. IngestTransactions also reads its messages without building
// protobuf objects (ingest_decoder.h).
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/message_lite.h"

namespace analytics::api {

// The bytes of a received message in one piece: a view of its only slice,
// or of its slices joined into `joined`. ok() is false (and bytes() empty)
// when the buffer cannot be read.
//
// Scoped on purpose: it holds references to the message's slices, and must
// be destroyed while `buffer` still holds the message (before the next read
// can refill it, before the buffer is cleared). The last reference to a
// slice the transport received frees memory charged to gRPC's resource
// quota; dropped by grpc_byte_buffer_destroy that is safe, but dropped by a
// grpc::Slice on a callback thread, which runs reactions with no gRPC
// ExecCtx, gRPC 1.51 can wake its memory reclaimer there and crash
// (ExecCtx::Run on a null ExecCtx: a segfault on a nexting_thread under
// memory pressure). bytes() is valid while it lives.
class MessageBytes {
 public:
  MessageBytes(const grpc::ByteBuffer& buffer, std::string& joined);
  MessageBytes(const MessageBytes&) = delete;
  MessageBytes& operator=(const MessageBytes&) = delete;

  bool ok() const { return ok_; }
  std::string_view bytes() const { return bytes_; }

 private:
  std::vector<grpc::Slice> slices_;
  std::string_view bytes_;
  bool ok_ = false;
};

// Serializes `message` into `out` (a raw method's response).
void SetResponse(const google::protobuf::MessageLite& message, grpc::ByteBuffer& out);

}  // namespace analytics::api
