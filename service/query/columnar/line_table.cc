#include "query/columnar/line_table.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "query/columnar/in_parallel.h"

namespace analytics::columnar {
namespace {

// Orders (day, customer) as one integer; the day's sign bit is flipped so
// that unsigned order matches signed order.
std::uint64_t DayCustomer(Day day, std::uint32_t customer) {
  return (std::uint64_t{static_cast<std::uint32_t>(day) ^ 0x80000000u} << 32) | customer;
}

// From this many rows on, a bulk write's merge is worth a second thread.
constexpr std::size_t kWorthAThread = 65'536;

// Sorts (day-customer key, staged index) pairs by key, then by the line
// key's text. This runs under the engine's exclusive lock, and a comparison
// sort would compare texts on every tie (the lines of one order share the
// key): an LSD radix sort on the packed key (stable, up to 14 bits a pass),
// then each run of equal keys (a handful of lines) by text.
template <typename Text>
void SortFresh(BigVector<std::pair<std::uint64_t, std::uint32_t>>& fresh, const Text& text) {
  const auto by_text = [&](const auto& a, const auto& b) {
    return text(a.second) < text(b.second);
  };
  const std::size_t n = fresh.size();
  if (n < 4096) {
    std::sort(fresh.begin(), fresh.end(), [&](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : by_text(a, b);
    });
    return;
  }
  // The key is (day, customer) in two 32-bit halves; packed as (day - first
  // day, customer) it has ~11 + 17 bits for a million lines: two passes.
  std::uint32_t min_day = 0xffffffffu;
  std::uint32_t max_day = 0;
  std::uint32_t max_customer = 0;
  for (const auto& entry : fresh) {
    const auto day = static_cast<std::uint32_t>(entry.first >> 32);
    min_day = std::min(min_day, day);
    max_day = std::max(max_day, day);
    max_customer = std::max(max_customer, static_cast<std::uint32_t>(entry.first));
  }
  const int customer_bits = max_customer == 0 ? 0 : 32 - __builtin_clz(max_customer);
  const std::uint32_t day_span = max_day - min_day;
  const int bits = customer_bits + (day_span == 0 ? 0 : 32 - __builtin_clz(day_span));
  const auto packed = [&](std::uint64_t key) {
    return (((key >> 32) - min_day) << customer_bits) | (key & 0xffffffffu);
  };
  if (bits > 0) {
    const int passes = (bits + 13) / 14;
    const int digit_bits = (bits + passes - 1) / passes;
    const std::uint64_t mask = (std::uint64_t{1} << digit_bits) - 1;
    BigVector<std::pair<std::uint64_t, std::uint32_t>> other(n);
    std::vector<std::size_t> next(std::size_t{1} << digit_bits);
    for (int shift = 0; shift < bits; shift += digit_bits) {
      std::fill(next.begin(), next.end(), 0);
      for (const auto& entry : fresh) ++next[(packed(entry.first) >> shift) & mask];
      std::size_t offset = 0;
      for (std::size_t& slot : next) offset += std::exchange(slot, offset);
      for (const auto& entry : fresh) other[next[(packed(entry.first) >> shift) & mask]++] = entry;
      fresh.swap(other);
    }
  }
  // Runs of equal keys, by text: the two halves (split where a run ends)
  // on two threads, as the texts' cache misses dominate.
  std::size_t middle = n / 2;
  while (middle < n && fresh[middle].first == fresh[middle - 1].first) ++middle;
  const auto sort_runs = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end;) {
      std::size_t j = i + 1;
      while (j < end && fresh[j].first == fresh[i].first) ++j;
      if (j - i > 1) {
        std::sort(fresh.begin() + static_cast<std::ptrdiff_t>(i),
                  fresh.begin() + static_cast<std::ptrdiff_t>(j), by_text);
      }
      i = j;
    }
  };
  InParallel(
      n >= kWorthAThread, [&] { sort_runs(0, middle); }, [&] { sort_runs(middle, n); });
}

// Maps each local dictionary id to the global id of the same text.
std::vector<std::uint32_t> MapIds(const StringDictionary& local, StringDictionary& global) {
  std::vector<std::uint32_t> map(local.size());
  for (std::uint32_t id = 0; id < local.size(); ++id) map[id] = global.Intern(local.Get(id));
  return map;
}

__int128 Abs(std::int64_t value) { return value < 0 ? -__int128{value} : __int128{value}; }

}  // namespace

struct LineTable::IdMaps {
  std::vector<std::uint32_t> order;
  std::vector<std::uint32_t> customer;
  std::vector<std::uint32_t> name;
  std::array<std::vector<std::uint32_t>, kDimCount> dims;
  BigVector<std::uint32_t> key;  // per staged line
};

struct LineTable::WriteRows {
  // (day-customer key, staged index), sorted into row order.
  BigVector<std::pair<std::uint64_t, std::uint32_t>> fresh;
  std::vector<std::uint32_t> dead;  // ascending
};

LineTable::LineTable() : dictionaries_(std::make_unique<Dictionaries>()) {}

void LineTable::Reset() {
  dictionaries_ = std::make_unique<Dictionaries>();
  columns_ = Columns{};
  row_of_ = {};
  order_customer_ = {};
  order_lines_ = {};
  spread_ = {};
  magnitudes_ = {};
  customers_by_id_ = {};
}

absl::StatusOr<std::int64_t> LineTable::Apply(StagedWrite& staged, WriteChanges* changes,
                                              Reassignments* reassigned) {
  if (absl::Status fits = CheckFits(staged); !fits.ok()) return fits;
  const std::uint32_t customers_before = staged.replace() ? 0 : dictionaries_->customers.size();
  const IdMaps ids = staged.replace() ? AdoptStaged(staged) : MapStaged(staged);
  const WriteRows rows = SortWriteRows(staged, ids, reassigned);
  // Rows of days before the earliest day the write touches keep their
  // place: only the rows from `from` on are merged again.
  std::size_t from = 0;
  if (!staged.replace()) {
    if (changes != nullptr) RecordChanges(staged, ids, rows, *changes);
    from = FirstChangedRow(staged, rows);
    CountChanges(staged, ids, rows);
  }
  Install(from, MergeFrom(from, staged, ids, rows));
  AddNewCustomers(customers_before);
  // Each distinct key of the write is a fresh row; those that had a row
  // before replaced it (a dead row), the others are new.
  return static_cast<std::int64_t>(rows.fresh.size() - rows.dead.size());
}

absl::Status LineTable::CheckFits(const StagedWrite& staged) const {
  for (std::size_t i = 0; i < kDimCount; ++i) {
    const StringDictionary& local = staged.local_->dims[i];
    std::uint32_t total = dictionaries_->dims[i].size();
    if (staged.replace()) {
      total = local.size();
    } else {
      for (std::uint32_t id = 0; id < local.size(); ++id) {
        if (!dictionaries_->dims[i].Find(local.Get(id))) ++total;
      }
    }
    if (total > kMaxDimValues) {
      return absl::FailedPreconditionError(
          absl::StrCat("a dimension has more than ", kMaxDimValues, " distinct values"));
    }
  }
  if (std::size_t{dictionaries_->orders.size()} + staged.local_->orders.size() > kOrderIdMask) {
    return absl::FailedPreconditionError("more than 2^31 orders");
  }
  return absl::OkStatus();
}

LineTable::IdMaps LineTable::AdoptStaged(StagedWrite& staged) {
  Reset();
  dictionaries_ = std::move(staged.local_);
  staged.local_ = std::make_unique<Dictionaries>();
  const auto identity = [](std::uint32_t size) {
    std::vector<std::uint32_t> map(size);
    std::iota(map.begin(), map.end(), 0u);
    return map;
  };
  const Dictionaries& d = *dictionaries_;
  IdMaps ids;
  ids.order = identity(d.orders.size());
  ids.customer = identity(d.customers.size());
  ids.name = identity(d.names.size());
  for (std::size_t i = 0; i < kDimCount; ++i) ids.dims[i] = identity(d.dims[i].size());
  ids.key = std::move(staged.key_ids_);
  if (!staged.unique_keys_ && !dictionaries_->keys.IndexAppendedIfUnique()) {
    // The write repeats a key: its lines must share one id (the last wins).
    std::vector<std::uint32_t> remap;
    dictionaries_->keys.Deduplicate(remap);
    for (std::uint32_t& key : ids.key) key = remap[key];
  }
  return ids;
}

LineTable::IdMaps LineTable::MapStaged(const StagedWrite& staged) {
  Dictionaries& d = *dictionaries_;
  const Dictionaries& local = *staged.local_;
  const std::size_t n = staged.lines_.size();
  IdMaps ids;
  ids.order = MapIds(local.orders, d.orders);
  ids.customer = MapIds(local.customers, d.customers);
  ids.name = MapIds(local.names, d.names);
  for (std::size_t i = 0; i < kDimCount; ++i) ids.dims[i] = MapIds(local.dims[i], d.dims[i]);
  d.keys.Reserve(n);
  ids.key.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t begin = i == 0 ? 0 : staged.key_end_[i - 1];
    ids.key[i] = d.keys.Intern(
        std::string_view(staged.key_text_.data() + begin, staged.key_end_[i] - begin));
  }
  return ids;
}

LineTable::WriteRows LineTable::SortWriteRows(const StagedWrite& staged, const IdMaps& ids,
                                              Reassignments* reassigned) const {
  const Dictionaries& d = *dictionaries_;
  const std::size_t n = staged.lines_.size();
  WriteRows rows;
  // The last line of the write with a key wins; the row it replaces dies.
  std::vector<bool> seen(d.keys.size(), false);
  rows.fresh.reserve(n);
  // Walking backwards, the examples kept are the last met: a ring of the
  // earliest lines of the write, put in write order at the end.
  std::size_t next_example = 0;
  for (std::size_t i = n; i-- > 0;) {
    const std::uint32_t key = ids.key[i];
    if (seen[key]) continue;
    seen[key] = true;
    const StagedWrite::Line& line = staged.lines_[i];
    if (key < row_of_.size() && row_of_[key] != kNoRow) {
      const std::uint32_t r = row_of_[key];
      rows.dead.push_back(r);
      const std::uint32_t previous_order = columns_.order[r] & kOrderIdMask;
      const std::uint32_t order = ids.order[line.order];
      const std::uint32_t customer = ids.customer[line.customer];
      if (reassigned != nullptr && (previous_order != order || columns_.customer[r] != customer)) {
        ++reassigned->count;
        const Reassignment example{.staged = static_cast<std::uint32_t>(i),
                                   .key = key,
                                   .previous_order = previous_order,
                                   .order = order,
                                   .previous_customer = columns_.customer[r],
                                   .customer = customer};
        if (reassigned->first.size() < reassigned->max_examples) {
          reassigned->first.push_back(example);
        } else if (reassigned->max_examples > 0) {
          reassigned->first[next_example] = example;
          next_example = (next_example + 1) % reassigned->max_examples;
        }
      }
    }
    rows.fresh.emplace_back(DayCustomer(line.day, ids.customer[line.customer]),
                            static_cast<std::uint32_t>(i));
  }
  std::sort(rows.dead.begin(), rows.dead.end());
  if (reassigned != nullptr) {
    std::sort(reassigned->first.begin(), reassigned->first.end(),
              [](const Reassignment& a, const Reassignment& b) { return a.staged < b.staged; });
  }
  SortFresh(rows.fresh, [&](std::uint32_t s) { return d.keys.Get(ids.key[s]); });
  return rows;
}

void LineTable::RecordChanges(const StagedWrite& staged, const IdMaps& ids, const WriteRows& rows,
                              WriteChanges& changes) const {
  const Columns& old = columns_;
  changes.removed.reserve(rows.dead.size());
  for (const std::uint32_t r : rows.dead) {
    ChangedRow& row = changes.removed.emplace_back(ChangedRow{.customer = old.customer[r],
                                                              .order = old.order[r] & kOrderIdMask,
                                                              .dims = {},
                                                              .sales = old.sales[r],
                                                              .profit = old.profit[r],
                                                              .quantity = old.quantity[r]});
    for (std::size_t i = 0; i < kDimCount; ++i) row.dims[i] = old.dims[i][r];
  }
  changes.added.reserve(rows.fresh.size());
  for (const auto& [unused, s] : rows.fresh) {
    const StagedWrite::Line& line = staged.lines_[s];
    ChangedRow& row = changes.added.emplace_back(ChangedRow{.customer = ids.customer[line.customer],
                                                            .order = ids.order[line.order],
                                                            .dims = {},
                                                            .sales = line.sales,
                                                            .profit = line.profit,
                                                            .quantity = line.quantity});
    for (std::size_t i = 0; i < kDimCount; ++i) {
      row.dims[i] = static_cast<std::uint16_t>(ids.dims[i][line.dims[i]]);
    }
  }
}

std::size_t LineTable::FirstChangedRow(const StagedWrite& staged, const WriteRows& rows) const {
  // The earliest day of a dead row or a new row. Starting at a day boundary
  // keeps every compact order (one day) wholly on one side.
  const Columns& old = columns_;
  Day first_day = std::numeric_limits<Day>::max();
  if (!rows.fresh.empty()) first_day = staged.lines_[rows.fresh.front().second].day;
  if (!rows.dead.empty()) first_day = std::min(first_day, old.day[rows.dead.front()]);
  return static_cast<std::size_t>(std::lower_bound(old.day.begin(), old.day.end(), first_day) -
                                  old.day.begin());
}

void LineTable::CountChanges(const StagedWrite& staged, const IdMaps& ids, const WriteRows& rows) {
  const Columns& old = columns_;
  order_lines_.resize(dictionaries_->orders.size(), 0);
  for (const std::uint32_t r : rows.dead) {
    --order_lines_[old.order[r] & kOrderIdMask];
    magnitudes_.Remove(old.sales[r], old.profit[r], old.quantity[r]);
  }
  for (const auto& [unused, s] : rows.fresh) {
    const StagedWrite::Line& line = staged.lines_[s];
    ++order_lines_[ids.order[line.order]];
    magnitudes_.Add(line.sales, line.profit, line.quantity);
  }
}

Columns LineTable::MergeFrom(std::size_t from, const StagedWrite& staged, const IdMaps& ids,
                             const WriteRows& rows) const {
  const Dictionaries& d = *dictionaries_;
  const Columns& old = columns_;
  const std::size_t old_rows = old.size();
  const auto& fresh = rows.fresh;
  const auto& dead = rows.dead;
  const auto key_text = [&](std::uint32_t key_id) { return d.keys.Get(key_id); };
  Columns merged;
  merged.Resize(old_rows - from - dead.size() + fresh.size());
  std::size_t out = 0;
  const auto take_old = [&](std::size_t r) {
    merged.day[out] = old.day[r];
    merged.customer[out] = old.customer[r];
    merged.order[out] = old.order[r] & kOrderIdMask;
    merged.line[out] = old.line[r];
    merged.name[out] = old.name[r];
    for (std::size_t i = 0; i < kDimCount; ++i) merged.dims[i][out] = old.dims[i][r];
    merged.sales[out] = old.sales[r];
    merged.profit[out] = old.profit[r];
    merged.quantity[out] = old.quantity[r];
    ++out;
  };
  const auto put_fresh = [&](std::size_t at, std::uint32_t s) {
    const StagedWrite::Line& line = staged.lines_[s];
    merged.day[at] = line.day;
    merged.customer[at] = ids.customer[line.customer];
    merged.order[at] = ids.order[line.order];
    merged.line[at] = ids.key[s];
    merged.name[at] = ids.name[line.name];
    for (std::size_t i = 0; i < kDimCount; ++i) {
      merged.dims[i][at] = static_cast<std::uint16_t>(ids.dims[i][line.dims[i]]);
    }
    merged.sales[at] = line.sales;
    merged.profit[at] = line.profit;
    merged.quantity[at] = line.quantity;
  };
  const auto take_fresh = [&](std::uint32_t s) { put_fresh(out++, s); };
  std::size_t r = from;
  std::size_t f = 0;
  auto next_dead = dead.begin();
  if (r == old_rows && dead.empty()) {
    // Only new rows (a first write, a replace): row i is fresh[i], so the
    // two halves are independent; a bulk load fills them on two threads.
    const auto fill = [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) put_fresh(i, fresh[i].second);
    };
    const std::size_t half = fresh.size() / 2;
    InParallel(
        fresh.size() >= kWorthAThread, [&] { fill(0, half); }, [&] { fill(half, fresh.size()); });
    f = out = fresh.size();
  }
  while (r < old_rows || f < fresh.size()) {
    if (next_dead != dead.end() && r == *next_dead) {
      ++r;
      ++next_dead;
      continue;
    }
    bool old_first = f == fresh.size();
    if (!old_first && r < old_rows) {
      const std::uint64_t old_key = DayCustomer(old.day[r], old.customer[r]);
      old_first = old_key != fresh[f].first
                      ? old_key < fresh[f].first
                      : key_text(old.line[r]) < key_text(ids.key[fresh[f].second]);
    }
    if (old_first) {
      take_old(r++);
    } else {
      take_fresh(fresh[f++].second);
    }
  }
  return merged;
}

void LineTable::Install(std::size_t from, Columns merged) {
  if (from == 0) {
    columns_ = std::move(merged);
  } else {
    columns_.Splice(from, merged);
  }
  if (from == 0 || !ReindexFrom(from)) ReindexFrom(0);
}

bool LineTable::ReindexFrom(std::size_t from) {
  const Dictionaries& d = *dictionaries_;
  const std::size_t rows = columns_.size();
  if (from == 0) {
    row_of_.assign(d.keys.size(), kNoRow);
    order_customer_.assign(d.orders.size(), kNoRow);
    order_lines_.assign(d.orders.size(), 0);
    spread_.assign(d.orders.size(), false);
    magnitudes_ = {};
    for (std::size_t row = 0; row < rows; ++row) {
      ++order_lines_[columns_.order[row] & kOrderIdMask];
      magnitudes_.Add(columns_.sales[row], columns_.profit[row], columns_.quantity[row]);
    }
  } else {
    row_of_.resize(d.keys.size(), kNoRow);
    order_customer_.resize(d.orders.size(), kNoRow);
    spread_.resize(d.orders.size(), false);
  }
  for (std::size_t row = from; row < rows; ++row) {
    row_of_[columns_.line[row]] = static_cast<std::uint32_t>(row);
  }
  // An order is compact when each of its rows follows the previous one
  // directly, on the same day and for the same customer. Owners only ever
  // widen (a replaced line leaves its customer as an owner): a wider owner
  // costs a set lookup, never a wrong count.
  struct Seen {
    std::uint32_t previous_row = kNoRow;
    std::uint32_t rows = 0;
    bool spread = false;
  };
  // Per order met from `from` on: densely for a full pass, else in a map
  // (a small write meets few orders).
  absl::flat_hash_map<std::uint32_t, Seen> sparse;
  std::vector<Seen> dense;
  if (from == 0) dense.resize(d.orders.size());
  for (std::size_t row = from; row < rows; ++row) {
    const std::uint32_t order = columns_.order[row] & kOrderIdMask;
    const std::uint32_t customer = columns_.customer[row];
    std::uint32_t& owner = order_customer_[order];
    if (owner == kNoRow) {
      owner = customer;
    } else if (owner != customer) {
      owner = kSeveralCustomers;
    }
    Seen& seen = from == 0 ? dense[order] : sparse[order];
    if (seen.rows > 0 &&
        (seen.previous_row + 1 != row || columns_.day[seen.previous_row] != columns_.day[row] ||
         columns_.customer[seen.previous_row] != customer)) {
      seen.spread = true;
    }
    seen.previous_row = static_cast<std::uint32_t>(row);
    ++seen.rows;
  }
  if (from == 0) {
    for (std::size_t order = 0; order < dense.size(); ++order) spread_[order] = dense[order].spread;
  } else {
    for (const auto& [order, seen] : sparse) {
      if (seen.rows == order_lines_[order]) {
        spread_[order] = seen.spread;
      } else if (!spread_[order]) {
        // Rows before `from` too, so on an earlier day: spread. It was
        // compact until now, so those earlier rows lack the flag.
        return false;
      }
    }
  }
  for (std::size_t row = from; row < rows; ++row) {
    const std::uint32_t order = columns_.order[row] & kOrderIdMask;
    columns_.order[row] = spread_[order] ? order | kSpreadOrder : order;
  }
  return true;
}

void LineTable::AddNewCustomers(std::uint32_t customers_before) {
  const Dictionaries& d = *dictionaries_;
  if (d.customers.size() == customers_before) return;
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

void Magnitudes::Add(Micros sales_value, Micros profit_value, std::int64_t quantity_value) {
  sales += Abs(sales_value);
  profit += Abs(profit_value);
  quantity += Abs(quantity_value);
}

void Magnitudes::Remove(Micros sales_value, Micros profit_value, std::int64_t quantity_value) {
  sales -= Abs(sales_value);
  profit -= Abs(profit_value);
  quantity -= Abs(quantity_value);
}

bool Magnitudes::Fit() const {
  constexpr __int128 kMax = std::numeric_limits<std::int64_t>::max();
  return sales <= kMax && profit <= kMax && quantity <= kMax;
}

std::size_t LineTable::MemoryBytes() const {
  return dictionaries_->MemoryBytes() + columns_.MemoryBytes() + VectorBytes(row_of_) +
         VectorBytes(order_customer_) + VectorBytes(order_lines_) + spread_.capacity() / 8 +
         VectorBytes(customers_by_id_);
}

}  // namespace analytics::columnar
