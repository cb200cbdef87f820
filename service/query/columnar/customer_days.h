// The customer-days kernel: every filtered customer's distinct order days
// with each day's sales (QueryEngine::CustomerDays), in one pass.
#pragma once

#include "query/columnar/line_table.h"
#include "query/columnar/row_filter.h"
#include "query/query_engine.h"

namespace analytics::columnar {

// Rows are sorted by (day, customer, key), so the matching rows of one
// customer on one day are consecutive: each run is one (customer, day).
// Customers come out in customer_id order, their days ascending; the ids
// are views into the table's dictionaries, which the result keeps.
CustomerDayHistory ScanCustomerDays(const LineTable& table, const RowFilter& rows);

}  // namespace analytics::columnar
