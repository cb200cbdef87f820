#include "query/query_engine.h"

#include <algorithm>
#include <deque>
#include <utility>

namespace analytics {

CustomerRfmList MakeCustomerRfmList(CustomerRfmRecords records, std::shared_ptr<const void> text,
                                    std::function<void(CustomerRfmRecords)> recycle) {
  struct Holder {
    CustomerRfmRecords records;
    std::shared_ptr<const void> text;
    std::function<void(CustomerRfmRecords)> recycle;

    Holder(CustomerRfmRecords r, std::shared_ptr<const void> t,
           std::function<void(CustomerRfmRecords)> f)
        : records(std::move(r)), text(std::move(t)), recycle(std::move(f)) {}
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
    ~Holder() {
      if (recycle) recycle(std::move(records));
    }
  };
  auto holder =
      std::make_shared<const Holder>(std::move(records), std::move(text), std::move(recycle));
  // Aliasing: the list points at the records and owns the holder.
  return CustomerRfmList(holder, &holder->records);
}

absl::StatusOr<CustomerDayList> QueryEngine::CustomerDays(const Filter& filter) {
  absl::StatusOr<std::vector<GroupMeasures>> customers = Breakdown(filter, Dimension::kCustomer);
  if (!customers.ok()) return customers.status();
  std::sort(customers->begin(), customers->end(),
            [](const GroupMeasures& a, const GroupMeasures& b) { return a.key < b.key; });
  auto text = std::make_shared<std::deque<std::string>>();
  auto history = std::make_shared<CustomerDayHistory>();
  Filter one = filter;
  for (GroupMeasures& customer : *customers) {
    one.customer_ids = {customer.key};
    absl::StatusOr<std::vector<TrendPoint>> days = Trend(one, Granularity::kDay);
    if (!days.ok()) return days.status();
    history->customer_ids.push_back(text->emplace_back(std::move(customer.key)));
    for (const TrendPoint& day : *days) {
      history->days.push_back(day.bucket_start);
      history->sales.push_back(day.revenue);
    }
    history->offsets.push_back(static_cast<std::uint32_t>(history->days.size()));
  }
  history->text = std::move(text);
  return history;
}

}  // namespace analytics
