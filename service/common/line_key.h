// Default line keys, for input that carries no key of its own.
//
// When a line has no explicit key (no "Row ID" column, empty line_id), its
// key is "<order_id>/<product_id>/<n>", n counting the occurrences of the
// key's prefix "<order_id>/<product_id>/" within the same file or request
// stream, from 1. Re-sending the same file or stream therefore produces the
// same keys, which is what makes imports and retried ingests idempotent.
// (Counting by prefix rather than by pair matters when an id contains '/':
// order "A/B" with product "C" and order "A" with product "B/C" share the
// prefix "A/B/C/", so they must share a count to get distinct keys.)
//
// Memory: the assigner remembers every prefix of the file, so it is the part
// of an import without Row IDs that grows with the file. It keeps a 128-bit
// fingerprint per distinct prefix instead of the prefix itself: 16 bytes in
// a flat hash set (~35 bytes a line with the table's slack, against ~170
// for a map of strings), plus a count only for prefixes seen more than once.
//
// Why fingerprints are safe: the fingerprint is two independent 64-bit hashes
// of the prefix (absl::Hash and FNV-1a, different constructions). Two
// distinct prefixes of one stream share a fingerprint with probability about
// n^2 / 2^129 for n prefixes: ~1e-27 for a million lines, ~1e-21 for a
// billion; disk errors are far likelier. And a collision cannot merge two
// lines: the two prefixes would share one counter, so their keys would still
// differ (prefix and count are both in the key); only the count in one of
// them would be higher than the exact rule says, which matters only if a
// later stream without the other prefix re-sends that line.
//
// Key namespaces ("sources"): a write may name a source (ImportCsvOptions.source,
// IngestTransactionsRequest.source). Explicit keys (a CSV's Row ID, an
// ingested line_id) are then stored as "<source>:<key>", so two files whose
// Row IDs both restart at 1 keep their lines apart. Default keys are not
// prefixed: "<order_id>/<product_id>/<n>" already names the line by its ids.
// A source is 1 to kMaxSourceBytes of [A-Za-z0-9._-], so it never contains
// the ':' that ends it; an unprefixed key that happens to read
// "<source>:<id>" is the same key as that source's <id>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"

namespace analytics {

inline constexpr std::size_t kMaxSourceBytes = 64;

// OK for an empty source (none) or a valid one; otherwise InvalidArgument
// whose message is the reason alone, for the caller to prefix with its
// field path.
absl::Status CheckSource(std::string_view source);

// Replaces `out` with `key` in the namespace `source` ("<source>:<key>"), or
// with `key` itself when `source` is empty.
void SourcedKey(std::string_view source, std::string_view key, std::string& out);

class LineKeyAssigner {
 public:
  // `expected_lines`, when known (an import's accepted count), sizes the
  // table on the first key, so that it never grows by rehashing (which would
  // briefly hold the old and new tables together).
  explicit LineKeyAssigner(std::size_t expected_lines = 0) : expected_lines_(expected_lines) {}

  std::string NextKey(std::string_view order_id, std::string_view product_id);

 private:
  struct Fingerprint {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
  };
  // The fingerprint is already a hash: use its bits as they are.
  struct FingerprintHash {
    std::size_t operator()(const Fingerprint& f) const { return f.high; }
  };

  std::size_t expected_lines_;
  absl::flat_hash_set<Fingerprint, FingerprintHash> seen_;  // prefixes seen once or more
  // Occurrences of the prefixes seen at least twice; the others have one.
  absl::flat_hash_map<Fingerprint, std::int64_t, FingerprintHash> repeated_;
};

}  // namespace analytics
