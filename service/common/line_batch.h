// A batch of order lines as one compact byte string: the form lines travel
// in on the bulk write path.
//
// Copying each line's strings from stage to stage (protobuf message, queue,
// write log, engine) would cost a bulk write a large share of its CPU, so
// the gRPC layer encodes each message's valid lines once into LineBatches;
// the writer stores each batch as it is (the store's write log,
// order_store.h) and hands it to the engine, which reads the lines in place
// through OrderLineView, without copying a string.
//
// The format is versioned by its first byte. Version 2, written now: per
// line, the fifteen texts in OrderLine's order, each as a varint 0 ("the
// same as the line before's", which the lines of one order mostly are: a
// third fewer bytes to copy, log and read) or as (varint length + 1,
// bytes); then the dates and amounts as zigzag varints, the ship date
// preceded by a presence byte. Version 1 (still read: logs written before
// it) had every text as (varint length, bytes). Batches are stored in the
// database, so the format may only change with a new version byte (and a
// reader for the old one). Reading checks every length against the bytes,
// so a damaged batch is an error, never a read past its end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "common/line_fields.h"
#include "common/magnitude_totals.h"
#include "common/order_line.h"

namespace analytics {

// The size bulk producers cut their batches at. A logged batch is folded
// into rows in one transaction, during which a small write waits: at 1,024
// lines that wait stays at a few milliseconds; larger batches make a small
// write wait for a longer fold.
inline constexpr std::int64_t kLinesPerBatch = 1024;

OrderLineView ViewOf(const OrderLine& line);
// Copies `view` into `line` (assigning, so a recycled line's strings keep
// their capacity).
void AssignLine(const OrderLineView& view, OrderLine& line);

class LineBatch {
 public:
  LineBatch() { Clear(); }
  LineBatch(const LineBatch&) = default;
  LineBatch& operator=(const LineBatch&) = default;
  // A moved-from batch is empty (and valid).
  LineBatch(LineBatch&& other) noexcept
      : bytes_(std::move(other.bytes_)),
        lines_(other.lines_),
        previous_(other.previous_),
        magnitudes_(other.magnitudes_) {
    other.Clear();
  }
  LineBatch& operator=(LineBatch&& other) noexcept {
    if (this != &other) {
      bytes_ = std::move(other.bytes_);
      lines_ = other.lines_;
      previous_ = other.previous_;
      magnitudes_ = other.magnitudes_;
      other.Clear();
    }
    return *this;
  }

  void Add(const OrderLineView& line);
  void Add(const OrderLine& line) { Add(ViewOf(line)); }
  // The encoded batch: the version byte, then the lines added since the
  // last Clear().
  std::string_view bytes() const { return bytes_; }
  std::int64_t line_count() const { return lines_; }
  // The magnitudes of the lines added since the last Clear(): what the
  // store adds to its bound (magnitude_totals.h) without decoding a line.
  const MagnitudeTotals& magnitudes() const { return magnitudes_; }
  bool empty() const { return lines_ == 0; }
  // Bytes the buffer holds without growing.
  std::size_t capacity() const { return bytes_.capacity(); }
  // Empties the batch; its buffer keeps its capacity for the next lines.
  void Clear();
  void Swap(LineBatch& other) noexcept {
    bytes_.swap(other.bytes_);
    std::swap(lines_, other.lines_);
    std::swap(previous_, other.previous_);
    std::swap(magnitudes_, other.magnitudes_);
  }

 private:
  // The last line's texts, as (offset, size) in bytes_ (offsets survive the
  // buffer's growth), for the "same as before" marks.
  struct Span {
    std::size_t offset = 0;
    std::size_t size = 0;
  };
  std::string bytes_;
  std::int64_t lines_ = 0;
  std::array<Span, kOrderLineViewTexts.size()> previous_{};
  MagnitudeTotals magnitudes_;
};

// Reads the lines of one batch's bytes back, in the order they were added.
// Adds the magnitudes (magnitude_totals.h) of the lines of a stored batch
// to `totals`, reading only the lengths of its texts. The store sums these
// over its whole write log when it opens (order_store.h): several times
// cheaper than reading every line with LineBatchReader. DataLoss, with
// `totals` partly added, when the batch is damaged.
absl::Status AddBatchMagnitudes(std::string_view bytes, MagnitudeTotals& totals);

class LineBatchReader {
 public:
  explicit LineBatchReader(std::string_view bytes);
  // Fills `line` (pointing into the bytes) and returns true, or returns
  // false at the end or at the first malformed byte (then status() says so).
  bool Next(OrderLineView& line);
  bool Next(OrderLine& line);
  // Of the line Next() just read: bit i set when text i (in
  // kOrderLineViewTexts order) was marked the same as the line before's.
  std::uint32_t repeated() const { return repeated_; }
  absl::Status status() const { return status_; }

 private:
  bool Fail();
  std::string_view rest_;
  int version_ = 0;
  bool first_ = true;
  std::uint32_t repeated_ = 0;
  OrderLineView current_;  // the line just read (repeated texts stay)
  absl::Status status_;
};

}  // namespace analytics
