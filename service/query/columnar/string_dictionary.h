// An append-only string dictionary: each distinct string gets a dense id
// (0, 1, 2, ... in order of first appearance) for the columnar engine's
// dictionary-encoded columns.
//
// The bytes live in large arena blocks and the hash index stores only the
// 4-byte ids (equality looks the text up through the id; each id's 32-bit
// hash is kept beside it, so growing the index never re-reads the text, a
// cache miss per value), so a million line keys cost about their own length
// plus ~30 bytes each, not a std::string and a map node each. Ids are never
// reused or removed: the engine starts a new dictionary when a write
// replaces everything.
//
// Not thread-safe: the engine guards it with its own lock. The object is
// neither copyable nor movable because the index's functors point at it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/text_hash.h"
#include "query/columnar/huge_page_allocator.h"

namespace analytics::columnar {

class StringDictionary {
 public:
  StringDictionary();
  StringDictionary(const StringDictionary&) = delete;
  StringDictionary& operator=(const StringDictionary&) = delete;

  // A value with its hash, computed once for Prefetch and Intern.
  struct Hashed {
    std::string_view text;
    std::uint32_t hash;
  };
  static Hashed HashOf(std::string_view value);
  // Starts loading the index entries that interning `value` will probe.
  // A bulk write looks a few lines ahead: the index of a million keys is far
  // bigger than the cache, and a lookup otherwise waits for two misses.
  void Prefetch(const Hashed& value) const;

  // The id of `value`, adding it when new.
  std::uint32_t Intern(const Hashed& value);
  std::uint32_t Intern(std::string_view value) { return Intern(HashOf(value)); }
  // Adds a value the caller knows is not present yet (the keys of a table
  // loaded from a PRIMARY KEY column), without touching the hash index: the
  // index catches up on the next Intern or Find. Loading a million keys then
  // costs no hash probes at all until the first write needs them.
  std::uint32_t AppendUnique(std::string_view value);
  // AppendUnique for a saved dictionary (snapshot.h): the values are the
  // consecutive pieces, of `lengths`, of `text_bytes` bytes of text that
  // `read` writes into the dictionary's own storage (one block; no copy of
  // each value). False, with nothing appended, when `read` fails or the
  // lengths do not add up to text_bytes.
  bool AppendUniqueText(const std::vector<std::uint32_t>& lengths, std::size_t text_bytes,
                        const std::function<bool(char* text)>& read);
  std::optional<std::uint32_t> Find(std::string_view value) const;

  // For a bulk write's line keys, appended with AppendUnique though they may
  // repeat: indexes them all at once and returns true, or returns false,
  // leaving the dictionary as it was, when two of them are equal. Indexing
  // in the order of the hashes fills the index front to back, where hashing
  // them in one by one is a cache miss each (and a regrowth now and then).
  bool IndexAppendedIfUnique();
  // Makes the values unique after IndexAppendedIfUnique said they are not:
  // `remap[old id]` is the new id (the first occurrence's). Slow (one probe
  // per value); for the rare write that repeats a key.
  void Deduplicate(std::vector<std::uint32_t>& remap);
  // Makes room for `more` new values, so that adding them never rehashes
  // (a rehash re-reads every stored string, a cache miss each).
  void Reserve(std::size_t more);
  std::string_view Get(std::uint32_t id) const { return views_[id]; }
  // For loops that Get ids in no useful order (one per scored customer):
  // fetches the view a few iterations ahead.
  void PrefetchGet(std::uint32_t id) const { __builtin_prefetch(&views_[id]); }
  std::uint32_t size() const { return static_cast<std::uint32_t>(views_.size()); }
  std::size_t MemoryBytes() const;

 private:
  using Probe = Hashed;
  // For indexing a value known not to be indexed yet: equality with it is
  // false without reading any text (the bulk index's inserts then touch
  // only the index, in order).
  struct Absent {
    std::uint32_t hash;
  };
  struct Hash {
    using is_transparent = void;
    const StringDictionary* dictionary;
    std::size_t operator()(std::uint32_t id) const;
    std::size_t operator()(const Probe& probe) const { return probe.hash; }
    std::size_t operator()(const Absent& absent) const { return absent.hash; }
  };
  struct Eq {
    using is_transparent = void;
    const StringDictionary* dictionary;
    bool operator()(std::uint32_t a, std::uint32_t b) const { return a == b; }
    bool operator()(std::uint32_t id, const Probe& probe) const {
      return SameText(dictionary->views_[id], probe.text);
    }
    bool operator()(const Probe& probe, std::uint32_t id) const {
      return SameText(dictionary->views_[id], probe.text);
    }
    bool operator()(std::uint32_t, const Absent&) const { return false; }
    bool operator()(const Absent&, std::uint32_t) const { return false; }
  };

  std::string_view Store(std::string_view value);
  // Indexes the values added by AppendUnique.
  void CatchUp() const;
  // Indexes views_[indexed_, end) given their (hash, id) pairs sorted.
  void IndexSorted(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& sorted) const;

  // Big ones in huge pages (huge_page_allocator.h), and not zeroed: in 4 KiB
  // pages a bulk write's keys fault in a page every few dozen keys, on the
  // write's critical path.
  std::vector<BigVector<char>> blocks_;
  std::size_t block_used_ = 0;
  std::size_t block_capacity_ = 0;
  std::size_t arena_bytes_ = 0;
  BigVector<std::string_view> views_;
  // hashes_[id] for the indexed ids (filled with the index, see CatchUp).
  mutable BigVector<std::uint32_t> hashes_;
  // The index is a cache of views_, extended lazily (hence mutable; callers
  // serialise all access, see above).
  mutable absl::flat_hash_set<std::uint32_t, Hash, Eq, HugePageAllocator<std::uint32_t>> ids_;
  mutable std::uint32_t indexed_ = 0;  // views_[0, indexed_) are in ids_
};

}  // namespace analytics::columnar
