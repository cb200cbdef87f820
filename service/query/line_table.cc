#include "query/line_table.h"

#include <algorithm>
#include <numeric>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace analytics::columnar {
namespace {

template <typename T>
std::size_t VectorBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

// Orders (day, customer) as one integer; the day's sign bit is flipped so
// that unsigned order matches signed order.
std::uint64_t DayCustomer(Day day, std::uint32_t customer) {
  return (std::uint64_t{static_cast<std::uint32_t>(day) ^ 0x80000000u} << 32) | customer;
}

// Maps each local dictionary id to the global id of the same text.
std::vector<std::uint32_t> MapIds(const StringDictionary& local, StringDictionary& global) {
  std::vector<std::uint32_t> map(local.size());
  for (std::uint32_t id = 0; id < local.size(); ++id) map[id] = global.Intern(local.Get(id));
  return map;
}

}  // namespace

std::size_t DimIndex(Dimension dimension) { return static_cast<std::size_t>(dimension); }

void Columns::Reserve(std::size_t rows) {
  day.reserve(rows);
  customer.reserve(rows);
  order.reserve(rows);
  line.reserve(rows);
  name.reserve(rows);
  for (auto& dim : dims) dim.reserve(rows);
  sales.reserve(rows);
  profit.reserve(rows);
  quantity.reserve(rows);
}

std::size_t Columns::MemoryBytes() const {
  std::size_t bytes = VectorBytes(day) + VectorBytes(customer) + VectorBytes(order) +
                      VectorBytes(line) + VectorBytes(name) + VectorBytes(sales) +
                      VectorBytes(profit) + VectorBytes(quantity);
  for (const auto& dim : dims) bytes += VectorBytes(dim);
  return bytes;
}

std::size_t Dictionaries::MemoryBytes() const {
  std::size_t bytes = keys.MemoryBytes() + orders.MemoryBytes() + customers.MemoryBytes() +
                      names.MemoryBytes();
  for (const auto& dim : dims) bytes += dim.MemoryBytes();
  return bytes;
}

StagedWrite::StagedWrite(bool replace)
    : replace_(replace), local_(std::make_unique<Dictionaries>()) {}

void StagedWrite::Add(const OrderLine& line) {
  key_text_.insert(key_text_.end(), line.line_key.begin(), line.line_key.end());
  key_end_.push_back(key_text_.size());
  Dictionaries& d = *local_;
  lines_.push_back(Line{
      .order = d.orders.Intern(line.order_id),
      .customer = d.customers.Intern(line.customer_id),
      .name = d.names.Intern(line.customer_name),
      .day = line.order_date,
      .dims = {d.dims[DimIndex(Dimension::kRegion)].Intern(line.region),
               d.dims[DimIndex(Dimension::kCategory)].Intern(line.category),
               d.dims[DimIndex(Dimension::kSubCategory)].Intern(line.sub_category),
               d.dims[DimIndex(Dimension::kSegment)].Intern(line.segment),
               d.dims[DimIndex(Dimension::kState)].Intern(line.state),
               d.dims[DimIndex(Dimension::kShipMode)].Intern(line.ship_mode)},
      .sales = line.sales,
      .profit = line.profit,
      .quantity = line.quantity,
  });
}

LineTable::LineTable() : dictionaries_(std::make_unique<Dictionaries>()) {}

void LineTable::Reset() {
  dictionaries_ = std::make_unique<Dictionaries>();
  columns_ = Columns{};
  row_of_ = {};
  order_customer_ = {};
  customers_by_id_ = {};
}

absl::Status LineTable::Apply(const StagedWrite& staged) {
  const Dictionaries& local = *staged.local_;
  // Check the one way Apply can fail before changing anything.
  for (std::size_t i = 0; i < kDimCount; ++i) {
    std::uint32_t fresh = 0;
    for (std::uint32_t id = 0; id < local.dims[i].size(); ++id) {
      if (staged.replace() || !dictionaries_->dims[i].Find(local.dims[i].Get(id))) ++fresh;
    }
    const std::uint32_t existing = staged.replace() ? 0 : dictionaries_->dims[i].size();
    if (existing + fresh > kMaxDimValues) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a dimension has more than ", kMaxDimValues, " distinct values"));
    }
  }
  if (staged.replace()) Reset();
  Dictionaries& d = *dictionaries_;

  const std::vector<std::uint32_t> order_map = MapIds(local.orders, d.orders);
  const std::uint32_t customers_before = d.customers.size();
  const std::vector<std::uint32_t> customer_map = MapIds(local.customers, d.customers);
  const std::vector<std::uint32_t> name_map = MapIds(local.names, d.names);
  std::array<std::vector<std::uint32_t>, kDimCount> dim_maps;
  for (std::size_t i = 0; i < kDimCount; ++i) dim_maps[i] = MapIds(local.dims[i], d.dims[i]);

  const std::size_t n = staged.lines_.size();
  std::vector<std::uint32_t> key_ids(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t begin = i == 0 ? 0 : staged.key_end_[i - 1];
    key_ids[i] = d.keys.Intern(
        std::string_view(staged.key_text_.data() + begin, staged.key_end_[i] - begin));
  }

  // The last line of the write with a key wins; the row it replaces dies.
  std::vector<bool> seen(d.keys.size(), false);
  std::vector<bool> dead(columns_.size(), false);
  // (day, customer) and the staged index: sorted, then ties by key text.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> fresh;
  fresh.reserve(n);
  for (std::size_t i = n; i-- > 0;) {
    const std::uint32_t key = key_ids[i];
    if (seen[key]) continue;
    seen[key] = true;
    if (key < row_of_.size() && row_of_[key] != kNoRow) dead[row_of_[key]] = true;
    const StagedWrite::Line& line = staged.lines_[i];
    fresh.emplace_back(DayCustomer(line.day, customer_map[line.customer]),
                       static_cast<std::uint32_t>(i));
  }
  const auto key_text = [&](std::uint32_t key_id) { return d.keys.Get(key_id); };
  std::sort(fresh.begin(), fresh.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return key_text(key_ids[a.second]) < key_text(key_ids[b.second]);
  });

  Columns merged;
  const std::size_t old_rows = columns_.size();
  const std::size_t dead_rows = static_cast<std::size_t>(std::count(dead.begin(), dead.end(), true));
  merged.Reserve(old_rows - dead_rows + fresh.size());
  const Columns& old = columns_;
  const auto take_old = [&](std::size_t r) {
    merged.day.push_back(old.day[r]);
    merged.customer.push_back(old.customer[r]);
    merged.order.push_back(old.order[r]);
    merged.line.push_back(old.line[r]);
    merged.name.push_back(old.name[r]);
    for (std::size_t i = 0; i < kDimCount; ++i) merged.dims[i].push_back(old.dims[i][r]);
    merged.sales.push_back(old.sales[r]);
    merged.profit.push_back(old.profit[r]);
    merged.quantity.push_back(old.quantity[r]);
  };
  const auto take_fresh = [&](std::uint32_t s) {
    const StagedWrite::Line& line = staged.lines_[s];
    merged.day.push_back(line.day);
    merged.customer.push_back(customer_map[line.customer]);
    merged.order.push_back(order_map[line.order]);
    merged.line.push_back(key_ids[s]);
    merged.name.push_back(name_map[line.name]);
    for (std::size_t i = 0; i < kDimCount; ++i) {
      merged.dims[i].push_back(static_cast<std::uint16_t>(dim_maps[i][line.dims[i]]));
    }
    merged.sales.push_back(line.sales);
    merged.profit.push_back(line.profit);
    merged.quantity.push_back(line.quantity);
  };
  std::size_t r = 0;
  std::size_t f = 0;
  while (r < old_rows || f < fresh.size()) {
    if (r < old_rows && dead[r]) {
      ++r;
      continue;
    }
    bool old_first = f == fresh.size();
    if (!old_first && r < old_rows) {
      const std::uint64_t old_key = DayCustomer(old.day[r], old.customer[r]);
      old_first = old_key != fresh[f].first
                      ? old_key < fresh[f].first
                      : key_text(old.line[r]) < key_text(key_ids[fresh[f].second]);
    }
    if (old_first) {
      take_old(r++);
    } else {
      take_fresh(fresh[f++].second);
    }
  }
  columns_ = std::move(merged);

  row_of_.assign(d.keys.size(), kNoRow);
  for (std::size_t row = 0; row < columns_.size(); ++row) {
    row_of_[columns_.line[row]] = static_cast<std::uint32_t>(row);
  }
  order_customer_.assign(d.orders.size(), kNoRow);
  for (std::size_t row = 0; row < columns_.size(); ++row) {
    std::uint32_t& owner = order_customer_[columns_.order[row]];
    const std::uint32_t customer = columns_.customer[row];
    if (owner == kNoRow) {
      owner = customer;
    } else if (owner != customer) {
      owner = kSeveralCustomers;
    }
  }
  if (d.customers.size() != customers_before) {
    const auto by_text = [&](std::uint32_t a, std::uint32_t b) {
      return d.customers.Get(a) < d.customers.Get(b);
    };
    const auto middle = static_cast<std::ptrdiff_t>(customers_by_id_.size());
    customers_by_id_.resize(d.customers.size());
    std::iota(customers_by_id_.begin() + middle, customers_by_id_.end(), customers_before);
    std::sort(customers_by_id_.begin() + middle, customers_by_id_.end(), by_text);
    std::inplace_merge(customers_by_id_.begin(), customers_by_id_.begin() + middle,
                       customers_by_id_.end(), by_text);
  }
  return absl::OkStatus();
}

std::size_t LineTable::MemoryBytes() const {
  return dictionaries_->MemoryBytes() + columns_.MemoryBytes() + VectorBytes(row_of_) +
         VectorBytes(order_customer_) + VectorBytes(customers_by_id_);
}

}  // namespace analytics::columnar
