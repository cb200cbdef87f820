#include "common/line_key.h"

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace analytics {
namespace {

// FNV-1a, 64 bits: the second hash of the fingerprint. Byte-at-a-time
// xor-multiply, unlike absl::Hash's block mixing, so that the two behave
// as independent functions of the prefix.
std::uint64_t Fnv1a64(std::string_view bytes) {
  std::uint64_t hash = 0xCBF29CE484222325u;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001B3u;
  }
  return hash;
}

}  // namespace

absl::Status CheckSource(std::string_view source) {
  if (source.size() > kMaxSourceBytes) {
    return absl::InvalidArgumentError(absl::StrCat("longer than ", kMaxSourceBytes, " bytes"));
  }
  for (const char c : source) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError("may hold only ASCII letters, digits, '.', '_' and '-'");
    }
  }
  return absl::OkStatus();
}

void SourcedKey(std::string_view source, std::string_view key, std::string& out) {
  out.clear();
  if (!source.empty()) {
    out.reserve(source.size() + 1 + key.size());
    out.append(source);
    out.push_back(':');
  }
  out.append(key);
}

std::string LineKeyAssigner::NextKey(std::string_view order_id, std::string_view product_id) {
  std::string key;
  key.reserve(order_id.size() + product_id.size() + 2 + 20);
  key.append(order_id);
  key.push_back('/');
  key.append(product_id);
  key.push_back('/');
  if (expected_lines_ > 0) {
    seen_.reserve(expected_lines_);
    expected_lines_ = 0;
  }
  const Fingerprint fingerprint{absl::Hash<std::string_view>()(key), Fnv1a64(key)};
  std::int64_t n = 1;
  if (!seen_.insert(fingerprint).second) n = ++repeated_.try_emplace(fingerprint, 1).first->second;
  absl::StrAppend(&key, n);
  return key;
}

}  // namespace analytics
