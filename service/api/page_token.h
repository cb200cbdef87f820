// Opaque page tokens for ListCustomers.
//
// A token carries the offset of the next page and a fingerprint of the
// request it belongs to (every field but page_size and page_token), so a token
// replayed against a different query is refused instead of silently paging
// through the wrong list. It is URL-safe base64 of a small versioned record;
// clients must treat it as opaque.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace analytics::api {

// Stable across processes and restarts (FNV-1a over deterministic bytes).
std::uint64_t RequestFingerprint(const google::protobuf::Message& request_without_paging);

std::string EncodePageToken(std::int64_t offset, std::uint64_t fingerprint);

// InvalidArgument ("page_token: …") when malformed or from another request.
absl::StatusOr<std::int64_t> DecodePageToken(const std::string& token,
                                             std::uint64_t expected_fingerprint);

}  // namespace analytics::api
