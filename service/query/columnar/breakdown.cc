#include "query/columnar/breakdown.h"

#include <array>
#include <bit>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "query/columnar/expect.h"
#include "query/columnar/scan.h"

namespace analytics::columnar {
namespace {

// Per-group distinct ids for breakdowns: a bitset per group while that
// stays small, else a set of (group, id) pairs.
class GroupDistinct {
 public:
  GroupDistinct(std::uint32_t groups, std::uint32_t ids)
      : words_per_group_((std::size_t{ids} + 63) / 64),
        use_bits_(groups * words_per_group_ <= kMaxWords) {
    if (use_bits_) words_.assign(groups * words_per_group_, 0);
  }

  void Add(std::uint32_t group, std::uint32_t id) {
    if (use_bits_) {
      words_[group * words_per_group_ + (id >> 6)] |= std::uint64_t{1} << (id & 63);
    } else {
      pairs_.insert((std::uint64_t{group} << 32) | id);
    }
  }

  // Adds the ids `other` (made with the same sizes) has seen.
  void Merge(const GroupDistinct& other) {
    COLUMNAR_EXPECT(other.words_per_group_ == words_per_group_ && other.use_bits_ == use_bits_ &&
                    other.words_.size() == words_.size());
    for (std::size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
    pairs_.insert(other.pairs_.begin(), other.pairs_.end());
  }

  // Distinct ids per group.
  std::vector<std::int64_t> Counts(std::uint32_t groups) const {
    std::vector<std::int64_t> counts(groups, 0);
    if (use_bits_) {
      for (std::uint32_t g = 0; g < groups; ++g) {
        const std::uint64_t* word = words_.data() + g * words_per_group_;
        for (std::size_t i = 0; i < words_per_group_; ++i) counts[g] += std::popcount(word[i]);
      }
    } else {
      for (const std::uint64_t pair : pairs_) ++counts[pair >> 32];
    }
    return counts;
  }

 private:
  static constexpr std::size_t kMaxWords = 8u << 20;  // 64 MiB of bits
  std::size_t words_per_group_;
  bool use_bits_;
  std::vector<std::uint64_t> words_;
  absl::flat_hash_set<std::uint64_t> pairs_;
};

}  // namespace

DimensionGroups ScanDimensionBreakdown(const LineTable& table, const RowFilter& rows,
                                       Dimension dimension, std::uint32_t parallel_min_rows) {
  const Columns& c = table.columns();
  const std::size_t dim = DimIndex(dimension);
  const StringDictionary& values = table.dictionaries().dims[dim];
  const std::uint32_t groups = values.size();
  struct Acc {
    Measures m;
    std::uint32_t last_order = kNoRow;
    bool present = false;
  };
  const std::uint32_t order_count = table.dictionaries().orders.size();
  const std::uint32_t customer_count = table.dictionaries().customers.size();
  struct Part {
    std::vector<Acc> acc;
    GroupDistinct spread;
    GroupDistinct customers;
    Measures total;
    DenseBitset all_spread;
    DenseBitset all_customers;
  };
  std::array<std::optional<Part>, 2> parts;
  const auto scan = [&](int index, std::uint32_t lo, std::uint32_t hi) {
    Part& part = parts[index].emplace(Part{.acc = std::vector<Acc>(groups),
                                           .spread = GroupDistinct(groups, order_count),
                                           .customers = GroupDistinct(groups, customer_count),
                                           .total = {},
                                           .all_spread = DenseBitset(order_count),
                                           .all_customers = DenseBitset(customer_count)});
    std::uint32_t last_order = kNoRow;
    rows.ForEachBlockIn(lo, hi, [&](const auto& block) {
      const std::uint16_t* const group_of = c.dims[dim].data();
      const Micros* const sales = c.sales.data();
      const Micros* const profit = c.profit.data();
      const std::int64_t* const quantity = c.quantity.data();
      const std::uint32_t* const order_of = c.order.data();
      const std::uint32_t* const customer_of = c.customer.data();
      Acc* const groups_acc = part.acc.data();
      std::uint64_t* const all_customer_words = part.all_customers.words();
      Micros revenue = 0;
      Micros profit_sum = 0;
      std::int64_t units = 0;
      std::int64_t orders = 0;
      std::uint32_t last = last_order;
      for (std::uint32_t i = 0; i < block.size(); ++i) {
        const std::uint32_t r = block[i];
        const std::uint32_t g = group_of[r];
        Acc& a = groups_acc[g];
        const Micros s = sales[r];
        const Micros p = profit[r];
        const std::int64_t q = quantity[r];
        a.m.revenue += s;
        a.m.profit += p;
        a.m.units += q;
        a.present = true;
        revenue += s;
        profit_sum += p;
        units += q;
        const std::uint32_t order = order_of[r];
        if (order & kSpreadOrder) [[unlikely]] {
          part.spread.Add(g, order & kOrderIdMask);
          part.all_spread.Set(order & kOrderIdMask);
        } else {
          a.m.orders += order != a.last_order;
          orders += order != last;
        }
        a.last_order = order;
        last = order;
        const std::uint32_t customer = customer_of[r];
        part.customers.Add(g, customer);
        SetBit(all_customer_words, customer);
      }
      AddSums(part.total,
              {.revenue = revenue, .profit = profit_sum, .orders = orders, .units = units});
      last_order = last;
    });
  };
  SplitScan(c, rows, parallel_min_rows, scan);
  Part& all = *parts[0];
  if (parts[1]) {
    const Part& second = *parts[1];
    for (std::uint32_t g = 0; g < groups; ++g) {
      Acc& a = all.acc[g];
      const Acc& b = second.acc[g];
      AddSums(a.m, b.m);
      a.present = a.present || b.present;
    }
    all.spread.Merge(second.spread);
    all.customers.Merge(second.customers);
    AddSums(all.total, second.total);
    all.all_spread.Or(second.all_spread);
    all.all_customers.Or(second.all_customers);
  }
  DimensionGroups result;
  result.total = all.total;
  result.total.orders += all.all_spread.Count();
  result.total.customers = all.all_customers.Count();
  const std::vector<Acc>& acc = all.acc;
  const std::vector<std::int64_t> spread_counts = all.spread.Counts(groups);
  const std::vector<std::int64_t> customer_counts = all.customers.Counts(groups);
  for (std::uint32_t g = 0; g < groups; ++g) {
    if (!acc[g].present) continue;
    Measures m = acc[g].m;
    m.orders += spread_counts[g];
    m.customers = customer_counts[g];
    const std::string key(values.Get(g));
    result.groups.push_back({.key = key, .label = key, .measures = m});
  }
  return result;
}

std::vector<GroupMeasures> ScanCustomerBreakdown(const LineTable& table, const RowFilter& rows) {
  const Columns& c = table.columns();
  const Dictionaries& d = table.dictionaries();
  struct Acc {
    Measures m;
    std::uint32_t latest_row = kNoRow;
  };
  std::vector<Acc> acc(d.customers.size());
  CustomerOrders spread(table);
  std::uint32_t last_order = kNoRow;
  rows.ForEachBlock([&](const auto& block) {
    Acc* const customers_acc = acc.data();
    std::uint32_t last = last_order;
    const std::uint32_t count = block.size();
    for (std::uint32_t i = 0; i < count; ++i) {
      if (i + kPrefetchRows < count) {
        __builtin_prefetch(&customers_acc[c.customer[block[i + kPrefetchRows]]], 1);
      }
      const std::uint32_t r = block[i];
      const std::uint32_t customer = c.customer[r];
      Acc& a = customers_acc[customer];
      a.m.revenue += c.sales[r];
      a.m.profit += c.profit[r];
      a.m.units += c.quantity[r];
      const std::uint32_t order = c.order[r];
      if (order & kSpreadOrder) [[unlikely]] {
        a.m.orders += spread.FirstTime(customer, order & kOrderIdMask) ? 1 : 0;
      } else {
        // A compact order has one customer: its first matching row counts.
        a.m.orders += order != last;
      }
      last = order;
      a.latest_row = r;
    }
    last_order = last;
  });
  std::vector<GroupMeasures> result;
  for (std::uint32_t customer = 0; customer < acc.size(); ++customer) {
    const Acc& a = acc[customer];
    if (a.latest_row == kNoRow) continue;
    Measures m = a.m;
    m.customers = 1;
    result.push_back({.key = std::string(d.customers.Get(customer)),
                      .label = std::string(d.names.Get(c.name[a.latest_row])),
                      .measures = m});
  }
  return result;
}

}  // namespace analytics::columnar
