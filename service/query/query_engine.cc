#include "query/query_engine.h"

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

}  // namespace analytics
