// The Row IDs of one file, to reject a repeated one.
//
// A repeated Row ID would make the later line silently replace the earlier
// one in the store, so the importer rejects every occurrence after the
// first. The check is deferred to the end of the file: Add only appends
// (the ID's bytes to arena blocks, a 32-byte entry), and Repeats() finds
// every repeat at once by sorting the entries by hash. Looking each ID up
// in a hash set as it arrived was a cache miss per line and the largest
// single cost of reading a million-line file; sorting reads everything in
// order. Exact: no fingerprints, no false repeats; IDs that share a hash
// are compared byte for byte (sorted by text when many share one, so even
// crafted collisions cost n log n).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace analytics {

class RowIdSet {
 public:
  // Records `id`, seen on `line` (lines ascending from call to call);
  // `tag` is the caller's number for this occurrence, handed back if it
  // turns out to be a repeat.
  void Add(std::string_view id, std::int64_t line, std::int64_t tag);

  struct Repeat {
    std::int64_t line;        // where the repeat is
    std::int64_t first_line;  // where the ID was first seen
    std::string id;
  };
  struct Repeats {
    std::vector<std::int64_t> tags;  // of every repeat, ascending
    std::vector<Repeat> first;       // the first `max_reported` repeats, by line
  };
  // Every occurrence of an ID after its first.
  Repeats FindRepeats(std::size_t max_reported) const;

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::uint32_t hash = 0;
    std::uint32_t block = 0;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
    std::int64_t line = 0;
    std::int64_t tag = 0;
  };
  std::string_view View(const Entry& entry) const;

  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t block_used_ = 0;
  std::size_t block_size_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace analytics
