#include "query/columnar/columns.h"

#include <algorithm>

#include "query/columnar/expect.h"

namespace analytics::columnar {

void Columns::Resize(std::size_t rows) {
  day.resize(rows);
  customer.resize(rows);
  order.resize(rows);
  line.resize(rows);
  name.resize(rows);
  for (auto& dim : dims) dim.resize(rows);
  sales.resize(rows);
  profit.resize(rows);
  quantity.resize(rows);
}

void Columns::Splice(std::size_t from, const Columns& tail) {
  COLUMNAR_EXPECT(from <= size());
  const std::size_t rows = from + tail.size();
  // Growing by an eighth at a time: appending a day's lines does not copy
  // the whole table each time, and the spare capacity stays small.
  const auto fit = [&](auto& column, const auto& source) {
    if (rows > column.capacity()) column.reserve(rows + rows / 8);
    column.resize(rows);
    std::copy(source.begin(), source.end(), column.begin() + static_cast<std::ptrdiff_t>(from));
  };
  fit(day, tail.day);
  fit(customer, tail.customer);
  fit(order, tail.order);
  fit(line, tail.line);
  fit(name, tail.name);
  for (std::size_t i = 0; i < kDimCount; ++i) fit(dims[i], tail.dims[i]);
  fit(sales, tail.sales);
  fit(profit, tail.profit);
  fit(quantity, tail.quantity);
}

std::size_t Columns::MemoryBytes() const {
  std::size_t bytes = VectorBytes(day) + VectorBytes(customer) + VectorBytes(order) +
                      VectorBytes(line) + VectorBytes(name) + VectorBytes(sales) +
                      VectorBytes(profit) + VectorBytes(quantity);
  for (const auto& dim : dims) bytes += VectorBytes(dim);
  return bytes;
}

std::size_t Dictionaries::MemoryBytes() const {
  std::size_t bytes =
      keys.MemoryBytes() + orders.MemoryBytes() + customers.MemoryBytes() + names.MemoryBytes();
  for (const auto& dim : dims) bytes += dim.MemoryBytes();
  return bytes;
}

}  // namespace analytics::columnar
