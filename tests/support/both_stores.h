// Test support: the same tests on both stores. A suite parameterised by
// kStoreKinds opens, for "sqlite", an in-memory OrderStore and, for
// "postgres", a PgStore on a fresh database of the test binary's real
// PostgreSQL 15 (support/postgres.h), each with the SQL engine over it.
// Header only: the tests that use it link analytics_query.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "query/sql_query_engine.h"
#include "store/order_store.h"
#include "store/pg_store.h"
#include "support/postgres.h"

namespace analytics::testing {

struct StoreWithSql {
  std::unique_ptr<Store> store;
  std::unique_ptr<SqlQueryEngine> sql;  // destroy before `store`: declared after it
};

// "sqlite" or "postgres"; fails the test (empty result) when it cannot open.
inline StoreWithSql OpenStoreWithSql(const std::string& kind) {
  StoreWithSql opened;
  if (kind == "sqlite") {
    std::unique_ptr<OrderStore> sqlite = *OrderStore::Open(":memory:");
    opened.sql = *SqlQueryEngine::Create(*sqlite);
    opened.store = std::move(sqlite);
    return opened;
  }
  absl::StatusOr<std::unique_ptr<PgStore>> pg =
      PgStore::Open(PgStoreOptions::For(Postgres::Shared().NewDatabase()));
  EXPECT_TRUE(pg.ok()) << pg.status();
  if (!pg.ok()) return opened;
  opened.sql = SqlQueryEngine::Create((*pg)->MakeSqlBackend());
  opened.store = std::move(*pg);
  return opened;
}

inline const auto kStoreKinds = ::testing::Values("sqlite", "postgres");
inline std::string StoreKindName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace analytics::testing
