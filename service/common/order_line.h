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

// The fields of an order line (common/line_fields.h lists them for code
// that iterates them), with texts of type Text: an OrderLine owns its texts,
// an OrderLineView points into someone else's bytes (a LineBatch, a protobuf
// message, an import spool record) and is valid only as long as those.
template <typename Text>
struct BasicOrderLine {
  // Unique key of the line in the store; writing a line with an existing key
  // replaces it (upsert).
  Text line_key;
  Text order_id;
  Day order_date = 0;
  std::optional<Day> ship_date;
  Text ship_mode;
  Text customer_id;
  Text customer_name;
  Text segment;
  Text country;
  Text region;
  Text state;
  Text city;
  Text postal_code;
  Text product_id;
  Text category;
  Text sub_category;
  Text product_name;
  Micros sales = 0;
  std::int64_t quantity = 0;
  Micros discount = 0;  // a fraction: 200'000 micros = 20 %
  Micros profit = 0;

  friend bool operator==(const BasicOrderLine&, const BasicOrderLine&) = default;
};

using OrderLine = BasicOrderLine<std::string>;
using OrderLineView = BasicOrderLine<std::string_view>;

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
