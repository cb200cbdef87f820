#include "store/write_listener.h"

namespace analytics {

void PendingWrite::AddBatch(LineBatch& batch) {
  LineBatchReader reader(batch.bytes());
  OrderLine line;
  while (reader.Next(line)) Add(std::move(line));
  batch.Clear();
}

}  // namespace analytics
