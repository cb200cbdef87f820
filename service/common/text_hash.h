// A fast 32-bit hash for short strings (keys, ids, names), for the hash
// sets that index millions of them: the columnar engine's dictionaries and
// the CSV import's Row ID set. Not for anything that must resist
// adversarial collisions beyond what a hash table's probing absorbs.
#pragma once

#include <cstdint>
#include <string_view>

namespace analytics {

std::uint32_t HashText(std::string_view text);

}  // namespace analytics
