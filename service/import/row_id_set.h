// The Row IDs already seen in one file, to reject a repeated one.
//
// A repeated Row ID would make the later line silently replace the earlier
// one in the store, so the importer remembers every Row ID of the file. That
// is the one part of an import whose memory grows with the file, so it is
// kept compact: the IDs' bytes are appended to arena blocks and the hash set
// holds 24-byte entries (where the bytes are, their hash, the first line),
// about 45 bytes per ID in all instead of ~130 with a set of std::string.
// The set is exact: no fingerprints, no false duplicates. Speed matters too
// (a million-line import inserts a million IDs while the file streams in):
// the hash is kept in the entry, so growing the set never re-reads an ID,
// and the blocks never move, so the arena never copies itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace analytics {

class RowIdSet {
 public:
  RowIdSet();
  // The hash set's functors point at the object: it must stay in place.
  RowIdSet(const RowIdSet&) = delete;
  RowIdSet& operator=(const RowIdSet&) = delete;

  // IDs longer than this are not recorded (never reported as repeated).
  // CSV fields are at most 1 MiB, so none is; the bound keeps entries'
  // 32-bit fields safe whoever calls.
  static constexpr std::size_t kMaxIdBytes = (std::size_t{1} << 24) - 1;

  // Records `id`, first seen on `line`. When `id` was recorded before,
  // changes nothing and returns the line where it was first seen.
  std::optional<std::int64_t> Insert(std::string_view id, std::int64_t line);

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::uint32_t block = 0;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
    std::uint32_t hash = 0;
    std::int64_t line = 0;
  };
  // A lookup: the ID and its hash, computed once.
  struct Probe {
    std::string_view id;
    std::uint32_t hash;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(const Probe& probe) const { return probe.hash; }
    std::size_t operator()(const Entry& entry) const { return entry.hash; }
  };
  struct Eq {
    using is_transparent = void;
    const RowIdSet* set;
    bool operator()(const Entry& a, const Entry& b) const { return set->View(a) == set->View(b); }
    bool operator()(const Entry& a, const Probe& b) const { return set->View(a) == b.id; }
    bool operator()(const Probe& a, const Entry& b) const { return a.id == set->View(b); }
  };
  std::string_view View(const Entry& entry) const;
  // Copies `id` into the arena; returns where it went.
  Entry Store(std::string_view id, std::uint32_t hash, std::int64_t line);

  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t block_used_ = 0;
  std::size_t block_size_ = 0;
  absl::flat_hash_set<Entry, Hash, Eq> entries_;
};

}  // namespace analytics
