#include "api/raw_message.h"

namespace analytics::api {

std::string_view ContiguousBytes(grpc::ByteBuffer& buffer, std::vector<grpc::Slice>& slices,
                                 std::string& joined, bool& ok) {
  slices.clear();
  ok = buffer.Dump(&slices).ok();
  if (!ok) return {};
  if (slices.size() == 1) {
    return std::string_view(reinterpret_cast<const char*>(slices[0].begin()), slices[0].size());
  }
  joined.clear();
  for (const grpc::Slice& slice : slices) {
    joined.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return joined;
}

void SetResponse(const google::protobuf::MessageLite& message, grpc::ByteBuffer& out) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  out = grpc::ByteBuffer(&slice, 1);
}

}  // namespace analytics::api
