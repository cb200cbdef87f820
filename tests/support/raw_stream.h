// A client stream of raw message bytes, for tests that must send what the
// generated stubs would not produce (a malformed message, invalid UTF-8):
// a generic call through a completion queue, each write awaited.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace analytics::testing {

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
