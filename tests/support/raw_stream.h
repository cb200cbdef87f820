// Client write streams for tests: EndStream closes a generated stub's stream
// the way the API requires (a message marked last), and RawClientStream
// sends raw message bytes, for what the generated stubs would not produce (a
// malformed message, invalid UTF-8): a generic call through a completion
// queue, each write awaited.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace analytics::testing {

// Ends a generated client stream (IngestTransactions, ImportCsv) as a client
// must for the write to commit: a message marked `last`, sent with the
// half-close. False when the server had already ended the call.
template <typename Request>
bool EndStream(grpc::ClientWriter<Request>& writer) {
  Request last;
  last.set_last(true);
  return writer.Write(last, grpc::WriteOptions().set_last_message());
}

// The bytes of an empty message marked last (field `last`, number 2 in
// IngestTransactionsRequest, 3 in ImportCsvRequest): the end mark for
// RawClientStream.
inline std::string LastMark(int field_number) {
  return std::string{static_cast<char>(field_number << 3), '\x01'};
}

// Sends each of `messages` as one message on a client stream of `method`
// ("/package.Service/Method"), half-closes, and returns the status; the
// response's bytes go to `response` (left empty when there is none).
inline grpc::Status RawClientStream(grpc::Channel& channel, const std::string& method,
                                    const std::vector<std::string>& messages,
                                    std::string& response) {
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::CompletionQueue queue;
  const auto await = [&] {
    void* tag = nullptr;
    bool ok = false;
    return queue.Next(&tag, &ok) && ok;
  };
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, method, &queue);
  call->StartCall(nullptr);
  await();
  for (const std::string& bytes : messages) {
    grpc::Slice slice(bytes);
    call->Write(grpc::ByteBuffer(&slice, 1), nullptr);
    if (!await()) break;  // the server ended the call
  }
  call->WritesDone(nullptr);
  await();
  grpc::ByteBuffer reply;
  call->Read(&reply, nullptr);
  const bool replied = await();
  grpc::Status status;
  call->Finish(&status, nullptr);
  await();
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
  }
  response.clear();
  std::vector<grpc::Slice> slices;
  if (replied && reply.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      response.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  return status;
}

}  // namespace analytics::testing
