#include "api/page_token.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace analytics::api {
namespace {

constexpr std::uint8_t kTokenVersion = 1;
constexpr std::size_t kTokenBytes = 1 + 8 + 8;

void PutU64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t GetU64(const std::string& in, std::size_t pos) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  }
  return value;
}

}  // namespace

std::uint64_t RequestFingerprint(const google::protobuf::Message& request_without_paging) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request_without_paging.SerializeToCodedStream(&coded);
  }
  std::uint64_t hash = 1469598103934665603ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string EncodePageToken(std::int64_t offset, std::uint64_t fingerprint) {
  std::string raw;
  raw.push_back(static_cast<char>(kTokenVersion));
  PutU64(raw, static_cast<std::uint64_t>(offset));
  PutU64(raw, fingerprint);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::int64_t> DecodePageToken(const std::string& token,
                                             std::uint64_t expected_fingerprint) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() != kTokenBytes ||
      static_cast<std::uint8_t>(raw[0]) != kTokenVersion) {
    return absl::InvalidArgumentError("page_token: malformed; pass a next_page_token unchanged");
  }
  const auto offset = static_cast<std::int64_t>(GetU64(raw, 1));
  if (offset <= 0) return absl::InvalidArgumentError("page_token: malformed");
  if (GetU64(raw, 9) != expected_fingerprint) {
    return absl::InvalidArgumentError(
        "page_token: does not belong to this request (other filter, order or options)");
  }
  return offset;
}

}  // namespace analytics::api
