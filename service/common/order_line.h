// The order line: the one fact the whole service is built on.
//
// Every figure the service reports is an aggregate over order lines. The
// struct is the core's own type (no protobuf): the gRPC layer converts to and
// from it, so the store, query engines and importers stay gRPC-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/civil_day.h"
#include "common/money.h"

namespace analytics {

struct OrderLine {
  // Unique key of the line in the store; writing a line with an existing key
  // replaces it (upsert).
  std::string line_key;
  std::string order_id;
  Day order_date = 0;
  std::optional<Day> ship_date;
  std::string ship_mode;
  std::string customer_id;
  std::string customer_name;
  std::string segment;
  std::string country;
  std::string region;
  std::string state;
  std::string city;
  std::string postal_code;
  std::string product_id;
  std::string category;
  std::string sub_category;
  std::string product_name;
  Micros sales = 0;
  std::int64_t quantity = 0;
  Micros discount = 0;  // a fraction: 200'000 micros = 20 %
  Micros profit = 0;

  friend bool operator==(const OrderLine&, const OrderLine&) = default;
};

// An order line whose texts point into someone else's bytes (a LineBatch,
// a protobuf message, an import spool record): valid only as long as those.
struct OrderLineView {
  std::string_view line_key;
  std::string_view order_id;
  Day order_date = 0;
  std::optional<Day> ship_date;
  std::string_view ship_mode;
  std::string_view customer_id;
  std::string_view customer_name;
  std::string_view segment;
  std::string_view country;
  std::string_view region;
  std::string_view state;
  std::string_view city;
  std::string_view postal_code;
  std::string_view product_id;
  std::string_view category;
  std::string_view sub_category;
  std::string_view product_name;
  Micros sales = 0;
  std::int64_t quantity = 0;
  Micros discount = 0;
  Micros profit = 0;
};

class LineBatch;  // common/line_batch.h

// A pull-based stream of lines, so that writers can take millions of lines
// without them all being in memory at once.
class LineSource {
 public:
  virtual ~LineSource() = default;
  // Fills `line` and returns true, or returns false at the end, whether the
  // stream is complete or has failed.
  virtual bool Next(OrderLine& line) = 0;
  // The next lines as one batch (replacing what `batch` held; at most
  // kLinesPerBatch unless the source already holds bigger batches), or
  // false at the end. The default encodes lines from Next(); sources that
  // hold batches hand them over whole. A consumer reads a stream either
  // line by line or batch by batch, never both. Defined in line_batch.cc.
  virtual bool NextBatch(LineBatch& batch);
  // Checked after Next() has returned false: OK when the stream ended
  // normally, else why it stopped early (a spool that cannot be read back,
  // ...). Consumers must not treat a failed stream as a complete one: the
  // store, for one, commits nothing then. Sources that cannot fail keep this
  // default.
  virtual absl::Status status() const { return absl::OkStatus(); }
};

}  // namespace analytics
