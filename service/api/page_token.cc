#include "api/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace analytics::api {
namespace {

constexpr std::uint8_t kTokenVersion = 2;
constexpr std::size_t kMacBytes = 16;  // HMAC-SHA256 truncated: 128 bits
constexpr std::size_t kSealedBytes = 1 + 8 + 8;
constexpr std::size_t kTokenBytes = kSealedBytes + kMacBytes;
// Base64 of kTokenBytes is 44 characters; anything much longer is not a
// token and is refused before decoding.
constexpr std::size_t kMaxTokenChars = 64;

void PutU64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t GetU64(std::string_view in, std::size_t pos) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  }
  return value;
}

void PutText(std::string& out, std::string_view text) {
  PutU64(out, text.size());
  out.append(text);
}

template <typename T>
void PutOptional(std::string& out, const std::optional<T>& value) {
  out.push_back(value ? 1 : 0);
  PutU64(out, value ? static_cast<std::uint64_t>(static_cast<std::int64_t>(*value)) : 0);
}

// A filter list means "one of these": order and repeats do not matter.
void PutSet(std::string& out, const std::vector<std::string>& values) {
  std::vector<std::string_view> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  PutU64(out, sorted.size());
  for (const std::string_view value : sorted) PutText(out, value);
}

std::array<unsigned char, kMacBytes> Mac(const std::string& key, std::string_view sealed) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> full{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(sealed.data()), sealed.size(), full.data(), &length);
  std::array<unsigned char, kMacBytes> mac{};
  std::copy_n(full.begin(), kMacBytes, mac.begin());
  return mac;
}

}  // namespace

std::uint64_t ListCustomersFingerprint(const RfmQuery& query, const CustomerSelection& selection) {
  // A canonical encoding of what decides the list: every value resolved
  // (defaults applied, dates as days), lengths before contents so no two
  // queries share an encoding.
  std::string canonical = "ListCustomers/1";
  const Filter& filter = query.filter;
  PutOptional(canonical, filter.start);
  PutOptional(canonical, filter.end);
  for (const std::vector<std::string>* values :
       {&filter.regions, &filter.categories, &filter.sub_categories, &filter.segments,
        &filter.states, &filter.customer_ids}) {
    PutSet(canonical, *values);
  }
  PutOptional(canonical, query.as_of);
  PutU64(canonical, static_cast<std::uint64_t>(query.thresholds.gold_min_frequency));
  PutU64(canonical, static_cast<std::uint64_t>(query.thresholds.gold_min_monetary));
  PutU64(canonical, static_cast<std::uint64_t>(query.thresholds.silver_min_frequency));
  PutOptional(canonical, selection.tier);
  PutOptional(canonical, selection.segment);
  PutU64(canonical, static_cast<std::uint64_t>(selection.order.key));
  canonical.push_back(selection.order.descending ? 1 : 0);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest.data());
  return GetU64(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()), 0);
}

PageTokenCodec PageTokenCodec::WithRandomKey() {
  std::string key(32, '\0');
  // RAND_bytes fails only without an entropy source, where TLS would fail
  // too; a zero key then still yields working (if forgeable) tokens.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    std::fill(key.begin(), key.end(), '\0');
  }
  return PageTokenCodec(std::move(key));
}

std::string PageTokenCodec::Encode(std::int64_t offset, std::uint64_t fingerprint) const {
  std::string raw;
  raw.push_back(static_cast<char>(kTokenVersion));
  PutU64(raw, static_cast<std::uint64_t>(offset));
  PutU64(raw, fingerprint);
  const std::array<unsigned char, kMacBytes> mac = Mac(key_, raw);
  raw.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::int64_t> PageTokenCodec::Decode(std::string_view token,
                                                    std::uint64_t expected_fingerprint) const {
  std::string raw;
  if (token.size() > kMaxTokenChars || !absl::WebSafeBase64Unescape(std::string(token), &raw) ||
      raw.size() != kTokenBytes || static_cast<std::uint8_t>(raw[0]) != kTokenVersion) {
    return absl::InvalidArgumentError("page_token: malformed; pass a next_page_token unchanged");
  }
  const std::string_view sealed = std::string_view(raw).substr(0, kSealedBytes);
  const std::array<unsigned char, kMacBytes> mac = Mac(key_, sealed);
  if (CRYPTO_memcmp(mac.data(), raw.data() + kSealedBytes, kMacBytes) != 0) {
    return absl::InvalidArgumentError(
        "page_token: not issued by this service (altered, or from a server with another "
        "page-token key); pass a next_page_token unchanged");
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
