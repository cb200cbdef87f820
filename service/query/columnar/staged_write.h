// The lines of one write, encoded for the LineTable while the write's SQLite
// transaction runs, so that the engine's exclusive lock is held only for
// the merge (LineTable::Apply), not for the dictionary lookups.
//
// A replace-all write (and the start-up load) encodes straight into what
// become the table's dictionaries; other writes use private ones, mapped to
// the table's ids on Apply. Not thread-safe: one thread stages at a time
// (the engine's pending write hands batches to its worker, pending_write.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/civil_day.h"
#include "common/line_batch.h"
#include "common/money.h"
#include "common/order_line.h"
#include "common/text_hash.h"
#include "query/columnar/chunked_vector.h"
#include "query/columnar/columns.h"
#include "query/columnar/huge_page_allocator.h"
#include "query/columnar/string_dictionary.h"

namespace analytics::columnar {

class StagedWrite {
 public:
  explicit StagedWrite(bool replace);
  // For loading a store's lines, whose keys are unique (a PRIMARY KEY).
  static StagedWrite WithUniqueKeys();

  // Room for `lines` more lines (when the caller knows how many).
  void Reserve(std::size_t lines);
  void Add(const OrderLineView& line) { AddLine(line, nullptr); }
  void Add(const OrderLine& line) { Add(ViewOf(line)); }
  // Adds a batch's lines, starting each line's lookups in the big
  // dictionaries (orders, customers, names) a few lines early.
  void AddBatch(const LineBatch& batch);
  bool replace() const { return replace_; }
  std::size_t size() const { return lines_.size(); }

 private:
  friend class LineTable;
  struct Line {
    std::uint32_t order;
    std::uint32_t customer;
    std::uint32_t name;
    Day day;
    std::array<std::uint32_t, kDimCount> dims;
    Micros sales;
    Micros profit;
    std::int64_t quantity;
  };

  // Remembers the previous value of a column: the lines of one order
  // usually repeat the order's id, customer, place and ship mode, so most
  // lookups are one comparison instead of a hash probe.
  struct LastValue {
    std::string text;
    std::uint32_t id = 0;
    bool valid = false;
    // `hashed`, when given, is `value` hashed already; `repeated`: the
    // batch marked it the same as the line before's (this one's value).
    std::uint32_t Intern(StringDictionary& dictionary, std::string_view value,
                         const StringDictionary::Hashed* hashed = nullptr, bool repeated = false) {
      if (repeated && valid) return id;
      if (!valid || !SameText(value, text)) {
        text = value;
        id = hashed != nullptr ? dictionary.Intern(*hashed) : dictionary.Intern(value);
        valid = true;
      }
      return id;
    }
  };
  // The previous line's value of each dictionary-coded column.
  struct LastValues {
    LastValue order;
    LastValue customer;
    LastValue name;
    std::array<LastValue, kDimCount> dims;  // by DimIndex
  };
  // A line read ahead: its big lookups hashed (and prefetched) already.
  struct Ahead {
    OrderLineView line;
    std::uint32_t repeated = 0;  // LineBatchReader::repeated()
    bool hashed_order = false;   // order (customer, name) differ from the line before
    StringDictionary::Hashed order;
    StringDictionary::Hashed customer;
    StringDictionary::Hashed name;
  };
  void AddLine(const OrderLineView& line, const Ahead* ahead);

  bool replace_;
  bool unique_keys_ = false;
  LastValues last_;
  std::unique_ptr<Dictionaries> local_;
  // Not replacing: the keys' text (almost all distinct, so not worth a
  // private dictionary), interned into the table's on Apply().
  BigVector<char> key_text_;
  BigVector<std::size_t> key_end_;
  // Replacing: each line's key id in local_->keys.
  BigVector<std::uint32_t> key_ids_;
  ChunkedVector<Line> lines_;
};

}  // namespace analytics::columnar
