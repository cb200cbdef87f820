#include "query/columnar/staged_write.h"

#include <array>
#include <string_view>

namespace analytics::columnar {

StagedWrite::StagedWrite(bool replace)
    : replace_(replace), local_(std::make_unique<Dictionaries>()) {}

StagedWrite StagedWrite::WithUniqueKeys() {
  StagedWrite staged(/*replace=*/true);
  staged.unique_keys_ = true;
  return staged;
}

void StagedWrite::Reserve(std::size_t lines) {
  // lines_ needs no room made ahead: its chunks never move.
  if (replace_) {
    key_ids_.reserve(key_ids_.size() + lines);
    local_->keys.Reserve(lines);
  } else {
    key_end_.reserve(key_end_.size() + lines);
    // Keys are rarely over 24 bytes; a longer one only costs a regrowth.
    key_text_.reserve(key_text_.size() + 24 * lines);
  }
}

void StagedWrite::AddBatch(const LineBatch& batch) {
  // Eight lines ahead: enough work between a line's prefetch and its
  // lookup to cover a cache miss, few enough to stay within the batch.
  constexpr std::size_t kAhead = 8;
  Dictionaries& d = *local_;
  std::array<Ahead, kAhead> ring;
  LineBatchReader reader(batch.bytes());
  std::string_view previous_order = last_.order.valid ? std::string_view(last_.order.text) : "";
  std::size_t read = 0;
  std::size_t added = 0;
  bool more = true;
  for (;;) {
    while (more && read - added < kAhead) {
      Ahead& ahead = ring[read % kAhead];
      if (!(more = reader.Next(ahead.line))) break;
      ahead.repeated = reader.repeated();
      // The lines of one order follow each other: only a new order id
      // (and with it, usually, a new customer) needs a lookup.
      ahead.hashed_order = ahead.line.order_id != previous_order;
      previous_order = ahead.line.order_id;
      if (ahead.hashed_order) {
        ahead.order = StringDictionary::HashOf(ahead.line.order_id);
        d.orders.Prefetch(ahead.order);
        ahead.customer = StringDictionary::HashOf(ahead.line.customer_id);
        d.customers.Prefetch(ahead.customer);
        ahead.name = StringDictionary::HashOf(ahead.line.customer_name);
        d.names.Prefetch(ahead.name);
      }
      ++read;
    }
    if (added == read) break;
    AddLine(ring[added % kAhead].line, &ring[added % kAhead]);
    ++added;
  }
}

void StagedWrite::AddLine(const OrderLineView& line, const Ahead* ahead) {
  Dictionaries& d = *local_;
  const bool hashed_order = ahead != nullptr && ahead->hashed_order;
  if (replace_) {
    // Appended as if unique; Apply indexes them all at once and only then
    // looks for repeats (IndexAppendedIfUnique).
    key_ids_.push_back(d.keys.AppendUnique(line.line_key));
  } else {
    key_text_.insert(key_text_.end(), line.line_key.begin(), line.line_key.end());
    key_end_.push_back(key_text_.size());
  }
  // Texts the batch marked the same as the line before's keep its ids.
  const std::uint32_t repeated = ahead != nullptr ? ahead->repeated : 0;
  const auto same = [&](std::string_view OrderLineView::*field) {
    return (repeated >> TextIndex(field) & 1) != 0;
  };
  const auto dim = [&](Dimension dimension, std::string_view OrderLineView::*field) {
    const std::size_t i = DimIndex(dimension);
    return last_.dims[i].Intern(d.dims[i], line.*field, nullptr, same(field));
  };
  using V = OrderLineView;
  lines_.push_back(Line{
      .order = last_.order.Intern(d.orders, line.order_id, hashed_order ? &ahead->order : nullptr,
                                  same(&V::order_id)),
      .customer =
          last_.customer.Intern(d.customers, line.customer_id,
                                hashed_order ? &ahead->customer : nullptr, same(&V::customer_id)),
      .name = last_.name.Intern(d.names, line.customer_name, hashed_order ? &ahead->name : nullptr,
                                same(&V::customer_name)),
      .day = line.order_date,
      .dims = {dim(Dimension::kRegion, &V::region), dim(Dimension::kCategory, &V::category),
               dim(Dimension::kSubCategory, &V::sub_category),
               dim(Dimension::kSegment, &V::segment), dim(Dimension::kState, &V::state),
               dim(Dimension::kShipMode, &V::ship_mode)},
      .sales = line.sales,
      .profit = line.profit,
      .quantity = line.quantity,
  });
}

}  // namespace analytics::columnar
