#include "query/query_engine.h"

#include <utility>

namespace analytics {

CustomerRfmList MakeCustomerRfmList(CustomerRfmRecords records, std::shared_ptr<const void> text) {
  struct Holder {
    CustomerRfmRecords records;
    std::shared_ptr<const void> text;
  };
  auto holder = std::make_shared<const Holder>(Holder{std::move(records), std::move(text)});
  // Aliasing: the list points at the records and owns the holder.
  return CustomerRfmList(holder, &holder->records);
}

}  // namespace analytics
