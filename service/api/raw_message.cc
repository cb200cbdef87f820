#include "api/raw_message.h"

namespace analytics::api {

MessageBytes::MessageBytes(const grpc::ByteBuffer& buffer, std::string& joined) {
  ok_ = buffer.Dump(&slices_).ok();
  if (!ok_) return;
  if (slices_.size() == 1) {
    bytes_ = std::string_view(reinterpret_cast<const char*>(slices_[0].begin()), slices_[0].size());
    return;
  }
  joined.clear();
  for (const grpc::Slice& slice : slices_) {
    joined.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  bytes_ = joined;
}

void SetResponse(const google::protobuf::MessageLite& message, grpc::ByteBuffer& out) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  out = grpc::ByteBuffer(&slice, 1);
}

}  // namespace analytics::api
