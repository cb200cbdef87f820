#include "query/columnar/string_dictionary.h"

#include <algorithm>
#include <cstring>

#include "common/hash_sort.h"
#include "common/text_hash.h"

namespace analytics::columnar {
namespace {

// Arena blocks start small (most dictionaries hold a handful of region or
// category names) and double up to 1 MiB.
constexpr std::size_t kFirstBlockBytes = 256;
constexpr std::size_t kMaxBlockBytes = kMapDirectlyFrom;  // huge pages from there

}  // namespace

StringDictionary::StringDictionary() : ids_(0, Hash{this}, Eq{this}) {}

std::size_t StringDictionary::Hash::operator()(std::uint32_t id) const {
  return dictionary->hashes_[id];
}

std::string_view StringDictionary::Store(std::string_view value) {
  if (value.empty()) return {};
  if (block_used_ + value.size() > block_capacity_) {
    const std::size_t next =
        std::min(kMaxBlockBytes, std::max(kFirstBlockBytes, 2 * block_capacity_));
    // A value larger than a block gets a block of its own.
    block_capacity_ = std::max(next, value.size());
    blocks_.emplace_back().resize(block_capacity_);  // not zeroed: see the header
    arena_bytes_ += block_capacity_;
    block_used_ = 0;
  }
  char* at = blocks_.back().data() + block_used_;
  std::memcpy(at, value.data(), value.size());
  block_used_ += value.size();
  return {at, value.size()};
}

namespace {

// (hash, id) pairs of ids [first, end), sorted by hash (then id).
std::vector<HashAndIndex> SortedByHash(const BigVector<std::uint32_t>& hashes,
                                       std::uint32_t first) {
  std::vector<HashAndIndex> pairs(hashes.size() - first);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    pairs[i] = {hashes[first + i], static_cast<std::uint32_t>(first + i)};
  }
  SortByHash(pairs);
  return pairs;
}

}  // namespace

void StringDictionary::CatchUp() const {
  if (indexed_ == views_.size()) return;
  hashes_.reserve(views_.size());
  for (std::uint32_t id = static_cast<std::uint32_t>(hashes_.size()); id < views_.size(); ++id) {
    hashes_.push_back(HashText(views_[id]));
  }
  IndexSorted(SortedByHash(hashes_, indexed_));
}

void StringDictionary::IndexSorted(
    const std::vector<std::pair<std::uint32_t, std::uint32_t>>& sorted) const {
  ids_.reserve(views_.size());
  // Callers guarantee the values are unique and not indexed yet.
  for (const auto& [hash, id] : sorted) {
    ids_.lazy_emplace(Absent{hash}, [id = id](const auto& place) { place(id); });
  }
  indexed_ = static_cast<std::uint32_t>(views_.size());
}

bool StringDictionary::IndexAppendedIfUnique() {
  if (indexed_ == views_.size()) return true;
  hashes_.reserve(views_.size());
  for (std::uint32_t id = static_cast<std::uint32_t>(hashes_.size()); id < views_.size(); ++id) {
    hashes_.push_back(HashText(views_[id]));
  }
  const auto sorted = SortedByHash(hashes_, indexed_);
  // Equal values have equal hashes: they sit next to each other (within a
  // run of one hash; such runs are short).
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    for (std::size_t j = i + 1; j < sorted.size() && sorted[j].first == sorted[i].first; ++j) {
      if (views_[sorted[i].second] == views_[sorted[j].second]) return false;
    }
  }
  // The new values must not repeat indexed ones either.
  for (const auto& [hash, id] : sorted) {
    if (indexed_ > 0 && ids_.find(Probe{views_[id], hash}) != ids_.end()) return false;
  }
  IndexSorted(sorted);
  return true;
}

void StringDictionary::Deduplicate(std::vector<std::uint32_t>& remap) {
  // The texts stay where they are in the arena: only the views move.
  const BigVector<std::string_view> old = std::move(views_);
  views_ = {};
  hashes_.clear();
  ids_.clear();
  indexed_ = 0;
  remap.resize(old.size());
  for (std::size_t i = 0; i < old.size(); ++i) {
    const Probe probe{old[i], HashText(old[i])};
    const auto it = ids_.lazy_emplace(probe, [&](const auto& place) {
      const auto id = static_cast<std::uint32_t>(views_.size());
      views_.push_back(probe.text);
      hashes_.push_back(probe.hash);
      place(id);
    });
    remap[i] = *it;
  }
  indexed_ = static_cast<std::uint32_t>(views_.size());
}

StringDictionary::Hashed StringDictionary::HashOf(std::string_view value) {
  return {value, HashText(value)};
}

void StringDictionary::Prefetch(const Hashed& value) const { ids_.prefetch(value); }

std::uint32_t StringDictionary::Intern(const Hashed& value) {
  CatchUp();
  // One probe for a new value too (find, then insert, would probe twice):
  // the set calls back to place the new id in the slot it found.
  const auto it = ids_.lazy_emplace(value, [&](const auto& place) {
    const auto id = static_cast<std::uint32_t>(views_.size());
    views_.push_back(Store(value.text));
    hashes_.push_back(value.hash);
    indexed_ = id + 1;
    place(id);
  });
  return *it;
}

std::uint32_t StringDictionary::AppendUnique(std::string_view value) {
  const auto id = static_cast<std::uint32_t>(views_.size());
  views_.push_back(Store(value));
  return id;
}

bool StringDictionary::AppendUniqueText(const std::vector<std::uint32_t>& lengths,
                                        std::size_t text_bytes,
                                        const std::function<bool(char* text)>& read) {
  std::uint64_t sum = 0;
  for (const std::uint32_t length : lengths) sum += length;
  if (sum != text_bytes) return false;
  // One block of exactly the text's size; the next Store starts a new one.
  BigVector<char> block;
  block.resize(text_bytes);  // not zeroed: see the header
  if (!read(block.data())) return false;
  views_.reserve(views_.size() + lengths.size());
  const char* at = block.data();
  for (const std::uint32_t length : lengths) {
    views_.emplace_back(length == 0 ? nullptr : at, length);
    at += length;
  }
  if (text_bytes > 0) {
    arena_bytes_ += text_bytes;
    blocks_.push_back(std::move(block));
    block_used_ = block_capacity_ = 0;
  }
  return true;
}

void StringDictionary::Reserve(std::size_t more) {
  views_.reserve(views_.size() + more);
  if (indexed_ == views_.size()) {
    hashes_.reserve(views_.size() + more);
    ids_.reserve(views_.size() + more);
  }
}

std::optional<std::uint32_t> StringDictionary::Find(std::string_view value) const {
  CatchUp();
  if (const auto it = ids_.find(Probe{value, HashText(value)}); it != ids_.end()) return *it;
  return std::nullopt;
}

std::size_t StringDictionary::MemoryBytes() const {
  // flat_hash_set: one control byte plus the slot per bucket.
  return arena_bytes_ + views_.capacity() * sizeof(std::string_view) +
         hashes_.capacity() * sizeof(std::uint32_t) + ids_.capacity() * (sizeof(std::uint32_t) + 1);
}

}  // namespace analytics::columnar
