// The byte format of logged line batches (see order_store.h, "Write log").
//
// A large write is made durable as a few BLOBs of encoded lines instead of
// one B-tree row and index entry per line; the store folds them into
// order_lines later. The format is private to the store and versioned by its
// first byte: per line, the fifteen texts as (varint length, bytes) in
// OrderLine's order, then the dates and amounts as zigzag varints, the ship
// date preceded by a presence byte. Decoding checks every length against the
// blob, so a damaged blob is an error, never a read past its end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/order_line.h"

namespace analytics {

// Appends lines to one batch.
class LineBatchEncoder {
 public:
  LineBatchEncoder() { Clear(); }
  void Add(const OrderLine& line);
  // The encoded batch (header + lines added since the last Clear()).
  std::string_view bytes() const { return bytes_; }
  std::int64_t line_count() const { return lines_; }
  void Clear();

 private:
  std::string bytes_;
  std::int64_t lines_ = 0;
};

// Reads the lines of one batch back, in the order they were added.
class LineBatchDecoder {
 public:
  explicit LineBatchDecoder(std::string_view bytes);
  // Fills `line` and returns true, or returns false at the end of the batch
  // or at the first malformed byte (then status() says so).
  bool Next(OrderLine& line);
  absl::Status status() const { return status_; }

 private:
  bool Fail();
  std::string_view rest_;
  absl::Status status_;
};

}  // namespace analytics
