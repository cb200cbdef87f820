#include "api/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"

namespace analytics::api {
namespace {

constexpr std::size_t kMinTokenLength = 16;
constexpr std::size_t kMaxTokenLength = 4096;

bool IsTokenChar(char c) { return c > 0x20 && c < 0x7f; }

// std::string_view helpers: this absl's string_view is its own type, so
// absl's string functions would need a conversion at every call.
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Strip(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool ConsumePrefix(std::string_view& text, std::string_view prefix) {
  if (!StartsWith(text, prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// "Bearer" is case-insensitive (RFC 6750 follows RFC 7235 here); surrounding
// spaces are tolerated, as proxies sometimes add them.
std::string_view BearerToken(std::string_view authorization) {
  std::string_view value = Strip(authorization);
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return {};
  }
  return Strip(value.substr(kScheme.size()));
}

}  // namespace

bool IsWriteMethod(std::string_view method) {
  return method == "SeedDemoData" || method == "IngestTransactions" || method == "ImportCsv";
}

TokenTable::Digest TokenTable::Sha256(std::string_view text) {
  Digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

absl::StatusOr<TokenTable> TokenTable::Parse(std::string_view text) {
  TokenTable table;
  int number = 0;
  int line = 1;
  while (!text.empty() || number == 0) {
    const std::size_t end = text.find_first_of("\n,");
    const std::string_view raw = text.substr(0, end);
    const int entry_line = line;
    if (end != std::string_view::npos && text[end] == '\n') ++line;
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    std::string_view entry = Strip(raw);
    if (entry.empty() || entry.front() == '#') continue;
    const std::size_t split = entry.find_first_of(" \t:");
    const auto bad = [&](std::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("token entry ", number, ": ", std::string(why)));
    };
    if (split == std::string_view::npos) return bad("expected \"ROLE TOKEN\"");
    const std::string_view role = entry.substr(0, split);
    const std::string_view token = Strip(entry.substr(split + 1));
    Role parsed_role;
    if (EqualsIgnoreCase(role, "reader")) {
      parsed_role = Role::kReader;
    } else if (EqualsIgnoreCase(role, "writer")) {
      parsed_role = Role::kWriter;
    } else {
      return bad("role must be reader or writer");
    }
    if (token.size() < kMinTokenLength || token.size() > kMaxTokenLength) {
      return bad(absl::StrCat("token must be ", kMinTokenLength, " to ", kMaxTokenLength,
                              " characters long"));
    }
    if (!std::all_of(token.begin(), token.end(), IsTokenChar)) {
      return bad("token must be visible ASCII characters without spaces");
    }
    const Digest digest = Sha256(token);
    if (const Entry* first = table.ConflictWith(digest, parsed_role)) {
      return absl::InvalidArgumentError(
          absl::StrCat("token entry ", number, " (line ", entry_line, "): the same token as entry ",
                       first->number, " (line ", first->line,
                       ") with another role; list each token once, with the one role it has"));
    }
    table.entries_.push_back({digest, parsed_role, number, entry_line});
  }
  return table;
}

const TokenTable::Entry* TokenTable::ConflictWith(const Digest& digest, Role role) const {
  // Start-up only: no secret is compared against a caller's input here.
  for (const Entry& entry : entries_) {
    if (entry.digest == digest && entry.role != role) return &entry;
  }
  return nullptr;
}

absl::Status TokenTable::Merge(const TokenTable& other, std::string_view other_name) {
  for (const Entry& entry : other.entries_) {
    if (const Entry* first = ConflictWith(entry.digest, entry.role)) {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(other_name), ": token entry ", entry.number, " (line ", entry.line,
          ") is already configured with another role (entry ", first->number, ", line ",
          first->line, " of the first source); list each token once, with the one role it has"));
    }
  }
  entries_.insert(entries_.end(), other.entries_.begin(), other.entries_.end());
  return absl::OkStatus();
}

absl::StatusOr<Role> TokenTable::Find(std::string_view token) const {
  const Digest presented = Sha256(token);
  // Every entry is compared, whatever matched before, and the role is picked
  // without a data-dependent branch on the comparison result. (Parse and
  // Merge refuse a token listed with two roles.)
  int matched = 0;
  int writer = 0;
  for (const Entry& entry : entries_) {
    const int equal = CRYPTO_memcmp(presented.data(), entry.digest.data(), presented.size()) == 0;
    matched |= equal;
    writer |= equal & static_cast<int>(entry.role == Role::kWriter);
  }
  if (matched == 0) return absl::NotFoundError("unknown token");
  return writer != 0 ? Role::kWriter : Role::kReader;
}

bool IsLoopbackPeer(std::string_view peer) {
  if (StartsWith(peer, "unix:") || StartsWith(peer, "unix-abstract:")) return true;
  if (ConsumePrefix(peer, "ipv4:")) return StartsWith(peer, "127.");
  if (ConsumePrefix(peer, "ipv6:")) {
    // gRPC writes the address as [::1]:port, some versions URI-escaped.
    if (!ConsumePrefix(peer, "[") && !ConsumePrefix(peer, "%5B")) return false;
    return StartsWith(peer, "::1]") || StartsWith(peer, "::1%5D") ||
           StartsWith(peer, "::ffff:127.");
  }
  return false;
}

absl::Status Authorizer::Check(std::string_view method, std::string_view authorization,
                               std::string_view peer) const {
  const bool write = IsWriteMethod(method);
  if (options_.tokens.empty()) {
    if (!write || options_.allow_unauthenticated_writes || IsLoopbackPeer(peer)) {
      return absl::OkStatus();
    }
    return absl::PermissionDeniedError(absl::StrCat(
        std::string(method),
        ": without configured tokens, writes are accepted only from loopback; configure "
        "--auth-tokens-file or start with --allow-unauthenticated-writes"));
  }
  const std::string_view token = BearerToken(authorization);
  if (token.empty()) {
    return absl::UnauthenticatedError(
        "missing credentials: send metadata \"authorization: Bearer TOKEN\"");
  }
  absl::StatusOr<Role> role = options_.tokens.Find(token);
  if (!role.ok()) return absl::UnauthenticatedError("invalid bearer token");
  if (write && *role != Role::kWriter) {
    return absl::PermissionDeniedError(absl::StrCat(
        std::string(method), ": the reader role may not write; a writer token is required"));
  }
  return absl::OkStatus();
}

}  // namespace analytics::api
