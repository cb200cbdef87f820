// The Row IDs already seen in one file, to reject a repeated one.
//
// A repeated Row ID would make the later line silently replace the earlier
// one in the store, so the importer remembers every Row ID of the file. That
// is the one part of an import whose memory grows with the file, so it is
// kept compact: the IDs' bytes are appended to one arena and the hash set
// holds 16-byte entries (arena position and first line), about 40 bytes per
// ID in all instead of ~130 with a set of std::string. The set is exact: no
// fingerprints, no false duplicates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"

namespace analytics {

class RowIdSet {
 public:
  RowIdSet();
  // The hash set's functors point at arena_: the object must stay in place.
  RowIdSet(const RowIdSet&) = delete;
  RowIdSet& operator=(const RowIdSet&) = delete;

  // IDs longer than this are not recorded (never reported as repeated):
  // their length does not fit an entry. CSV fields are at most 1 MiB.
  static constexpr std::size_t kMaxIdBytes = (std::size_t{1} << 24) - 1;

  // Records `id`, first seen on `line`. When `id` was recorded before,
  // changes nothing and returns the line where it was first seen.
  std::optional<std::int64_t> Insert(std::string_view id, std::int64_t line);

  std::size_t size() const { return entries_.size(); }

 private:
  // Position in arena_ packed as offset << kLengthBits | length.
  static constexpr int kLengthBits = 24;
  struct Entry {
    std::uint64_t where = 0;
    std::int64_t line = 0;
  };
  struct Hash {
    using is_transparent = void;
    const std::string* arena;
    std::size_t operator()(std::string_view id) const;
    std::size_t operator()(const Entry& entry) const;
  };
  struct Eq {
    using is_transparent = void;
    const std::string* arena;
    bool operator()(const Entry& a, const Entry& b) const;
    bool operator()(const Entry& a, std::string_view b) const;
    bool operator()(std::string_view a, const Entry& b) const;
  };
  static std::string_view View(const std::string& arena, const Entry& entry);

  std::string arena_;
  absl::flat_hash_set<Entry, Hash, Eq> entries_;
};

}  // namespace analytics
