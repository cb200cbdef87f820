#include "query/columnar/customer_scores.h"

#include <algorithm>
#include <array>
#include <bit>
#include <optional>
#include <utility>

#include "query/columnar/dense_bitset.h"
#include "query/columnar/in_parallel.h"
#include "query/columnar/rank_scoring.h"
#include "query/columnar/scan.h"

namespace analytics::columnar {
namespace {

// One matching row into its customer's accumulator. Rows must come in row
// order (ascending day): the first row met has the first date and the last
// is the latest line (ties on date: greatest key last). `last` is the order
// of the previous matching row: a compact order (consecutive rows, one
// customer, one day) counts at its first row; spread orders' rows are set
// aside, their distinct counting needs one set over all rows.
struct RowAdder {
  const Day* day_of;
  const Micros* sales;
  const Micros* profit;
  const std::uint32_t* order_of;
  const std::uint32_t* name_of;
  const std::uint16_t* segment_of;
  const std::uint16_t* region_of;
  Day as_of;

  RowAdder(const Columns& c, Day as_of_day)
      : day_of(c.day.data()),
        sales(c.sales.data()),
        profit(c.profit.data()),
        order_of(c.order.data()),
        name_of(c.name.data()),
        segment_of(c.dims[DimIndex(Dimension::kSegment)].data()),
        region_of(c.dims[DimIndex(Dimension::kRegion)].data()),
        as_of(as_of_day) {}

  template <typename Acc>
  void Add(Acc& a, std::uint32_t r, std::uint32_t& last,
           std::vector<std::uint32_t>& spread_rows) const {
    const std::uint32_t order = order_of[r];
    const Day day = day_of[r];
    const bool scored = day <= as_of;
    if (!a.seen) a.first = day;
    a.seen = true;
    a.last = day;
    a.name = name_of[r];
    a.segment = segment_of[r];
    a.region = region_of[r];
    a.life_revenue += sales[r];
    a.life_profit += profit[r];
    if (order & kSpreadOrder) [[unlikely]] {
      spread_rows.push_back(r);
    } else {
      const bool first = order != last;
      a.life_orders += first;
      a.frequency += first && scored;
    }
    last = order;
    if (scored) {
      a.scored = true;
      a.last_scored = day;
      a.monetary += sales[r];
    }
  }
};

// Counts the spread orders of `spread_rows` (in row order) into `acc`.
template <typename Accs>
void AddSpreadOrders(const LineTable& table, const std::vector<std::uint32_t>& spread_rows,
                     Day as_of, Accs& acc) {
  if (spread_rows.empty()) return;
  const Columns& c = table.columns();
  CustomerOrders life_spread(table);
  CustomerOrders scored_spread(table);
  for (const std::uint32_t r : spread_rows) {
    const std::uint32_t customer = c.customer[r];
    const std::uint32_t id = c.order[r] & kOrderIdMask;
    auto& a = acc[customer];
    a.life_orders += life_spread.FirstTime(customer, id) ? 1 : 0;
    if (c.day[r] <= as_of) a.frequency += scored_spread.FirstTime(customer, id) ? 1 : 0;
  }
}

}  // namespace

std::vector<CustomerAcc> AccumulateCustomers(const LineTable& table, const RowFilter& rows,
                                             Day as_of, std::uint32_t parallel_min_rows) {
  const Columns& c = table.columns();
  const Dictionaries& d = table.dictionaries();
  const RowAdder adder(c, as_of);
  // Per half of the rows (SplitScan): the accumulators (one cache line per
  // customer; the latest line's attributes are copied as rows go by rather
  // than looked up at the end, three random reads per customer) and the
  // rows of spread orders, counted once both halves are done (they are few).
  struct Part {
    std::vector<CustomerAcc> acc;
    std::vector<std::uint32_t> spread_rows;
  };
  std::array<std::optional<Part>, 2> parts;
  const auto scan = [&](int index, std::uint32_t lo, std::uint32_t hi) {
    Part& part = parts[index].emplace(
        Part{.acc = std::vector<CustomerAcc>(d.customers.size()), .spread_rows = {}});
    std::uint32_t last_order = kNoRow;
    rows.ForEachBlockIn(lo, hi, [&](const auto& block) {
      CustomerAcc* const customers_acc = part.acc.data();
      const std::uint32_t* const customer_of = c.customer.data();
      std::uint32_t last = last_order;
      const std::uint32_t count = block.size();
      for (std::uint32_t i = 0; i < count; ++i) {
        // The accumulators (~6 MB for 100k customers) do not fit in cache and
        // rows meet customers in no useful order: fetch a few rows ahead.
        if (i + kPrefetchRows < count) {
          __builtin_prefetch(&customers_acc[customer_of[block[i + kPrefetchRows]]], 1);
        }
        const std::uint32_t r = block[i];
        adder.Add(customers_acc[customer_of[r]], r, last, part.spread_rows);
      }
      last_order = last;
    });
  };
  SplitScan(c, rows, parallel_min_rows, scan);
  std::vector<CustomerAcc>& acc = parts[0]->acc;
  if (parts[1]) {
    // The second half's rows come later: its first/last decide accordingly.
    for (std::size_t i = 0; i < acc.size(); ++i) {
      CustomerAcc& a = acc[i];
      const CustomerAcc& b = parts[1]->acc[i];
      if (!b.seen) continue;
      if (!a.seen) a.first = b.first;
      a.seen = true;
      a.last = b.last;
      a.name = b.name;
      a.segment = b.segment;
      a.region = b.region;
      a.life_revenue += b.life_revenue;
      a.life_profit += b.life_profit;
      a.life_orders += b.life_orders;
      a.frequency += b.frequency;
      a.monetary += b.monetary;
      if (b.scored) {
        a.scored = true;
        a.last_scored = b.last_scored;
      }
    }
    std::vector<std::uint32_t>& spread_rows = parts[0]->spread_rows;
    spread_rows.insert(spread_rows.end(), parts[1]->spread_rows.begin(),
                       parts[1]->spread_rows.end());
  }
  AddSpreadOrders(table, parts[0]->spread_rows, as_of, acc);
  return std::move(acc);
}

std::vector<CustomerAcc> AccumulateFewCustomers(const LineTable& table, const RowFilter& rows,
                                                const std::vector<std::uint32_t>& customers,
                                                Day as_of) {
  const Columns& c = table.columns();
  const std::uint32_t count = table.dictionaries().customers.size();
  std::vector<std::uint64_t> wanted((std::size_t{count} + 63) / 64, 0);
  for (const std::uint32_t id : customers) wanted[id / 64] |= std::uint64_t{1} << (id % 64);
  std::vector<CustomerAcc> acc(customers.size());
  // acc indexed by customer id, for the RowAdder and AddSpreadOrders.
  struct Slots {
    const std::vector<std::uint32_t>& ids;
    std::vector<CustomerAcc>& acc;
    CustomerAcc& operator[](std::uint32_t customer) const {
      return acc[static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), customer) -
                                          ids.begin())];
    }
  };
  Slots slots{customers, acc};
  // Their rows, in row order: a sequential pass over the customer column
  // (as RefreshScoreBase picks the changed customers' rows), the filter's
  // tests only on theirs.
  const RowAdder adder(c, as_of);
  const std::uint32_t* const customer_of = c.customer.data();
  const std::uint64_t* const wanted_words = wanted.data();
  std::vector<std::uint32_t> spread_rows;
  std::uint32_t last = kNoRow;
  for (std::uint32_t r = rows.begin(); r < rows.end(); ++r) {
    const std::uint32_t customer = customer_of[r];
    if (TestBit(wanted_words, customer) && rows.Matches(r)) [[unlikely]] {
      adder.Add(slots[customer], r, last, spread_rows);
    }
  }
  AddSpreadOrders(table, spread_rows, as_of, slots);
  return acc;
}

namespace {

// Every customer's DimMasks over all rows; two halves OR-ed together when
// there are many rows.
std::vector<DimMasks> AccumulateMasks(const LineTable& table, std::uint32_t parallel_min_rows) {
  const Columns& c = table.columns();
  const std::uint32_t customers = table.dictionaries().customers.size();
  const auto rows = static_cast<std::uint32_t>(c.size());
  std::array<std::vector<DimMasks>, 2> parts;
  const auto scan = [&](int index, std::uint32_t lo, std::uint32_t hi) {
    std::vector<DimMasks>& masks = parts[static_cast<std::size_t>(index)];
    masks.assign(customers, DimMasks{});
    const std::uint32_t* const customer_of = c.customer.data();
    for (std::uint32_t r = lo; r < hi; ++r) {
      if (r + kPrefetchRows < hi) __builtin_prefetch(&masks[customer_of[r + kPrefetchRows]], 1);
      masks[customer_of[r]].Add(c, r);
    }
  };
  const bool two = rows >= std::max<std::uint32_t>(parallel_min_rows, 2);
  InParallel(
      two, [&] { scan(0, 0, two ? rows / 2 : rows); },
      [&] {
        if (two) scan(1, rows / 2, rows);
      });
  if (two) {
    for (std::uint32_t i = 0; i < customers; ++i) {
      for (std::size_t d = 0; d < kDimCount; ++d) parts[0][i].bits[d] |= parts[1][i].bits[d];
    }
  }
  return std::move(parts[0]);
}

}  // namespace

namespace {

// by_value of a fresh base: one filtered scan per value (the scan any
// one-value filter would make, so the partials are what it would find).
std::vector<std::vector<CustomerAcc>> AccumulateByValue(const LineTable& table, Day as_of,
                                                        std::uint32_t parallel_min_rows) {
  const StringDictionary& values = table.dictionaries().dims[DimIndex(kSplitDimension)];
  std::vector<std::vector<CustomerAcc>> by_value;
  if (values.size() > kMaxSplitValues) return by_value;
  for (std::uint32_t v = 0; v < values.size(); ++v) {
    Filter filter;
    filter.categories = {std::string(values.Get(v))};
    by_value.push_back(
        AccumulateCustomers(table, RowFilter(table, filter), as_of, parallel_min_rows));
  }
  return by_value;
}

}  // namespace

ScoreBase BuildScoreBase(const LineTable& table, Day as_of, std::uint32_t parallel_min_rows,
                         bool by_value) {
  ScoreBase base;
  base.as_of = as_of;
  base.acc = AccumulateCustomers(table, RowFilter(table, Filter{}), as_of, parallel_min_rows);
  base.masks = AccumulateMasks(table, parallel_min_rows);
  if (by_value) KeepByValue(table, base, parallel_min_rows);
  return base;
}

void KeepByValue(const LineTable& table, ScoreBase& base, std::uint32_t parallel_min_rows) {
  static_assert(kSplitDimension == Dimension::kCategory, "AccumulateByValue filters categories");
  if (base.by_value_kept) return;
  if (table.dictionaries().dims[DimIndex(kSplitDimension)].size() > kMaxSplitValues) return;
  base.by_value = AccumulateByValue(table, base.as_of, parallel_min_rows);
  base.by_value_kept = true;
}

void NoteChanges(ScoreBase& base, const WriteChanges& changes) {
  for (const auto* rows : {&changes.removed, &changes.added}) {
    for (const ChangedRow& row : *rows) SetBitGrowing(base.dirty, row.customer);
  }
}

void RefreshScoreBase(const LineTable& table, ScoreBase& base, std::uint32_t parallel_min_rows) {
  const Columns& c = table.columns();
  const std::uint32_t customers = table.dictionaries().customers.size();
  // New customers came with the lines that marked them changed.
  base.dirty.resize((std::size_t{customers} + 63) / 64, 0);
  base.acc.resize(customers);
  base.masks.resize(customers);
  // A new value's lines are all the marked customers': zero elsewhere.
  const std::size_t split_dim = DimIndex(kSplitDimension);
  const std::uint32_t split_values = table.dictionaries().dims[split_dim].size();
  if (split_values > kMaxSplitValues) {
    base.by_value.clear();
    base.by_value_kept = false;
  } else if (base.by_value_kept) {
    base.by_value.resize(split_values);
    for (std::vector<CustomerAcc>& acc : base.by_value) acc.resize(customers);
  }
  std::size_t dirty = 0;
  for (const std::uint64_t word : base.dirty)
    dirty += static_cast<std::size_t>(std::popcount(word));
  if (dirty == 0) return;
  // The last scoring's records are brought up to date by these customers
  // (ScoreFromBase), whichever scoring refreshes the base first.
  if (base.last.id != 0) {
    base.last.changed.resize(base.dirty.size(), 0);
    for (std::size_t w = 0; w < base.dirty.size(); ++w) base.last.changed[w] |= base.dirty[w];
  }
  // Past a sixteenth of the customers (and a few hundred), picking out
  // their rows costs about what a pass over every row does.
  if (dirty > 256 && dirty > customers / 16) {
    base = BuildScoreBase(table, base.as_of, parallel_min_rows, base.by_value_kept);
    base.dirty.assign((std::size_t{customers} + 63) / 64, 0);
    return;
  }
  ForEachSetBit(base.dirty, [&](std::uint32_t customer) {
    base.acc[customer] = CustomerAcc{};
    base.masks[customer] = DimMasks{};
    for (std::vector<CustomerAcc>& acc : base.by_value) acc[customer] = CustomerAcc{};
  });
  const std::uint64_t* const dirty_words = base.dirty.data();
  // Their rows, in row order: a sequential pass over the customer column.
  // A compact order's rows are consecutive and all its customer's, so the
  // run rule of RowAdder holds over the picked rows too.
  const RowAdder adder(c, base.as_of);
  const std::uint32_t* const customer_of = c.customer.data();
  std::vector<std::uint32_t> spread_rows;
  std::uint32_t last = kNoRow;
  // Per value of the split dimension, the same over that value's rows.
  const std::uint16_t* const value_of = c.dims[split_dim].data();
  std::vector<std::vector<std::uint32_t>> value_spread_rows(base.by_value.size());
  std::vector<std::uint32_t> value_last(base.by_value.size(), kNoRow);
  const bool split = base.by_value_kept;
  const auto rows = static_cast<std::uint32_t>(c.size());
  // Picking the rows is the pass over every row: in two halves on two
  // threads (the rows of a few customers are few; they are added in row
  // order afterwards, first half first).
  std::array<std::vector<std::uint32_t>, 2> picked;
  const auto pick = [&](std::size_t half, std::uint32_t lo, std::uint32_t hi) {
    for (std::uint32_t r = lo; r < hi; ++r) {
      if (TestBit(dirty_words, customer_of[r])) [[unlikely]]
        picked[half].push_back(r);
    }
  };
  const bool two = rows >= std::max<std::uint32_t>(parallel_min_rows, 2);
  InParallel(
      two, [&] { pick(0, 0, two ? rows / 2 : rows); },
      [&] {
        if (two) pick(1, rows / 2, rows);
      });
  for (const std::vector<std::uint32_t>& half : picked) {
    for (const std::uint32_t r : half) {
      const std::uint32_t customer = customer_of[r];
      adder.Add(base.acc[customer], r, last, spread_rows);
      base.masks[customer].Add(c, r);
      if (split) {
        const std::uint16_t v = value_of[r];
        adder.Add(base.by_value[v][customer], r, value_last[v], value_spread_rows[v]);
      }
    }
  }
  AddSpreadOrders(table, spread_rows, base.as_of, base.acc);
  for (std::size_t v = 0; v < base.by_value.size(); ++v) {
    AddSpreadOrders(table, value_spread_rows[v], base.as_of, base.by_value[v]);
  }
  std::fill(base.dirty.begin(), base.dirty.end(), 0);
}

ScoredAccs ScoredInIdOrder(const LineTable& table, const std::vector<CustomerAcc>& acc) {
  ScoredAccs scored;
  for (const std::uint32_t customer : table.customers_by_id()) {
    if (!acc[customer].scored) continue;
    scored.customers.push_back(customer);
    scored.acc.push_back(&acc[customer]);
  }
  return scored;
}

void ScoreCustomerRecords(const LineTable& table, const std::vector<CustomerAcc>& acc, Day as_of,
                          std::uint32_t parallel_min_rows, CustomerRfmRecords& result) {
  ScoreCustomerRecords(table, ScoredInIdOrder(table, acc), as_of, parallel_min_rows, result);
}

namespace {

// One scored customer's record. The texts are views into the dictionaries
// (the list keeps them).
CustomerRfm MakeRecord(const Dictionaries& d, std::uint32_t customer, const CustomerAcc& a,
                       std::int64_t recency, std::int64_t frequency, std::int64_t monetary, int r,
                       int f, int m) {
  return CustomerRfm{
      .customer_id = d.customers.Get(customer),
      .customer_name = d.names.Get(a.name),
      .segment = d.dims[DimIndex(Dimension::kSegment)].Get(a.segment),
      .region = d.dims[DimIndex(Dimension::kRegion)].Get(a.region),
      .recency_days = recency,
      .frequency = frequency,
      .monetary = monetary,
      .recency_score = r,
      .frequency_score = f,
      .monetary_score = m,
      .lifetime_revenue = a.life_revenue,
      .lifetime_profit = a.life_profit,
      .lifetime_orders = a.life_orders,
      .first_order = a.first,
      .last_order = a.last,
  };
}

// Many customers: the monetary ranking (RankScores) and the rest on two
// threads.
bool TwoThreads(std::size_t customers, std::uint32_t parallel_min_rows) {
  return customers >= std::max<std::uint32_t>(parallel_min_rows / 8, 2);
}

// ScoreCustomerRecords; when `keep` is given, it receives the values and
// scores (and customers of `table`) the records were made from.
void ScoreRecords(const LineTable& table, const ScoredAccs& scored_accs, Day as_of,
                  std::uint32_t parallel_min_rows, CustomerRfmRecords& result, LastScoring* keep) {
  const Dictionaries& d = table.dictionaries();
  const std::vector<std::uint32_t>& scored = scored_accs.customers;  // in customer_id order
  std::vector<std::int64_t> recency(scored.size());
  std::vector<std::int64_t> frequency(scored.size());
  std::vector<std::int64_t> monetary(scored.size());
  // The accumulators are scattered (customer_id order is not id order): each
  // is fetched a few customers ahead, here and below.
  const auto prefetch_acc = [&](std::size_t i) {
    if (i < scored.size()) __builtin_prefetch(scored_accs.acc[i]);
  };
  for (std::size_t i = 0; i < scored.size(); ++i) {
    prefetch_acc(i + kPrefetchRows);
    const CustomerAcc& a = *scored_accs.acc[i];
    recency[i] = std::int64_t{as_of} - a.last_scored;
    frequency[i] = a.frequency;
    monetary[i] = a.monetary;
  }
  const bool two_threads = TwoThreads(scored.size(), parallel_min_rows);
  std::vector<int> r_scores;
  std::vector<int> f_scores;
  std::vector<int> m_scores;
  // The records are sized meanwhile.
  InParallel(
      two_threads, [&] { m_scores = RankScores(monetary, Better::kHigher); },
      [&] {
        r_scores = RankScores(recency, Better::kLower);
        f_scores = RankScores(frequency, Better::kHigher);
        result.clear();
        result.resize(scored.size());
      });

  const auto fill = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      // The views of the texts are as scattered: the customer's a few
      // ahead, the name's (which needs the accumulator, fetched further
      // ahead) fewer.
      prefetch_acc(i + kPrefetchRows);
      if (i + kPrefetchRows < end) d.customers.PrefetchGet(scored[i + kPrefetchRows]);
      if (i + kPrefetchRows / 2 < end)
        d.names.PrefetchGet(scored_accs.acc[i + kPrefetchRows / 2]->name);
      result[i] = MakeRecord(d, scored[i], *scored_accs.acc[i], recency[i], frequency[i],
                             monetary[i], r_scores[i], f_scores[i], m_scores[i]);
    }
  };
  const std::size_t middle = scored.size() / 2;
  InParallel(
      two_threads, [&] { fill(0, middle); }, [&] { fill(middle, scored.size()); });
  if (keep == nullptr) return;
  keep->position.assign(d.customers.size(), kNoRow);
  for (std::size_t i = 0; i < scored.size(); ++i) {
    keep->position[scored[i]] = static_cast<std::uint32_t>(i);
  }
  keep->customers = scored;
  keep->recency = std::move(recency);
  keep->frequency = std::move(frequency);
  keep->monetary = std::move(monetary);
  keep->r = std::move(r_scores);
  keep->f = std::move(f_scores);
  keep->m = std::move(m_scores);
}

// Brings `records` (made from base.last, which lists every customer
// changed since) up to date with base.acc. Requires that the customers,
// and which of them are scored, did not change.
void UpdateRecords(const LineTable& table, ScoreBase& base, std::uint32_t parallel_min_rows,
                   CustomerRfmRecords& records) {
  const Dictionaries& d = table.dictionaries();
  LastScoring& last = base.last;
  std::vector<std::uint32_t> changed;  // indexes
  ForEachSetBit(last.changed, [&](std::uint32_t customer) {
    const std::uint32_t i = last.position[customer];
    const CustomerAcc& a = base.acc[customer];
    last.recency[i] = std::int64_t{base.as_of} - a.last_scored;
    last.frequency[i] = a.frequency;
    last.monetary[i] = a.monetary;
    changed.push_back(i);
  });
  // Scores are ranks among all customers: one changed value can move a
  // threshold, and with it the scores of customers whose values did not
  // change. Ranked again (a few passes over the values), and only the
  // scores that moved are written.
  std::vector<int> r_scores;
  std::vector<int> f_scores;
  std::vector<int> m_scores;
  InParallel(
      TwoThreads(records.size(), parallel_min_rows),
      [&] { m_scores = RankScores(last.monetary, Better::kHigher); },
      [&] {
        r_scores = RankScores(last.recency, Better::kLower);
        f_scores = RankScores(last.frequency, Better::kHigher);
      });
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (r_scores[i] != last.r[i] || f_scores[i] != last.f[i] || m_scores[i] != last.m[i])
        [[unlikely]] {
      records[i].recency_score = r_scores[i];
      records[i].frequency_score = f_scores[i];
      records[i].monetary_score = m_scores[i];
    }
  }
  for (const std::uint32_t i : changed) {
    records[i] =
        MakeRecord(d, last.customers[i], base.acc[last.customers[i]], last.recency[i],
                   last.frequency[i], last.monetary[i], r_scores[i], f_scores[i], m_scores[i]);
  }
  last.r = std::move(r_scores);
  last.f = std::move(f_scores);
  last.m = std::move(m_scores);
}

}  // namespace

void ScoreCustomerRecords(const LineTable& table, const ScoredAccs& scored_accs, Day as_of,
                          std::uint32_t parallel_min_rows, CustomerRfmRecords& result) {
  ScoreRecords(table, scored_accs, as_of, parallel_min_rows, result, nullptr);
}

void ScoreFromBase(const LineTable& table, ScoreBase& base, std::uint32_t parallel_min_rows,
                   std::uint64_t result_id, std::uint64_t id, CustomerRfmRecords& result) {
  LastScoring& last = base.last;
  const std::uint32_t customers = table.dictionaries().customers.size();
  // In place only over the very records of the last scoring, with the
  // same customers at the same indexes: a customer added to the
  // dictionary, or one that became scored or unscored, moves every later
  // index.
  bool in_place = last.id != 0 && result_id == last.id && last.position.size() == customers &&
                  result.size() == last.customers.size();
  if (in_place) {
    last.changed.resize((std::size_t{customers} + 63) / 64, 0);
    ForEachSetBit(last.changed, [&](std::uint32_t customer) {
      if (last.position[customer] == kNoRow || !base.acc[customer].scored) in_place = false;
    });
  }
  if (in_place) {
    UpdateRecords(table, base, parallel_min_rows, result);
  } else {
    ScoreRecords(table, ScoredInIdOrder(table, base.acc), base.as_of, parallel_min_rows, result,
                 &last);
  }
  last.id = id;
  last.changed.assign((std::size_t{customers} + 63) / 64, 0);
}

}  // namespace analytics::columnar
