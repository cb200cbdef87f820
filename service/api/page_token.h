// Opaque, authenticated page tokens for ListCustomers.
//
// A token carries the offset of the next page and a fingerprint of the
// query it belongs to, sealed with an HMAC-SHA256 under a server key, so a
// client can neither edit the offset nor replay a token against another
// query: either is refused with INVALID_ARGUMENT instead of silently paging
// through the wrong list. The key is random per process unless configured
// (ANALYTICS_PAGE_TOKEN_KEY), which replicas behind one address must share.
//
// The fingerprint is taken over the *normalized* query, not the request's
// bytes: defaults applied (an empty order_by is "monetary desc", an absent
// threshold its default value), order_by parsed, filter lists as sets, dates
// as days, unknown fields ignored. So equal requests from any client (a CLI
// that sends empty sub-messages, a JSON client that omits them, "MONETARY
// DESC" or "monetary desc") share tokens. The token is URL-safe base64 of a
// small versioned record; clients must treat it as opaque.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "reports/customer_report.h"

namespace analytics::api {

// Stable across processes, builds and replicas: the first 8 bytes of the
// SHA-256 of the query's canonical encoding. Ignores the selection's
// offset and limit (the page position and size).
std::uint64_t ListCustomersFingerprint(const RfmQuery& query, const CustomerSelection& selection);

class PageTokenCodec {
 public:
  // Keys shorter than this are refused by the server's configuration.
  static constexpr std::size_t kMinKeyBytes = 16;

  // A fresh random key (OpenSSL's RAND_bytes): tokens die with the process.
  static PageTokenCodec WithRandomKey();
  // `key`: the shared secret of every replica.
  explicit PageTokenCodec(std::string key) : key_(std::move(key)) {}

  std::string Encode(std::int64_t offset, std::uint64_t fingerprint) const;

  // The offset (> 0), or InvalidArgument starting "page_token: " when the
  // token is malformed, was not issued under this key (edited, forged, or
  // from a replica with another key), or belongs to another query.
  absl::StatusOr<std::int64_t> Decode(std::string_view token,
                                      std::uint64_t expected_fingerprint) const;

 private:
  std::string key_;
};

}  // namespace analytics::api
