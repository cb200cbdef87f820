#include "query/sql_query_engine.h"

#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"

namespace analytics {
namespace {

// The filtered lines, as a CTE body. Parameters ?1..?8 are the filter; each
// list is a JSON array or NULL for "no restriction"; ?9 is the query's own.
constexpr char kFilteredLines[] = R"sql(
WITH f AS (
  SELECT * FROM order_lines
  WHERE (?1 IS NULL OR order_date >= ?1) AND (?2 IS NULL OR order_date <= ?2)
    AND (?3 IS NULL OR region IN (SELECT value FROM json_each(?3)))
    AND (?4 IS NULL OR category IN (SELECT value FROM json_each(?4)))
    AND (?5 IS NULL OR sub_category IN (SELECT value FROM json_each(?5)))
    AND (?6 IS NULL OR segment IN (SELECT value FROM json_each(?6)))
    AND (?7 IS NULL OR state IN (SELECT value FROM json_each(?7)))
    AND (?8 IS NULL OR customer_id IN (SELECT value FROM json_each(?8)))
))sql";

// The latest filtered line of each customer supplies its name, segment and
// region; ties on date go to the greatest line key so the choice is total.
constexpr char kLatestPerCustomer[] = R"sql(
latest AS (
  SELECT customer_id, customer_name, segment, region FROM (
    SELECT customer_id, customer_name, segment, region,
           ROW_NUMBER() OVER (PARTITION BY customer_id
                              ORDER BY order_date DESC, line_key DESC) AS rn
    FROM f) AS ranked
  WHERE rn = 1))sql";

std::string JsonArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : values[i]) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (byte < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
        out += escaped;
      } else {
        out += c;
      }
    }
    out += '"';
  }
  out += ']';
  return out;
}

// The filter as parameters ?1..?8 (kFilteredLines).
std::vector<SqlParam> FilterParams(const Filter& filter) {
  const auto day = [](const std::optional<Day>& value) -> SqlParam {
    if (!value) return std::monostate{};
    return std::int64_t{*value};
  };
  const auto list = [](const std::vector<std::string>& values) -> SqlParam {
    if (values.empty()) return std::monostate{};
    return JsonArray(values);
  };
  return {day(filter.start),           day(filter.end),
          list(filter.regions),        list(filter.categories),
          list(filter.sub_categories), list(filter.segments),
          list(filter.states),         list(filter.customer_ids)};
}

// Column names come from this closed list only.
const char* DimensionColumn(Dimension dimension) {
  switch (dimension) {
    case Dimension::kRegion:
      return "region";
    case Dimension::kCategory:
      return "category";
    case Dimension::kSubCategory:
      return "sub_category";
    case Dimension::kSegment:
      return "segment";
    case Dimension::kState:
      return "state";
    case Dimension::kShipMode:
      return "ship_mode";
    case Dimension::kCustomer:
      return "customer_id";
  }
  return "region";
}

int GranularityCode(Granularity granularity) { return static_cast<int>(granularity); }

void BucketStartFunction(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  const auto day = static_cast<Day>(sqlite3_value_int64(argv[0]));
  const int code = sqlite3_value_int(argv[1]);
  if (code < 0 || code > static_cast<int>(Granularity::kYear)) {
    sqlite3_result_error(context, "bad granularity", -1);
    return;
  }
  sqlite3_result_int64(context, BucketStart(day, static_cast<Granularity>(code)));
}

// Runs `sql` with the filter's parameters followed by `extra` (?9 on).
absl::Status Query(SqlBackend& backend, const std::string& sql, const Filter& filter,
                   std::optional<std::int64_t> extra,
                   const std::function<void(const SqlRow&)>& on_row) {
  std::vector<SqlParam> params = FilterParams(filter);
  if (extra) params.emplace_back(*extra);
  return backend.Query(sql, params, on_row);
}

// SQLite through OrderStore: on `held` when the caller already has the
// connection (a consistent read), else under the store's lock.
class SqliteRow final : public SqlRow {
 public:
  explicit SqliteRow(const sqlite::Statement& statement) : statement_(statement) {}
  bool IsNull(int column) const override { return statement_.IsNull(column); }
  std::int64_t Int(int column) const override { return statement_.Int(column); }
  std::string Text(int column) const override { return statement_.Text(column); }

 private:
  const sqlite::Statement& statement_;
};

class SqliteBackend final : public SqlBackend {
 public:
  SqliteBackend(OrderStore& store, sqlite::Connection* held) : store_(store), held_(held) {}

  absl::Status Query(const std::string& sql, std::span<const SqlParam> params,
                     const std::function<void(const SqlRow&)>& on_row) override {
    const auto run = [&](sqlite::Connection& connection) -> absl::Status {
      absl::StatusOr<sqlite::Statement> statement = connection.Prepare(sql);
      if (!statement.ok()) return statement.status();
      for (std::size_t i = 0; i < params.size(); ++i) {
        const int index = static_cast<int>(i) + 1;
        absl::Status bound =
            std::holds_alternative<std::monostate>(params[i]) ? statement->BindNull(index)
            : std::holds_alternative<std::int64_t>(params[i])
                ? statement->Bind(index, std::get<std::int64_t>(params[i]))
                : statement->Bind(index, std::string_view(std::get<std::string>(params[i])));
        if (!bound.ok()) return bound;
      }
      const SqliteRow row(*statement);
      for (;;) {
        absl::StatusOr<bool> more = statement->Step();
        if (!more.ok()) return more.status();
        if (!*more) return absl::OkStatus();
        on_row(row);
      }
    };
    return held_ != nullptr ? run(*held_) : store_.WithConnection(run);
  }

  absl::Status ReadConsistently(const std::function<absl::Status(SqlBackend&)>& read) override {
    if (held_ != nullptr) return read(*this);
    // Every write runs as one transaction under the store's lock, so while a
    // read holds the connection it sees one committed state.
    return store_.WithConnection([&](sqlite::Connection& connection) {
      SqliteBackend view(store_, &connection);
      return read(view);
    });
  }

 private:
  OrderStore& store_;
  sqlite::Connection* const held_;
};

Measures ReadMeasures(const SqlRow& row, int first_column) {
  return Measures{.revenue = row.Int(first_column),
                  .profit = row.Int(first_column + 1),
                  .orders = row.Int(first_column + 2),
                  .customers = row.Int(first_column + 3),
                  .units = row.Int(first_column + 4)};
}

constexpr char kMeasureColumns[] =
    "COALESCE(SUM(sales), 0), COALESCE(SUM(profit), 0), COUNT(DISTINCT order_id), "
    "COUNT(DISTINCT customer_id), COALESCE(SUM(quantity), 0)";

}  // namespace

absl::StatusOr<std::unique_ptr<SqlQueryEngine>> SqlQueryEngine::Create(OrderStore& store) {
  absl::Status status = store.WithConnectionUnfolded([](sqlite::Connection& connection) {
    const int code =
        sqlite3_create_function_v2(connection.handle(), "analytics_bucket_start", 2,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                   &BucketStartFunction, nullptr, nullptr, nullptr);
    return sqlite::StatusFromCode(code, "registering SQL functions");
  });
  if (!status.ok()) return status;
  return Create(std::make_unique<SqliteBackend>(store, nullptr));
}

std::unique_ptr<SqlQueryEngine> SqlQueryEngine::Create(std::unique_ptr<SqlBackend> backend) {
  SqlBackend& view = *backend;
  return std::unique_ptr<SqlQueryEngine>(new SqlQueryEngine(std::move(backend), view));
}

absl::Status SqlQueryEngine::ReadConsistently(
    const std::function<absl::Status(QueryEngine& view)>& read) {
  if (owned_ == nullptr) return read(*this);
  return backend_.ReadConsistently([&](SqlBackend& backend) {
    SqlQueryEngine view(nullptr, backend);
    return read(view);
  });
}

absl::StatusOr<Measures> SqlQueryEngine::Totals(const Filter& filter) {
  Measures result;
  const std::string sql = absl::StrCat(kFilteredLines, " SELECT ", kMeasureColumns, " FROM f");
  absl::Status status = Query(backend_, sql, filter, std::nullopt,
                              [&](const SqlRow& row) { result = ReadMeasures(row, 0); });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<std::vector<GroupMeasures>> SqlQueryEngine::Breakdown(const Filter& filter,
                                                                     Dimension dimension) {
  const char* column = DimensionColumn(dimension);
  std::string sql;
  if (dimension == Dimension::kCustomer) {
    sql = absl::StrCat(kFilteredLines, ",", kLatestPerCustomer,
                       " SELECT f.customer_id, latest.customer_name, ", kMeasureColumns,
                       " FROM f JOIN latest USING (customer_id)"
                       " GROUP BY f.customer_id, latest.customer_name");
  } else {
    sql = absl::StrCat(kFilteredLines, " SELECT ", column, ", ", column, ", ", kMeasureColumns,
                       " FROM f GROUP BY ", column);
  }
  std::vector<GroupMeasures> groups;
  absl::Status status = Query(backend_, sql, filter, std::nullopt, [&](const SqlRow& row) {
    groups.push_back({.key = row.Text(0), .label = row.Text(1), .measures = ReadMeasures(row, 2)});
  });
  if (!status.ok()) return status;
  return groups;
}

absl::StatusOr<std::vector<TrendPoint>> SqlQueryEngine::Trend(const Filter& filter,
                                                              Granularity granularity) {
  const std::string sql = absl::StrCat(
      kFilteredLines,
      " SELECT analytics_bucket_start(order_date, ?9) AS bucket, SUM(sales), SUM(profit),"
      " COUNT(DISTINCT order_id) FROM f GROUP BY bucket ORDER BY bucket");
  std::vector<TrendPoint> points;
  absl::Status status = Query(backend_, sql, filter, std::int64_t{GranularityCode(granularity)},
                              [&](const SqlRow& row) {
                                points.push_back({.bucket_start = static_cast<Day>(row.Int(0)),
                                                  .revenue = row.Int(1),
                                                  .profit = row.Int(2),
                                                  .orders = row.Int(3)});
                              });
  if (!status.ok()) return status;
  return points;
}

absl::StatusOr<std::optional<DateSpan>> SqlQueryEngine::Span(const Filter& filter) {
  std::optional<DateSpan> span;
  const std::string sql =
      absl::StrCat(kFilteredLines, " SELECT MIN(order_date), MAX(order_date) FROM f");
  absl::Status status = Query(backend_, sql, filter, std::nullopt, [&](const SqlRow& row) {
    if (!row.IsNull(0)) {
      span = DateSpan{.first = static_cast<Day>(row.Int(0)), .last = static_cast<Day>(row.Int(1))};
    }
  });
  if (!status.ok()) return status;
  return span;
}

absl::StatusOr<CustomerRfmList> SqlQueryEngine::ScoreCustomers(const Filter& filter, Day as_of) {
  // W (customers strictly worse) is RANK() - 1 when ordering worst first;
  // integer division of non-negative values is the floor in the contract.
  const std::string sql = absl::StrCat(kFilteredLines, ",", kLatestPerCustomer, R"sql(,
life AS (
  SELECT customer_id, SUM(sales) AS revenue, SUM(profit) AS profit,
         COUNT(DISTINCT order_id) AS orders, MIN(order_date) AS first_order,
         MAX(order_date) AS last_order
  FROM f GROUP BY customer_id),
rfm AS (
  SELECT customer_id, ?9 - MAX(order_date) AS recency, COUNT(DISTINCT order_id) AS frequency,
         SUM(sales) AS monetary
  FROM f WHERE order_date <= ?9 GROUP BY customer_id),
scored AS (
  SELECT rfm.*, COUNT(*) OVER () AS n,
         RANK() OVER (ORDER BY recency DESC) - 1 AS worse_r,
         RANK() OVER (ORDER BY frequency) - 1 AS worse_f,
         RANK() OVER (ORDER BY monetary) - 1 AS worse_m
  FROM rfm)
SELECT s.customer_id, l.customer_name, l.segment, l.region, s.recency, s.frequency, s.monetary,
       1 + 5 * s.worse_r / s.n, 1 + 5 * s.worse_f / s.n, 1 + 5 * s.worse_m / s.n,
       life.revenue, life.profit, life.orders, life.first_order, life.last_order
FROM scored s JOIN life USING (customer_id) JOIN latest l USING (customer_id)
ORDER BY s.customer_id)sql");
  CustomerRfmRecords customers;
  // The records' texts; a deque never moves its elements.
  auto text = std::make_shared<std::deque<std::string>>();
  const auto keep = [&](std::string value) -> std::string_view {
    return text->emplace_back(std::move(value));
  };
  absl::Status status = Query(backend_, sql, filter, std::int64_t{as_of}, [&](const SqlRow& row) {
    customers.push_back({.customer_id = keep(row.Text(0)),
                         .customer_name = keep(row.Text(1)),
                         .segment = keep(row.Text(2)),
                         .region = keep(row.Text(3)),
                         .recency_days = row.Int(4),
                         .frequency = row.Int(5),
                         .monetary = row.Int(6),
                         .recency_score = static_cast<int>(row.Int(7)),
                         .frequency_score = static_cast<int>(row.Int(8)),
                         .monetary_score = static_cast<int>(row.Int(9)),
                         .lifetime_revenue = row.Int(10),
                         .lifetime_profit = row.Int(11),
                         .lifetime_orders = row.Int(12),
                         .first_order = static_cast<Day>(row.Int(13)),
                         .last_order = static_cast<Day>(row.Int(14))});
  });
  if (!status.ok()) return status;
  return MakeCustomerRfmList(std::move(customers), std::move(text));
}

absl::StatusOr<CustomerDayList> SqlQueryEngine::CustomerDays(const Filter& filter) {
  const std::string sql = absl::StrCat(kFilteredLines, R"sql(
SELECT customer_id, order_date, SUM(sales) FROM f
GROUP BY customer_id, order_date ORDER BY customer_id, order_date)sql");
  auto history = std::make_shared<CustomerDayHistory>();
  auto text = std::make_shared<std::deque<std::string>>();
  absl::Status status = Query(backend_, sql, filter, std::nullopt, [&](const SqlRow& row) {
    std::string customer = row.Text(0);
    if (history->customer_ids.empty() || history->customer_ids.back() != customer) {
      if (!history->customer_ids.empty()) {
        history->offsets.push_back(static_cast<std::uint32_t>(history->days.size()));
      }
      history->customer_ids.push_back(text->emplace_back(std::move(customer)));
    }
    history->days.push_back(static_cast<Day>(row.Int(1)));
    history->sales.push_back(row.Int(2));
  });
  if (!status.ok()) return status;
  if (!history->customer_ids.empty()) {
    history->offsets.push_back(static_cast<std::uint32_t>(history->days.size()));
  }
  history->text = std::move(text);
  return history;
}

}  // namespace analytics
