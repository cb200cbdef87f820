// Who may call what: bearer-token authentication with two roles.
//
// A TokenTable holds the configured tokens, each with a role: `reader` may
// call every read RPC, `writer` also SeedDemoData, IngestTransactions and
// ImportCsv. Only SHA-256 digests of the tokens are kept, and a presented
// token is compared against every entry in constant time (CRYPTO_memcmp over
// equal-length digests, no early exit), so neither the table in memory nor
// the timing of a refusal gives a token away. Tokens never appear in status
// messages or logs.
//
// The Authorizer decides one call from its metadata (`authorization: Bearer
// TOKEN`) and peer address. With tokens configured: no or wrong token is
// UNAUTHENTICATED, a reader on a write RPC is PERMISSION_DENIED. Without
// tokens every read is open and writes are accepted only from loopback (or
// a Unix socket) unless unauthenticated writes were explicitly allowed.
// Health and reflection are separate services and never pass through here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace analytics::api {

enum class Role { kReader, kWriter };

// Whether `method` (the RPC's short name, "ImportCsv") changes data.
bool IsWriteMethod(std::string_view method);

class TokenTable {
 public:
  // Parses the token file format: one entry per line (or per comma, for
  // environment variables), each `ROLE TOKEN` or `ROLE:TOKEN` with ROLE
  // reader or writer; blank lines and lines starting with '#' are ignored.
  // Tokens are 16 to 4096 visible ASCII characters (what an HTTP/2 header
  // value can carry unchanged). A token listed twice with different roles
  // is refused (which role was meant cannot be guessed). InvalidArgument
  // names the entry by number and line, never by its token.
  static absl::StatusOr<TokenTable> Parse(std::string_view text);

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  // Adds the entries of `other` (file and environment together).
  // InvalidArgument naming the entry of `other` when one of its tokens is
  // already here with another role; `other_name` names its source.
  absl::Status Merge(const TokenTable& other, std::string_view other_name);

  // The role of `token`, or NotFound. Takes the same time whichever entry
  // matches, or none.
  absl::StatusOr<Role> Find(std::string_view token) const;

 private:
  using Digest = std::array<std::uint8_t, 32>;
  struct Entry {
    Digest digest;
    Role role;
    int number;  // entry number in its source, for messages
    int line;    // line number in its source
  };
  // The entry holding `digest` with a role other than `role`, or null.
  const Entry* ConflictWith(const Digest& digest, Role role) const;
  static Digest Sha256(std::string_view text);
  std::vector<Entry> entries_;
};

struct AuthOptions {
  TokenTable tokens;
  // Without tokens: accept writes from any peer, not only loopback.
  bool allow_unauthenticated_writes = false;
};

class Authorizer {
 public:
  explicit Authorizer(AuthOptions options) : options_(std::move(options)) {}

  bool tokens_configured() const { return !options_.tokens.empty(); }

  // OK when the call may proceed; UNAUTHENTICATED or PERMISSION_DENIED
  // (as absl codes) otherwise. `authorization` is the raw metadata value, or
  // empty when absent; `peer` is grpc::ServerContext::peer().
  absl::Status Check(std::string_view method, std::string_view authorization,
                     std::string_view peer) const;

 private:
  AuthOptions options_;
};

// Whether a gRPC peer string ("ipv4:127.0.0.1:5", "ipv6:[::1]:5",
// "unix:/path") is on this machine.
bool IsLoopbackPeer(std::string_view peer);

}  // namespace analytics::api
