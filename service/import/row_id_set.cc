#include "import/row_id_set.h"

#include "absl/hash/hash.h"

namespace analytics {

std::string_view RowIdSet::View(const std::string& arena, const Entry& entry) {
  const std::uint64_t length = entry.where & ((std::uint64_t{1} << kLengthBits) - 1);
  return std::string_view(arena).substr(entry.where >> kLengthBits, length);
}

std::size_t RowIdSet::Hash::operator()(std::string_view id) const {
  return absl::Hash<std::string_view>()(id);
}

std::size_t RowIdSet::Hash::operator()(const Entry& entry) const {
  return (*this)(View(*arena, entry));
}

bool RowIdSet::Eq::operator()(const Entry& a, const Entry& b) const {
  return View(*arena, a) == View(*arena, b);
}

bool RowIdSet::Eq::operator()(const Entry& a, std::string_view b) const {
  return View(*arena, a) == b;
}

bool RowIdSet::Eq::operator()(std::string_view a, const Entry& b) const {
  return a == View(*arena, b);
}

RowIdSet::RowIdSet() : entries_(0, Hash{&arena_}, Eq{&arena_}) {}

std::optional<std::int64_t> RowIdSet::Insert(std::string_view id, std::int64_t line) {
  if (id.size() > kMaxIdBytes) return std::nullopt;  // see the header
  bool inserted = false;
  const auto it = entries_.lazy_emplace(id, [&](const auto& construct) {
    const std::uint64_t offset = arena_.size();
    arena_.append(id);
    construct(Entry{offset << kLengthBits | id.size(), line});
    inserted = true;
  });
  if (inserted) return std::nullopt;
  return it->line;
}

}  // namespace analytics
