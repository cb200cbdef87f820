#include "common/line_key.h"

#include "absl/strings/str_cat.h"

namespace analytics {

std::string LineKeyAssigner::NextKey(std::string_view order_id, std::string_view product_id) {
  std::string key = absl::StrCat(std::string(order_id), "/", std::string(product_id), "/");
  const std::int64_t n = ++occurrences_[key];
  absl::StrAppend(&key, n);
  return key;
}

}  // namespace analytics
