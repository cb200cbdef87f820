#include "store/line_rows.h"

#include <optional>
#include <string>
#include <string_view>

namespace analytics {
namespace {

// A new key is one INSERT; only an existing key costs a second statement.
// (ON CONFLICT DO UPDATE would do both in one, but then SQLite reports one
// change either way and the insert/update counts would need a lookup per
// line.)
constexpr char kInsertSql[] = R"sql(
INSERT INTO order_lines (line_key, order_id, order_date, ship_date, ship_mode, customer_id,
  customer_name, segment, country, region, state, city, postal_code, product_id, category,
  sub_category, product_name, sales, quantity, discount, profit)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
  ?20, ?21)
ON CONFLICT (line_key) DO NOTHING
)sql";

constexpr char kUpdateSql[] = R"sql(
UPDATE order_lines SET order_id = ?2, order_date = ?3, ship_date = ?4, ship_mode = ?5,
  customer_id = ?6, customer_name = ?7, segment = ?8, country = ?9, region = ?10, state = ?11,
  city = ?12, postal_code = ?13, product_id = ?14, category = ?15, sub_category = ?16,
  product_name = ?17, sales = ?18, quantity = ?19, discount = ?20, profit = ?21
WHERE line_key = ?1
)sql";

constexpr char kStoredIdsSql[] =
    "SELECT order_id, customer_id FROM order_lines WHERE line_key = ?1";

// The column of `field`: the API's name, but for the key.
std::string_view ColumnName(LineField field) {
  return field == LineField::kLineKey ? "line_key" : LineFieldName(field);
}

// The SQL parameter of `field` in kInsertSql and kUpdateSql.
int Parameter(LineField field) { return static_cast<int>(FieldIndex(field)) + 1; }

// Binds without copying: `line` outlives the statement's execution.
absl::Status BindLine(sqlite::Statement& statement, const OrderLine& line) {
  for (const LineField field : kLineTexts) {
    if (absl::Status s = statement.BindStatic(Parameter(field), line.*SpecOf(field).text);
        !s.ok()) {
      return s;
    }
  }
  const std::optional<std::int64_t> ship_date =
      line.ship_date ? std::optional<std::int64_t>(*line.ship_date) : std::nullopt;
  for (absl::Status s :
       {statement.Bind(Parameter(LineField::kOrderDate), std::int64_t{line.order_date}),
        statement.BindOptional(Parameter(LineField::kShipDate), ship_date),
        statement.Bind(Parameter(LineField::kSales), line.sales),
        statement.Bind(Parameter(LineField::kQuantity), line.quantity),
        statement.Bind(Parameter(LineField::kDiscount), line.discount),
        statement.Bind(Parameter(LineField::kProfit), line.profit)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RowStatements> RowStatements::Prepare(sqlite::Connection& connection) {
  absl::StatusOr<sqlite::Statement> insert = connection.Prepare(kInsertSql);
  if (!insert.ok()) return insert.status();
  absl::StatusOr<sqlite::Statement> update = connection.Prepare(kUpdateSql);
  if (!update.ok()) return update.status();
  absl::StatusOr<sqlite::Statement> stored = connection.Prepare(kStoredIdsSql);
  if (!stored.ok()) return stored.status();
  return RowStatements{
      .insert = *std::move(insert), .update = *std::move(update), .stored = *std::move(stored)};
}

absl::StatusOr<bool> CompareStored(RowStatements& statements, const OrderLine& line,
                                   WriteResult& result) {
  sqlite::Statement& stored = statements.stored;
  if (absl::Status s = stored.Bind(1, std::string_view(line.line_key)); !s.ok()) return s;
  absl::StatusOr<bool> found = stored.Step();
  if (!found.ok()) return found.status();
  if (*found && (stored.TextView(0) != line.order_id || stored.TextView(1) != line.customer_id)) {
    result.NoteReassigned(ReassignedLine{.line_key = line.line_key,
                                         .previous_order_id = stored.Text(0),
                                         .order_id = line.order_id,
                                         .previous_customer_id = stored.Text(1),
                                         .customer_id = line.customer_id});
  }
  stored.Reset();
  return *found;
}

absl::StatusOr<bool> UpsertRow(sqlite::Connection& connection, RowStatements& statements,
                               const OrderLine& line, WriteResult* result) {
  if (absl::Status s = BindLine(statements.insert, line); !s.ok()) return s;
  if (absl::Status s = statements.insert.Run(); !s.ok()) return s;
  statements.insert.Reset();
  if (connection.Changes() == 1) return true;
  if (result != nullptr) {
    if (absl::StatusOr<bool> found = CompareStored(statements, line, *result); !found.ok()) {
      return found.status();
    }
  }
  if (absl::Status s = BindLine(statements.update, line); !s.ok()) return s;
  if (absl::Status s = statements.update.Run(); !s.ok()) return s;
  statements.update.Reset();
  return false;
}

absl::StatusOr<std::int64_t> StoredLineCount(sqlite::Connection& connection) {
  absl::StatusOr<sqlite::Statement> statement =
      connection.Prepare("SELECT COUNT(*) FROM order_lines");
  if (!statement.ok()) return statement.status();
  absl::StatusOr<bool> row = statement->Step();
  if (!row.ok()) return row.status();
  return statement->Int(0);
}

absl::Status ReadStoredLines(sqlite::Connection& connection, std::span<const LineField> fields,
                             const std::function<void(const OrderLine&)>& each) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    sql.append(i == 0 ? "" : ", ").append(ColumnName(fields[i]));
  }
  sql.append(" FROM order_lines");
  absl::StatusOr<sqlite::Statement> statement = connection.Prepare(sql);
  if (!statement.ok()) return statement.status();
  OrderLine line;
  for (;;) {
    absl::StatusOr<bool> row = statement->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    const sqlite::Statement& s = *statement;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const int column = static_cast<int>(i);
      switch (const LineField field = fields[i]) {
        case LineField::kOrderDate:
          line.order_date = static_cast<Day>(s.Int(column));
          break;
        case LineField::kShipDate:
          line.ship_date =
              s.IsNull(column) ? std::nullopt : std::optional<Day>(static_cast<Day>(s.Int(column)));
          break;
        case LineField::kSales:
          line.sales = s.Int(column);
          break;
        case LineField::kQuantity:
          line.quantity = s.Int(column);
          break;
        case LineField::kDiscount:
          line.discount = s.Int(column);
          break;
        case LineField::kProfit:
          line.profit = s.Int(column);
          break;
        default:  // a text
          (line.*SpecOf(field).text).assign(s.TextView(column));
          break;
      }
    }
    each(line);
  }
}

}  // namespace analytics
