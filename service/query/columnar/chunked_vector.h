// An append-only array in fixed chunks of huge pages, for a bulk write's
// staged lines, whose count is not known until the write ends.
//
// Why not a vector: growing one copies everything so far into a new block
// twice the size, and faults that block's pages in again. Chunks never
// move: each page is faulted once, nothing is copied.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "query/columnar/huge_page_allocator.h"

namespace analytics::columnar {

template <typename T, std::size_t kChunkElements = (kMapDirectlyFrom / sizeof(T))>
class ChunkedVector {
 public:
  void push_back(const T& value) {
    if (size_ == chunks_.size() * kChunkElements) {
      chunks_.emplace_back();
      chunks_.back().reserve(kChunkElements);  // one mapping, never regrown
    }
    chunks_.back().push_back(value);
    ++size_;
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](std::size_t i) const {
    return chunks_[i / kChunkElements][i % kChunkElements];
  }

 private:
  std::vector<BigVector<T>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace analytics::columnar
