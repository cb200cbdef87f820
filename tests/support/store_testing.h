// Test support for the store: a database file removed with its -wal/-shm,
// one-integer queries (on a connection, or through a store with or without
// folding its write log), and a way to leave write-log batches behind as a
// crash right after a logged write would.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/line_batch.h"
#include "store/order_store.h"
#include "store/sqlite.h"

namespace analytics::testing {

class TempDb {
 public:
  explicit TempDb(const std::string& name)
      : path_((std::filesystem::temp_directory_path() /
               absl::StrCat("store-test-", name, "-", getpid(), ".db"))
                  .string()) {
    Remove();
  }
  ~TempDb() { Remove(); }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;
  const std::string& path() const { return path_; }

 private:
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::string path_;
};

inline std::int64_t QueryInt(sqlite::Connection& connection, const std::string& sql) {
  absl::StatusOr<sqlite::Statement> statement = connection.Prepare(sql);
  EXPECT_TRUE(statement.ok()) << statement.status();
  if (!statement.ok()) return -1;
  absl::StatusOr<bool> row = statement->Step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  return statement->Int(0);
}

// The same through the store: after folding the write log into order_lines
// (as every SQL reader sees the data), or the file as it is.
inline std::int64_t QueryInt(OrderStore& store, const std::string& sql) {
  std::int64_t value = -1;
  EXPECT_TRUE(store
                  .WithConnection([&](sqlite::Connection& c) {
                    value = QueryInt(c, sql);
                    return absl::OkStatus();
                  })
                  .ok());
  return value;
}
inline std::int64_t QueryIntUnfolded(OrderStore& store, const std::string& sql) {
  std::int64_t value = -1;
  EXPECT_TRUE(store
                  .WithConnectionUnfolded([&](sqlite::Connection& c) {
                    value = QueryInt(c, sql);
                    return absl::OkStatus();
                  })
                  .ok());
  return value;
}

// Appends `lines` to the write log as one batch, the way the store logs them.
inline absl::Status AppendLoggedBatch(sqlite::Connection& connection,
                                      const std::vector<OrderLine>& lines) {
  LineBatch encoder;
  for (const OrderLine& line : lines) encoder.Add(line);
  absl::StatusOr<sqlite::Statement> append =
      connection.Prepare("INSERT INTO line_batches (line_count, lines) VALUES (?1, ?2)");
  if (!append.ok()) return append.status();
  if (absl::Status s = append->Bind(1, encoder.line_count()); !s.ok()) return s;
  if (absl::Status s = append->BindBlobStatic(2, encoder.bytes()); !s.ok()) return s;
  return append->Run();
}

}  // namespace analytics::testing
