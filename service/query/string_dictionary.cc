#include "query/string_dictionary.h"

#include <algorithm>
#include <cstring>

namespace analytics::columnar {
namespace {

// Arena blocks start small (most dictionaries hold a handful of region or
// category names) and double up to 1 MiB.
constexpr std::size_t kFirstBlockBytes = 256;
constexpr std::size_t kMaxBlockBytes = 1 << 20;

// A fast hash for short strings (keys, ids, names): eight bytes at a time,
// each mixed by a 64x64->128-bit multiply (the wyhash construction). The
// table uses both the low bits (control bytes) and the high bits (probe
// position), which the fold of the product's halves fills well.
std::uint64_t Mix(std::uint64_t a, std::uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

std::size_t HashText(std::string_view text) {
  constexpr std::uint64_t kSeed = 0xa0761d6478bd642fULL;
  constexpr std::uint64_t kStep = 0xe7037ed1a0b428dbULL;
  std::uint64_t h = kSeed ^ text.size();
  const char* p = text.data();
  std::size_t left = text.size();
  while (left >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    h = Mix(h ^ word, kStep);
    p += 8;
    left -= 8;
  }
  if (left > 0) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, left);
    h = Mix(h ^ word, kStep ^ left);
  }
  return Mix(h, kSeed ^ kStep);
}

}  // namespace

StringDictionary::StringDictionary() : ids_(0, Hash{this}, Eq{this}) {}

std::size_t StringDictionary::Hash::operator()(std::uint32_t id) const {
  return HashText(dictionary->views_[id]);
}

std::size_t StringDictionary::Hash::operator()(std::string_view value) const {
  return HashText(value);
}

std::string_view StringDictionary::Store(std::string_view value) {
  if (value.empty()) return {};
  if (block_used_ + value.size() > block_capacity_) {
    const std::size_t next =
        std::min(kMaxBlockBytes, std::max(kFirstBlockBytes, 2 * block_capacity_));
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

void StringDictionary::CatchUp() const {
  if (indexed_ == views_.size()) return;
  ids_.reserve(views_.size());
  for (; indexed_ < views_.size(); ++indexed_) ids_.insert(indexed_);
}

std::uint32_t StringDictionary::Intern(std::string_view value) {
  CatchUp();
  if (const auto it = ids_.find(value); it != ids_.end()) return *it;
  const auto id = static_cast<std::uint32_t>(views_.size());
  views_.push_back(Store(value));
  ids_.insert(id);
  indexed_ = id + 1;
  return id;
}

std::uint32_t StringDictionary::AppendUnique(std::string_view value) {
  const auto id = static_cast<std::uint32_t>(views_.size());
  views_.push_back(Store(value));
  return id;
}

void StringDictionary::Reserve(std::size_t more) {
  views_.reserve(views_.size() + more);
  if (indexed_ == views_.size()) ids_.reserve(views_.size() + more);
}

std::optional<std::uint32_t> StringDictionary::Find(std::string_view value) const {
  CatchUp();
  if (const auto it = ids_.find(value); it != ids_.end()) return *it;
  return std::nullopt;
}

std::size_t StringDictionary::MemoryBytes() const {
  // flat_hash_set: one control byte plus the slot per bucket.
  return arena_bytes_ + views_.capacity() * sizeof(std::string_view) +
         ids_.capacity() * (sizeof(std::uint32_t) + 1);
}

}  // namespace analytics::columnar
