// The columnar engine's copy of the order lines: one vector per column,
// rows sorted by (order date, customer, line key).
//
// Only the columns a query reads are kept: day numbers, dense customer,
// order, line-key and customer-name ids, the six filter/breakdown
// dimensions as 16-bit dictionary codes, and sales, profit and quantity as
// exact integers (micro-units). That is ~56 bytes a line, plus the
// dictionaries' text.
//
// The sort order is what makes queries cheap:
// - a date filter is a contiguous row range (two binary searches);
// - trend buckets are consecutive row ranges;
// - the "latest line" of a customer (latest order date, then greatest line
//   key) is simply the last of its matching rows met in row order, so no
//   query ever compares line-key text.
//
// Writes arrive as a StagedWrite (lines encoded against private
// dictionaries while the SQLite transaction runs, so readers are not held
// up) and are applied by Apply(): the staged lines are sorted and merged
// with the existing rows from the earliest day the write touches, replaced
// keys dropped — a write of recent lines costs the rows of those days, not
// the table. The engine holds its exclusive lock for Apply() and its shared
// lock for reads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/civil_day.h"
#include "common/line_batch.h"
#include "common/money.h"
#include "common/order_line.h"
#include "common/text_hash.h"
#include "query/chunked_vector.h"
#include "query/huge_page_allocator.h"
#include "query/query_engine.h"
#include "query/string_dictionary.h"

namespace analytics::columnar {

// The dictionary-coded dimensions, in Dimension order (kCustomer excluded).
inline constexpr std::size_t kDimCount = 6;
// 16-bit codes: a seventh of the memory of 64-bit strings pointers, and
// nobody has 65,536 regions. A write that would exceed it fails Apply().
inline constexpr std::uint32_t kMaxDimValues = 1u << 16;
inline constexpr std::uint32_t kNoRow = 0xffffffffu;
// order_customer() value for an order whose lines name several customers.
inline constexpr std::uint32_t kSeveralCustomers = 0xfffffffeu;

// Columns::order holds the order id, with this bit set when the order is
// "spread". Almost every order is compact: its lines are consecutive rows
// (same day, same customer, adjacent keys) — so among any filtered rows,
// its matching rows are consecutive too, and counting distinct compact
// orders needs no memory at all: count the rows whose order differs from the
// previous matching row's. Only spread orders (lines on several days or of
// several customers, or interleaved with another order's) need a bitset.
// A compact order also lies within one day and belongs to one customer.
inline constexpr std::uint32_t kSpreadOrder = 0x80000000u;
inline constexpr std::uint32_t kOrderIdMask = 0x7fffffffu;

// Index of `dimension` among the dictionary-coded dimensions; must not be
// kCustomer.
std::size_t DimIndex(Dimension dimension);

struct Columns {
  BigVector<Day> day;
  BigVector<std::uint32_t> customer;
  BigVector<std::uint32_t> order;  // order id | kSpreadOrder
  BigVector<std::uint32_t> line;   // line-key id
  BigVector<std::uint32_t> name;   // customer-name id
  std::array<BigVector<std::uint16_t>, kDimCount> dims;
  BigVector<Micros> sales;
  BigVector<Micros> profit;
  BigVector<std::int64_t> quantity;

  std::size_t size() const { return day.size(); }
  void Resize(std::size_t rows);
  // Keeps rows [0, from), then `tail`'s rows.
  void Splice(std::size_t from, const Columns& tail);
  std::size_t MemoryBytes() const;
};

struct Dictionaries {
  StringDictionary keys;
  StringDictionary orders;
  StringDictionary customers;
  StringDictionary names;
  std::array<StringDictionary, kDimCount> dims;

  std::size_t MemoryBytes() const;
};

// The lines of one write, encoded while the write's transaction runs. A
// replace-all write (and the start-up load) encodes straight into what
// become the table's dictionaries; others use private ones, mapped on Apply.
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
  std::array<LastValue, 3 + kDimCount> last_;
  std::unique_ptr<Dictionaries> local_;
  // Not replacing: the keys' text (almost all distinct, so not worth a
  // private dictionary), interned into the table's on Apply().
  BigVector<char> key_text_;
  BigVector<std::size_t> key_end_;
  // Replacing: each line's key id in local_->keys.
  BigVector<std::uint32_t> key_ids_;
  ChunkedVector<Line> lines_;
};

// A row a write removed or added, as answers kept across writes need it.
struct ChangedRow {
  std::uint32_t customer;
  std::uint32_t order;  // order id, without kSpreadOrder
  std::array<std::uint16_t, kDimCount> dims;
  Micros sales;
  Micros profit;
  std::int64_t quantity;
};

struct WriteChanges {
  std::vector<ChangedRow> removed;
  std::vector<ChangedRow> added;
};

// Sums of absolute values of every row's sales, profit and quantity: while
// each fits int64, no sum over any subset of rows can overflow.
struct Magnitudes {
  __int128 sales = 0;
  __int128 profit = 0;
  __int128 quantity = 0;
  void Add(Micros sales_value, Micros profit_value, std::int64_t quantity_value);
  void Remove(Micros sales_value, Micros profit_value, std::int64_t quantity_value);
  bool Fit() const;
};

class LineTable {
 public:
  LineTable();

  // Applies a committed write (taking over its dictionaries when it
  // replaces everything). FailedPrecondition (and no change) when a
  // dimension would exceed kMaxDimValues distinct values. When it does not
  // replace everything, `changes` (if given) receives the rows it removed
  // (replaced lines, as they were) and the rows it added, in table ids.
  // Returns how many of the write's distinct keys were new to the table:
  // the lines an upsert inserted (the write's other lines updated).
  absl::StatusOr<std::int64_t> Apply(StagedWrite& staged, WriteChanges* changes = nullptr);

  const Columns& columns() const { return columns_; }
  const Dictionaries& dictionaries() const { return *dictionaries_; }
  // The same, for answers that keep views of its text after the engine's
  // lock is released: the text stays valid while they hold this, even if a
  // replace-all write gives the table new dictionaries meanwhile (append-only
  // arenas: a view never moves).
  std::shared_ptr<const Dictionaries> shared_dictionaries() const { return dictionaries_; }
  // Per order id: the one customer of its lines, or kSeveralCustomers.
  const std::vector<std::uint32_t>& order_customer() const { return order_customer_; }
  // Customer ids sorted by their text, for output in customer_id order.
  const std::vector<std::uint32_t>& customers_by_id() const { return customers_by_id_; }
  // False when a sum over some rows could overflow int64.
  bool SumsFit() const { return magnitudes_.Fit(); }
  std::size_t MemoryBytes() const;

 private:
  void Reset();
  // Brings the indexes derived from the rows up to date for rows [from,
  // end), all of them when `from` is 0. False (and nothing consistent) when
  // that is not enough: an order that was compact became spread by rows at
  // or after `from`, so its earlier rows need the flag too.
  bool ReindexFrom(std::size_t from);
  // Places the customer ids from `customers_before` on in customers_by_id_.
  void AddNewCustomers(std::uint32_t customers_before);

  std::shared_ptr<Dictionaries> dictionaries_;
  Columns columns_;
  BigVector<std::uint32_t> row_of_;  // per line-key id
  std::vector<std::uint32_t> order_customer_;
  std::vector<std::uint32_t> order_lines_;  // per order id: its rows
  std::vector<bool> spread_;                // per order id: flagged kSpreadOrder
  Magnitudes magnitudes_;
  std::vector<std::uint32_t> customers_by_id_;
};

}  // namespace analytics::columnar
