#include "import/row_id_set.h"

#include <algorithm>
#include <cstring>

#include "common/hash_sort.h"
#include "common/text_hash.h"

namespace analytics {
namespace {

// Blocks of 1 MiB: a million typical IDs fill about ten.
constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
// Runs of one hash longer than this are sorted by text rather than
// compared pairwise.
constexpr std::size_t kPairwiseRun = 8;

}  // namespace

std::string_view RowIdSet::View(const Entry& entry) const {
  return std::string_view(blocks_[entry.block].get() + entry.offset, entry.length);
}

void RowIdSet::Add(std::string_view id, std::int64_t line, std::int64_t tag) {
  if (blocks_.empty() || block_used_ + id.size() > block_size_) {
    // An ID larger than a block gets a block of its own.
    block_size_ = std::max(kBlockBytes, id.size());
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(block_size_));
    block_used_ = 0;
  }
  if (!id.empty()) std::memcpy(blocks_.back().get() + block_used_, id.data(), id.size());
  entries_.push_back(Entry{.hash = HashText(id),
                           .block = static_cast<std::uint32_t>(blocks_.size() - 1),
                           .offset = static_cast<std::uint32_t>(block_used_),
                           .length = static_cast<std::uint32_t>(id.size()),
                           .line = line,
                           .tag = tag});
  block_used_ += id.size();
}

RowIdSet::Repeats RowIdSet::FindRepeats(std::size_t max_reported) const {
  // Entry indexes sorted by hash, then index (an LSD radix sort is stable),
  // so that within a run of one hash the file's order holds. The hashes
  // travel with the indexes: looking them up in entries_ would be a cache
  // miss per entry and pass.
  const std::size_t n = entries_.size();
  std::vector<HashAndIndex> sorted(n);
  for (std::size_t i = 0; i < n; ++i) sorted[i] = {entries_[i].hash, static_cast<std::uint32_t>(i)};
  SortByHash(sorted);
  std::vector<std::uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = sorted[i].second;
  const auto hash_at = [&](std::size_t i) { return sorted[i].first; };

  // (repeat, first occurrence) pairs, as entry indexes.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> found;
  for (std::size_t begin = 0; begin < n;) {
    std::size_t end = begin + 1;
    while (end < n && hash_at(end) == hash_at(begin)) ++end;
    if (end - begin > kPairwiseRun) {
      std::stable_sort(
          order.begin() + static_cast<std::ptrdiff_t>(begin),
          order.begin() + static_cast<std::ptrdiff_t>(end),
          [&](std::uint32_t a, std::uint32_t b) { return View(entries_[a]) < View(entries_[b]); });
      for (std::size_t i = begin; i < end;) {
        std::size_t j = i + 1;
        while (j < end && SameText(View(entries_[order[j]]), View(entries_[order[i]]))) {
          found.emplace_back(order[j], order[i]);
          ++j;
        }
        i = j;
      }
    } else {
      for (std::size_t i = begin + 1; i < end; ++i) {
        for (std::size_t j = begin; j < i; ++j) {
          if (SameText(View(entries_[order[i]]), View(entries_[order[j]]))) {
            found.emplace_back(order[i], order[j]);
            break;  // j is the first occurrence: earlier ones differ
          }
        }
      }
    }
    begin = end;
  }

  // Entry indexes follow the file's order.
  std::sort(found.begin(), found.end());
  Repeats repeats;
  repeats.tags.reserve(found.size());
  for (const auto& [repeat, first] : found) {
    repeats.tags.push_back(entries_[repeat].tag);
    if (repeats.first.size() < max_reported) {
      repeats.first.push_back(Repeat{.line = entries_[repeat].line,
                                     .first_line = entries_[first].line,
                                     .id = std::string(View(entries_[repeat]))});
    }
  }
  return repeats;
}

}  // namespace analytics
