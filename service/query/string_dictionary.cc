#include "query/string_dictionary.h"

#include <algorithm>
#include <cstring>

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

void StringDictionary::CatchUp() const {
  if (indexed_ == views_.size()) return;
  ids_.reserve(views_.size());
  hashes_.reserve(views_.size());
  for (; indexed_ < views_.size(); ++indexed_) {
    hashes_.push_back(HashText(views_[indexed_]));
    ids_.insert(indexed_);
  }
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
