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

// The bytes of `buffer` in one piece: a view of its only slice, or of the
// slices joined into `joined`. Empty on failure (and `ok` false).
std::string_view ContiguousBytes(grpc::ByteBuffer& buffer, std::vector<grpc::Slice>& slices,
                                 std::string& joined, bool& ok);

// Serializes `message` into `out` (a raw method's response).
void SetResponse(const google::protobuf::MessageLite& message, grpc::ByteBuffer& out);

}  // namespace analytics::api
