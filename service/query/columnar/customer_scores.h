// The customers kernel: per-customer RFM accumulators from the filtered rows
// in one pass, then scores and records from the accumulators (one rank
// scoring per measure, rank_scoring.h).
//
// The accumulators of the unfiltered rows can be kept across writes
// (ScoreBase): a customer's accumulator depends on that customer's lines
// only, so after a small write only the customers it touched are
// accumulated again.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/civil_day.h"
#include "common/money.h"
#include "query/columnar/line_table.h"
#include "query/columnar/row_filter.h"
#include "query/query_engine.h"

namespace analytics::columnar {

// What RFM needs of one customer's matching lines: lifetime figures over
// all of them, scored figures over those on or before the as-of day. A pure
// function of the customer's own lines (their row order among themselves is
// (day, key), whatever else the table holds).
struct CustomerAcc {
  Micros life_revenue = 0;
  Micros life_profit = 0;
  Micros monetary = 0;
  std::uint32_t life_orders = 0;
  std::uint32_t frequency = 0;
  Day first = 0;
  Day last = 0;
  Day last_scored = 0;
  std::uint32_t name = 0;
  std::uint16_t segment = 0;
  std::uint16_t region = 0;
  bool seen = false;
  bool scored = false;
};

// Per customer, per dimension: which of the dimension's values the
// customer's lines carry, value id v as bit (v % 64). Exact for dimensions of
// at most 64 values; beyond, bits are shared and only "no bit in common"
// is conclusive. What lets a filtered scoring take a customer's
// unfiltered accumulator as it is (every line passes) or skip the customer
// (none does) without reading its lines (base_scores.h).
struct DimMasks {
  std::array<std::uint64_t, kDimCount> bits{};
  void Add(const Columns& c, std::uint32_t row) {
    for (std::size_t d = 0; d < kDimCount; ++d)
      bits[d] |= std::uint64_t{1} << (c.dims[d][row] & 63);
  }
};

// The dimension whose values one customer's lines mix: a customer's
// region, segment and state are (nearly always) one value each, so a filter
// on them keeps all of a customer's lines or none, but one customer buys in
// every category. Per customer and category value the base also keeps the
// accumulator of that value's lines alone, so that a filter on one category
// (with any whole-or-nothing filter on the other dimensions) reads
// partials instead of lines. Exact for one value only: an order spanning two
// categories counts once in their union, so accumulators of several values
// cannot be added. Kept while the dimension has at most kMaxSplitValues
// values (3 x 100k customers x 56 bytes = 17 MB for the usual 3).
inline constexpr Dimension kSplitDimension = Dimension::kCategory;
inline constexpr std::uint32_t kMaxSplitValues = 8;

// The per-customer partials kept across writes: the unfiltered
// accumulators of a scoring as of `as_of`, each customer's DimMasks, the
// accumulators per value of kSplitDimension (by_value[value][customer];
// empty when the dimension has too many values), and which customers' lines
// changed since (bit per customer id; ids beyond acc's size are new
// customers). acc, masks and each by_value entry have one entry per
// customer id once refreshed, and by_value one entry per value.
// The last scoring of every customer made from a ScoreBase (the unfiltered
// one): each scored customer's values and scores in customer_id order, and
// which customers' accumulators changed since. After a write of a few lines
// the scores are ranked again from these values with the changed ones
// replaced, and the records of that scoring (handed back by their list,
// ColumnarEngine's RecordsPool) are brought up to date in place: only the
// changed customers' records and the scores that moved are written, instead
// of a record per customer with its four texts looked up.
struct LastScoring {
  std::uint64_t id = 0;                  // the records' tag; 0: none
  std::vector<std::uint32_t> position;   // per customer id: index, or kNoRow
  std::vector<std::uint32_t> customers;  // per index: customer id
  std::vector<std::int64_t> recency;     // per index
  std::vector<std::int64_t> frequency;   // per index
  std::vector<std::int64_t> monetary;    // per index
  std::vector<int> r, f, m;              // per index: the scores
  std::vector<std::uint64_t> changed;    // bit per customer id
};

struct ScoreBase {
  Day as_of = 0;
  std::vector<CustomerAcc> acc;
  std::vector<DimMasks> masks;
  std::vector<std::vector<CustomerAcc>> by_value;
  bool by_value_kept = false;  // by_value is maintained (else empty)
  std::vector<std::uint64_t> dirty;
  LastScoring last;  // of acc; id 0 until the first scoring from it
};

// Scored customers (a line on or before the as-of day) in customer_id
// order, with where each one's accumulator is: what the records are made
// from, whichever accumulators (all customers', or a few from partials)
// served.
struct ScoredAccs {
  std::vector<std::uint32_t> customers;
  std::vector<const CustomerAcc*> acc;
};

// The scored customers of `acc` (indexed by customer id).
ScoredAccs ScoredInIdOrder(const LineTable& table, const std::vector<CustomerAcc>& acc);

// Every customer's accumulator (indexed by customer id) over the filtered
// rows. From `parallel_min_rows` rows on, in two halves on two threads.
std::vector<CustomerAcc> AccumulateCustomers(const LineTable& table, const RowFilter& rows,
                                             Day as_of, std::uint32_t parallel_min_rows);

// The accumulators of a few customers (`customers`: ascending ids) over
// the rows `rows` keeps, acc[i] being customers[i]'s, found by one pass
// over the customer column: for a handful of customers, cheaper than a
// filtered scan of every row and than a zeroed accumulator per customer.
std::vector<CustomerAcc> AccumulateFewCustomers(const LineTable& table, const RowFilter& rows,
                                                const std::vector<std::uint32_t>& customers,
                                                Day as_of);

// A fresh ScoreBase over every row: accumulators and masks, each pass in
// two halves on two threads from `parallel_min_rows` rows on, and the
// per-value accumulators too if `by_value`.
ScoreBase BuildScoreBase(const LineTable& table, Day as_of, std::uint32_t parallel_min_rows,
                         bool by_value = false);

// Builds base.by_value if it is not kept (one filtered pass per value): on
// demand, by the first question that can use it, so that a scoring as of
// another day (which builds a new base) does not pay for it.
void KeepByValue(const LineTable& table, ScoreBase& base, std::uint32_t parallel_min_rows);

// Marks the customers whose rows a write removed or added.
void NoteChanges(ScoreBase& base, const WriteChanges& changes);

// Brings `base` up to date with `table`: the marked customers' accumulators
// again (all of them in one pass when many are marked).
void RefreshScoreBase(const LineTable& table, ScoreBase& base, std::uint32_t parallel_min_rows);

// The scored customers (those with a line on or before `as_of`) in
// customer_id order, written into `result` (cleared first; its memory is
// reused). The texts are views into the table's dictionaries.
void ScoreCustomerRecords(const LineTable& table, const std::vector<CustomerAcc>& acc, Day as_of,
                          std::uint32_t parallel_min_rows, CustomerRfmRecords& result);
// The same from the scored customers' accumulators.
void ScoreCustomerRecords(const LineTable& table, const ScoredAccs& scored, Day as_of,
                          std::uint32_t parallel_min_rows, CustomerRfmRecords& result);

// Every scored customer of `base` (up to date with `table`), as
// ScoreCustomerRecords gives them, written into `result`. When `result`
// holds the records of base.last's scoring (its tag `result_id` is
// base.last.id) and no customer was added or became (un)scored since, they
// are updated in place (LastScoring); otherwise written afresh. Either way
// base.last then describes `result`, tagged `id`.
void ScoreFromBase(const LineTable& table, ScoreBase& base, std::uint32_t parallel_min_rows,
                   std::uint64_t result_id, std::uint64_t id, CustomerRfmRecords& result);

}  // namespace analytics::columnar
