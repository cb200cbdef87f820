// The store's write log (order_store.h, "Write log"): with a listener that
// counts keys, a write's lines are committed as encoded batches and folded
// into order_lines later. These tests pin what that must not change: the
// rows after folding, the insert/update counts, durability across a reopen
// that replays the log, and the codec's refusal of damaged batches.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/line_batch.h"
#include "store/order_store.h"
#include "support/sample_lines.h"
#include "support/store_testing.h"

namespace analytics {
namespace {

using testing::AppendLoggedBatch;
using testing::QueryIntUnfolded;
using testing::SampleLines;
using testing::TempDb;
using testing::VectorSource;

// Keeps every key, as the columnar engine does, so it counts new keys; or,
// with `refuse_to_count`, acts like an engine that stopped on this write.
class KeyCountingListener final : public WriteListener {
 public:
  explicit KeyCountingListener(bool refuse_to_count = false) : refuse_(refuse_to_count) {}
  std::unique_ptr<PendingWrite> BeginWrite(bool replace) override {
    return std::make_unique<Pending>(*this, replace);
  }
  std::set<std::string> keys;
  int commits = 0;

 private:
  class Pending final : public PendingWrite {
   public:
    Pending(KeyCountingListener& owner, bool replace) : owner_(owner), replace_(replace) {}
    void Add(OrderLine&& line) override { lines_.push_back(line.line_key); }
    std::optional<WriteResult> Commit() override {
      ++owner_.commits;
      if (replace_) owner_.keys.clear();
      WriteResult counts;
      for (const std::string& key : lines_) {
        ++(owner_.keys.insert(key).second ? counts.inserted : counts.updated);
      }
      if (owner_.refuse_) return std::nullopt;
      return counts;
    }
    bool CountsKeys() const override { return true; }

   private:
    KeyCountingListener& owner_;
    bool replace_;
    std::vector<std::string> lines_;
  };
  bool refuse_;
};

absl::Status NoSnapshot(sqlite::Connection&) { return absl::OkStatus(); }

// Every row of order_lines, by key, as "order|date|customer|sales|profit|..."
// (after folding: WithConnection folds first).
std::map<std::string, std::string> Rows(OrderStore& store) {
  std::map<std::string, std::string> rows;
  EXPECT_TRUE(store
                  .WithConnection([&](sqlite::Connection& c) {
                    absl::StatusOr<sqlite::Statement> s = c.Prepare(
                        "SELECT line_key, order_id, order_date, IFNULL(ship_date, 'none'), "
                        "ship_mode, customer_id, customer_name, segment, country, region, state, "
                        "city, postal_code, product_id, category, sub_category, product_name, "
                        "sales, quantity, discount, profit FROM order_lines");
                    if (!s.ok()) return s.status();
                    while (*s->Step()) {
                      std::string row;
                      for (int i = 1; i < 21; ++i) absl::StrAppend(&row, s->Text(i), "|");
                      rows[s->Text(0)] = row;
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  return rows;
}

// Lines with every field set, some keys repeated within the write and some
// overlapping `SampleLines()`.
std::vector<OrderLine> MixedLines(int count) {
  std::vector<OrderLine> lines;
  for (int i = 0; i < count; ++i) {
    OrderLine line = SampleLines()[static_cast<std::size_t>(i % 5)];
    line.line_key = i % 7 == 0 ? absl::StrCat("L", 1 + i % 5) : absl::StrCat("K", i % 900);
    line.order_id = absl::StrCat("O", i / 3);
    line.ship_date = i % 2 ? std::optional<Day>(line.order_date + i % 9) : std::nullopt;
    line.country = "Ünïcode ✓";
    line.city = i % 3 ? "" : "Zürich";
    line.postal_code = absl::StrCat(10000 + i);
    line.product_id = absl::StrCat("P", i % 40);
    line.product_name = std::string(static_cast<std::size_t>(i % 300), 'x');
    line.sales = (i % 11 - 5) * 1'234'567LL;
    line.profit = -line.sales / 3;
    line.quantity = i % 4;
    line.discount = (i % 5) * 100'000;
    lines.push_back(std::move(line));
  }
  return lines;
}

TEST(LineCodec, RoundTripsEveryField) {
  const std::vector<OrderLine> lines = MixedLines(50);
  LineBatch encoder;
  for (const OrderLine& line : lines) encoder.Add(line);
  EXPECT_EQ(encoder.line_count(), 50);
  LineBatchReader decoder(encoder.bytes());
  OrderLine line;
  for (const OrderLine& expected : lines) {
    ASSERT_TRUE(decoder.Next(line));
    EXPECT_EQ(line, expected);
  }
  EXPECT_FALSE(decoder.Next(line));
  EXPECT_TRUE(decoder.status().ok());
  // Extremes of every integer.
  OrderLine extreme = lines[0];
  extreme.sales = std::numeric_limits<std::int64_t>::min();
  extreme.profit = std::numeric_limits<std::int64_t>::max();
  extreme.quantity = -1;
  extreme.order_date = std::numeric_limits<Day>::min();
  extreme.ship_date = std::numeric_limits<Day>::max();
  encoder.Clear();
  encoder.Add(extreme);
  LineBatchReader again(encoder.bytes());
  ASSERT_TRUE(again.Next(line));
  EXPECT_EQ(line, extreme);
}

TEST(LineCodec, TextsLikeTheLineBeforesAreMarkedNotRepeated) {
  OrderLine first = SampleLines()[0];
  first.city = "";
  OrderLine second = first;  // every text the same but the key and product
  second.line_key = "other";
  second.product_name = "another product";
  OrderLine third = second;
  third.city = "Lyon";  // a change after an empty text
  LineBatch batch;
  batch.Add(first);
  const std::size_t one_line = batch.bytes().size();
  batch.Add(second);
  batch.Add(third);
  // The second line costs its two new texts and a byte for each other one.
  EXPECT_LT(batch.bytes().size() - one_line, one_line);
  LineBatchReader reader(batch.bytes());
  OrderLine line;
  ASSERT_TRUE(reader.Next(line));
  EXPECT_EQ(line, first);
  EXPECT_EQ(reader.repeated(), 0u);
  ASSERT_TRUE(reader.Next(line));
  EXPECT_EQ(line, second);
  const std::uint32_t all = (1u << kOrderLineViewTexts.size()) - 1;
  EXPECT_EQ(reader.repeated(), all & ~(1u << TextIndex(&OrderLineView::line_key)) &
                                   ~(1u << TextIndex(&OrderLineView::product_name)));
  ASSERT_TRUE(reader.Next(line));
  EXPECT_EQ(line, third);
  EXPECT_EQ(reader.repeated() >> TextIndex(&OrderLineView::city) & 1, 0u);
  EXPECT_FALSE(reader.Next(line));
  EXPECT_TRUE(reader.status().ok());
}

// Logs written before version 2 spell every text out; they must still read.
TEST(LineCodec, ReadsVersionOneBatches) {
  const auto varint = [](std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
      out.push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    out.push_back(static_cast<char>(value));
  };
  const auto zigzag = [&](std::string& out, std::int64_t value) {
    varint(out, (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
  };
  std::string bytes(1, '\x01');
  const OrderLine expected = SampleLines()[1];
  for (int copy = 0; copy < 2; ++copy) {  // twice: version 1 has no repeat marks
    for (std::string OrderLine::*field : kOrderLineTexts) {
      varint(bytes, (expected.*field).size());
      bytes += expected.*field;
    }
    zigzag(bytes, expected.order_date);
    bytes.push_back(expected.ship_date ? 1 : 0);
    if (expected.ship_date) zigzag(bytes, *expected.ship_date);
    zigzag(bytes, expected.sales);
    zigzag(bytes, expected.quantity);
    zigzag(bytes, expected.discount);
    zigzag(bytes, expected.profit);
  }
  LineBatchReader reader(bytes);
  OrderLine line;
  for (int copy = 0; copy < 2; ++copy) {
    ASSERT_TRUE(reader.Next(line)) << reader.status();
    EXPECT_EQ(line, expected);
  }
  EXPECT_FALSE(reader.Next(line));
  EXPECT_TRUE(reader.status().ok());
}

TEST(LineCodec, ARepeatMarkOnTheFirstLineIsDamage) {
  const std::string bytes("\x02\x00", 2);  // the reader keeps a view: keep the bytes
  LineBatchReader reader(bytes);
  OrderLine line;
  EXPECT_FALSE(reader.Next(line));
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kDataLoss);
}

TEST(LineCodec, EveryTruncationOrDamagedByteIsAnErrorNotARead) {
  LineBatch encoder;
  for (const OrderLine& line : MixedLines(3)) encoder.Add(line);
  const std::string whole(encoder.bytes());
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    LineBatchReader decoder(std::string_view(whole).substr(0, cut));
    OrderLine line;
    int lines = 0;
    while (decoder.Next(line)) ++lines;
    // A cut at a line boundary reads the lines before it; anywhere else
    // the decoder must say the batch is damaged.
    if (decoder.status().ok()) {
      EXPECT_LT(lines, 3) << cut;
    } else {
      EXPECT_EQ(decoder.status().code(), absl::StatusCode::kDataLoss) << cut;
    }
  }
  const std::string bad_bytes = std::string("\x07") + whole.substr(1);
  LineBatchReader bad_version(bad_bytes);
  OrderLine line;
  EXPECT_FALSE(bad_version.Next(line));
  EXPECT_EQ(bad_version.status().code(), absl::StatusCode::kDataLoss);
}

TEST(LineCodec, MagnitudesReadFromTheBytesAreThoseTheBatchCountedAndDamageIsRefused) {
  // AddBatchMagnitudes (what the store sums at start-up) skips the texts:
  // it must give the magnitudes the writer counted, and refuse exactly
  // the bytes LineBatchReader refuses.
  LineBatch encoder;
  std::vector<OrderLine> lines = MixedLines(40);
  lines[7].sales = std::numeric_limits<std::int64_t>::min();
  lines[8].profit = std::numeric_limits<std::int64_t>::max();
  lines[9].quantity = -3;
  for (const OrderLine& line : lines) encoder.Add(line);
  MagnitudeTotals summed;
  ASSERT_TRUE(AddBatchMagnitudes(encoder.bytes(), summed).ok());
  EXPECT_EQ(summed, encoder.magnitudes());
  const std::string whole(encoder.bytes());
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    const std::string_view bytes = std::string_view(whole).substr(0, cut);
    LineBatchReader decoder(bytes);
    OrderLine line;
    while (decoder.Next(line)) {
    }
    MagnitudeTotals partial;
    EXPECT_EQ(AddBatchMagnitudes(bytes, partial).code(), decoder.status().code()) << cut;
  }
  MagnitudeTotals none;
  EXPECT_EQ(AddBatchMagnitudes(std::string_view("\x02\x00", 2), none).code(),
            absl::StatusCode::kDataLoss);  // a repeat mark on the first line
}

TEST(WriteLog, LoggedWritesFoldIntoTheSameRowsAndCountsAsRowByRowWrites) {
  // The same writes through the log and row by row (no listener).
  std::unique_ptr<OrderStore> logged = *OrderStore::Open(":memory:");
  std::unique_ptr<OrderStore> direct = *OrderStore::Open(":memory:");
  KeyCountingListener listener;
  ASSERT_TRUE(logged->Subscribe(listener, NoSnapshot).ok());
  const std::vector<std::vector<OrderLine>> writes = {SampleLines(), MixedLines(10'000),
                                                      MixedLines(37), SampleLines()};
  for (const std::vector<OrderLine>& lines : writes) {
    VectorSource a(lines);
    VectorSource b(lines);
    absl::StatusOr<WriteResult> via_log = logged->Upsert(a);
    absl::StatusOr<WriteResult> row_by_row = direct->Upsert(b);
    ASSERT_TRUE(via_log.ok() && row_by_row.ok());
    EXPECT_EQ(via_log->inserted, row_by_row->inserted);
    EXPECT_EQ(via_log->updated, row_by_row->updated);
  }
  // 10,000 lines went in as batches of kLinesPerBatch (unless the
  // folder has already taken some: at most as many as were written).
  const std::int64_t most = 1 + (10'000 + kLinesPerBatch - 1) / kLinesPerBatch + 1 + 1;
  EXPECT_LE(QueryIntUnfolded(*logged, "SELECT COUNT(*) FROM line_batches"), most);
  EXPECT_EQ(Rows(*logged), Rows(*direct));
  EXPECT_EQ(QueryIntUnfolded(*logged, "SELECT COUNT(*) FROM line_batches"), 0);
  EXPECT_EQ(*logged->CountLines(), *direct->CountLines());
  EXPECT_EQ(logged->LastCommittedStats().lines, *direct->CountLines());
}

TEST(WriteLog, AListenerThatCannotCountMakesTheStoreFoldAndCount) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  KeyCountingListener listener(/*refuse_to_count=*/true);
  ASSERT_TRUE(store->Subscribe(listener, NoSnapshot).ok());
  VectorSource first(SampleLines());
  ASSERT_TRUE(store->Upsert(first).ok());
  std::vector<OrderLine> lines = SampleLines();
  lines.push_back(lines[0]);
  lines.back().line_key = "new";
  lines.push_back(lines[0]);  // L1 twice more: updates
  VectorSource second(lines);
  absl::StatusOr<WriteResult> counts = store->Upsert(second);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->inserted, 1);
  EXPECT_EQ(counts->updated, 6);
  EXPECT_EQ(listener.commits, 2);
  EXPECT_EQ(QueryIntUnfolded(*store, "SELECT COUNT(*) FROM line_batches"), 0);
  EXPECT_EQ(QueryIntUnfolded(*store, "SELECT COUNT(*) FROM order_lines"), 6);
}

TEST(WriteLog, AReplaceEmptiesRowsAndLogAndAFailedWriteLogsNothing) {
  std::unique_ptr<OrderStore> store = *OrderStore::Open(":memory:");
  KeyCountingListener listener;
  ASSERT_TRUE(store->Subscribe(listener, NoSnapshot).ok());
  VectorSource many(MixedLines(9'000));
  ASSERT_TRUE(store->Upsert(many).ok());
  VectorSource five(SampleLines());
  absl::StatusOr<WriteResult> replaced = store->Upsert(five, /*replace=*/true);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->inserted, 5);
  EXPECT_EQ(Rows(*store).size(), 5u);

  // A source that fails after some lines: the transaction rolls back.
  class Failing final : public LineSource {
   public:
    bool Next(OrderLine& line) override {
      if (n_ == 5'000) return false;
      line = MixedLines(1)[0];
      line.line_key = absl::StrCat("F", n_++);
      return true;
    }
    absl::Status status() const override { return absl::DataLossError("spool unreadable"); }

   private:
    int n_ = 0;
  } failing;
  EXPECT_EQ(store->Upsert(failing).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(QueryIntUnfolded(*store, "SELECT COUNT(*) FROM line_batches"), 0);
  EXPECT_EQ(*store->CountLines(), 5);
}

TEST(WriteLog, ALogLeftByACrashIsReplayedToSnapshotsAndFoldedExactly) {
  TempDb db("crash");
  const std::vector<OrderLine> lines = MixedLines(6'000);
  {
    // The state a SIGKILL right after a logged write leaves: rows from an
    // earlier write, then batches (written here the way the store does).
    std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
    VectorSource base(SampleLines());
    ASSERT_TRUE(store->Upsert(base).ok());
    ASSERT_TRUE(store
                    ->WithConnectionUnfolded([&](sqlite::Connection& c) -> absl::Status {
                      for (std::size_t first = 0; first < lines.size(); first += 2'500) {
                        const std::vector<OrderLine> batch(
                            lines.begin() + static_cast<std::ptrdiff_t>(first),
                            lines.begin() +
                                static_cast<std::ptrdiff_t>(std::min(lines.size(), first + 2'500)));
                        if (absl::Status s = AppendLoggedBatch(c, batch); !s.ok()) return s;
                      }
                      return absl::OkStatus();
                    })
                    .ok());
  }
  // Row by row, the expected end state.
  std::unique_ptr<OrderStore> expected = *OrderStore::Open(":memory:");
  VectorSource base(SampleLines());
  VectorSource rest(lines);
  ASSERT_TRUE(expected->Upsert(base).ok() && expected->Upsert(rest).ok());

  std::unique_ptr<OrderStore> store = *OrderStore::Open(db.path());
  // A snapshot sees the rows and, through ReadLoggedLines, the log in order
  // (unless the folder already took some: then the rows hold them).
  std::map<std::string, OrderLine> replayed;
  KeyCountingListener listener;
  ASSERT_TRUE(store
                  ->Subscribe(listener,
                              [&](sqlite::Connection& c) -> absl::Status {
                                absl::StatusOr<sqlite::Statement> rows =
                                    c.Prepare("SELECT line_key FROM order_lines");
                                if (!rows.ok()) return rows.status();
                                while (*rows->Step()) replayed[rows->Text(0)];
                                absl::StatusOr<std::int64_t> logged = LoggedLineCount(c);
                                if (!logged.ok()) return logged.status();
                                std::int64_t seen = 0;
                                absl::Status read = ReadLoggedLines(c, [&](const OrderLine& l) {
                                  replayed[l.line_key] = l;
                                  ++seen;
                                });
                                EXPECT_EQ(seen, *logged);
                                return read;
                              })
                  .ok());
  store->Unsubscribe(listener);
  EXPECT_EQ(replayed.size(), static_cast<std::size_t>(*expected->CountLines()));
  EXPECT_EQ(Rows(*store), Rows(*expected));
  // The line count the store reported before folding counted logged lines
  // as new; folding corrects it.
  EXPECT_EQ(store->LastCommittedStats().lines, *expected->CountLines());
}

}  // namespace
}  // namespace analytics
