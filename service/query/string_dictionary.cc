#include "query/string_dictionary.h"

#include <algorithm>
#include <cstring>

#include "absl/hash/hash.h"

namespace analytics::columnar {
namespace {

// Arena blocks start small (most dictionaries hold a handful of region or
// category names) and double up to 1 MiB.
constexpr std::size_t kFirstBlockBytes = 256;
constexpr std::size_t kMaxBlockBytes = 1 << 20;

}  // namespace

StringDictionary::StringDictionary() : ids_(0, Hash{this}, Eq{this}) {}

std::size_t StringDictionary::Hash::operator()(std::uint32_t id) const {
  return absl::Hash<std::string_view>{}(dictionary->views_[id]);
}

std::size_t StringDictionary::Hash::operator()(std::string_view value) const {
  return absl::Hash<std::string_view>{}(value);
}

std::string_view StringDictionary::Store(std::string_view value) {
  if (value.empty()) return {};
  if (block_used_ + value.size() > block_capacity_) {
    const std::size_t next = std::min(kMaxBlockBytes, std::max(kFirstBlockBytes, 2 * block_capacity_));
    // A value larger than a block gets a block of its own.
    block_capacity_ = std::max(next, value.size());
    blocks_.push_back(std::make_unique<char[]>(block_capacity_));
    arena_bytes_ += block_capacity_;
    block_used_ = 0;
  }
  char* at = blocks_.back().get() + block_used_;
  std::memcpy(at, value.data(), value.size());
  block_used_ += value.size();
  return {at, value.size()};
}

std::uint32_t StringDictionary::Intern(std::string_view value) {
  if (const auto it = ids_.find(value); it != ids_.end()) return *it;
  const auto id = static_cast<std::uint32_t>(views_.size());
  views_.push_back(Store(value));
  ids_.insert(id);
  return id;
}

std::optional<std::uint32_t> StringDictionary::Find(std::string_view value) const {
  if (const auto it = ids_.find(value); it != ids_.end()) return *it;
  return std::nullopt;
}

std::size_t StringDictionary::MemoryBytes() const {
  // flat_hash_set: one control byte plus the slot per bucket.
  return arena_bytes_ + views_.capacity() * sizeof(std::string_view) +
         ids_.capacity() * (sizeof(std::uint32_t) + 1);
}

}  // namespace analytics::columnar
