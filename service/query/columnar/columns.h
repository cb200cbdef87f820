// The columnar engine's storage layout: the line columns and the
// dictionaries their ids point into, and the constants that give ids and
// codes their meaning. LineTable (line_table.h) owns one of each; the scan
// kernels read them; StagedWrite (staged_write.h) encodes a write's lines
// against a Dictionaries of its own.
//
// Only the columns a query reads are kept: day numbers, dense customer,
// order, line-key and customer-name ids, the six filter/breakdown
// dimensions as 16-bit dictionary codes, and sales, profit and quantity as
// exact integers (micro-units). That is ~56 bytes a line, plus the
// dictionaries' text.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/civil_day.h"
#include "common/money.h"
#include "query/columnar/expect.h"
#include "query/columnar/huge_page_allocator.h"
#include "query/columnar/string_dictionary.h"
#include "query/query_engine.h"

namespace analytics::columnar {

// The dictionary-coded dimensions, in Dimension order (kCustomer excluded).
inline constexpr std::size_t kDimCount = 6;
// 16-bit codes: a quarter of the memory of 64-bit string pointers, and
// nobody has 65,536 regions. A write that would exceed it fails
// LineTable::Apply().
inline constexpr std::uint32_t kMaxDimValues = 1u << 16;
inline constexpr std::uint32_t kNoRow = 0xffffffffu;
// LineTable::order_customer() value for an order whose lines name several
// customers.
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
// kCustomer. Inline: staging calls it per line and value, with a constant.
inline std::size_t DimIndex(Dimension dimension) {
  COLUMNAR_EXPECT(dimension != Dimension::kCustomer);
  return static_cast<std::size_t>(dimension);
}

// Bytes a vector has allocated.
template <typename Vector>
std::size_t VectorBytes(const Vector& v) {
  return v.capacity() * sizeof(typename Vector::value_type);
}

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

}  // namespace analytics::columnar
