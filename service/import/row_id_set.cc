#include "import/row_id_set.h"

#include <algorithm>
#include <cstring>

#include "common/text_hash.h"

namespace analytics {
namespace {

// Blocks of 1 MiB: a million typical IDs fill about ten.
constexpr std::size_t kBlockBytes = std::size_t{1} << 20;

}  // namespace

std::string_view RowIdSet::View(const Entry& entry) const {
  return std::string_view(blocks_[entry.block].get() + entry.offset, entry.length);
}

RowIdSet::Entry RowIdSet::Store(std::string_view id, std::uint32_t hash, std::int64_t line) {
  if (blocks_.empty() || block_used_ + id.size() > block_size_) {
    // An ID larger than a block gets a block of its own.
    block_size_ = std::max(kBlockBytes, id.size());
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(block_size_));
    block_used_ = 0;
  }
  const Entry entry{.block = static_cast<std::uint32_t>(blocks_.size() - 1),
                    .offset = static_cast<std::uint32_t>(block_used_),
                    .length = static_cast<std::uint32_t>(id.size()),
                    .hash = hash,
                    .line = line};
  if (!id.empty()) std::memcpy(blocks_.back().get() + block_used_, id.data(), id.size());
  block_used_ += id.size();
  return entry;
}

RowIdSet::RowIdSet() : entries_(0, Hash{}, Eq{this}) {}

std::optional<std::int64_t> RowIdSet::Insert(std::string_view id, std::int64_t line) {
  if (id.size() > kMaxIdBytes) return std::nullopt;  // see the header
  bool inserted = false;
  const Probe probe{id, HashText(id)};
  const auto it = entries_.lazy_emplace(probe, [&](const auto& construct) {
    construct(Store(id, probe.hash, line));
    inserted = true;
  });
  if (inserted) return std::nullopt;
  return it->line;
}

}  // namespace analytics
