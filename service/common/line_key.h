// Default line keys, for input that carries no key of its own.
//
// When a line has no explicit key (no "Row ID" column, empty line_id), its
// key is "<order_id>/<product_id>/<n>", n counting the occurrences of that
// (order_id, product_id) pair within the same file or request stream, from 1.
// Re-sending the same file or stream therefore produces the same keys, which
// is what makes imports and retried ingests idempotent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace analytics {

class LineKeyAssigner {
 public:
  std::string NextKey(std::string_view order_id, std::string_view product_id);

 private:
  absl::flat_hash_map<std::string, std::int64_t> occurrences_;
};

}  // namespace analytics
