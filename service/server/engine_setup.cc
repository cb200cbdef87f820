#include "server/engine_setup.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace analytics {

absl::StatusOr<std::unique_ptr<QueryEngines>> QueryEngines::Start(OrderStore& store,
                                                                  const std::string& engine,
                                                                  std::int64_t memory_budget_mb) {
  absl::StatusOr<std::unique_ptr<SqlQueryEngine>> sql = SqlQueryEngine::Create(store);
  if (!sql.ok()) return sql.status();
  return Start(static_cast<Store&>(store), std::move(*sql), engine, memory_budget_mb);
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& db) {
  if (IsPostgresDsn(db)) {
    absl::StatusOr<std::unique_ptr<PgStore>> store = PgStore::Open(PgStoreOptions::For(db));
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  // The bound's sum runs beside the engine's load; the caller waits for it
  // with OrderStore::BoundChecked before serving.
  absl::StatusOr<std::unique_ptr<OrderStore>> store =
      OrderStore::Open(db, {.bound_in_background = true});
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

std::string SnapshotPathFor(const std::string& db) {
  if (IsPostgresDsn(db) || db.empty() || db == ":memory:") return {};
  return db + ".engine-snapshot";
}

absl::StatusOr<std::unique_ptr<QueryEngines>> QueryEngines::StartFor(
    Store& store, const std::string& engine, std::int64_t memory_budget_mb,
    const std::string& snapshot_path,
    std::function<absl::StatusOr<columnar::TableSnapshot>()> read_snapshot) {
  if (auto* pg = dynamic_cast<PgStore*>(&store)) {
    return Start(store, SqlQueryEngine::Create(pg->MakeSqlBackend()), engine, memory_budget_mb);
  }
  if (auto* sqlite = dynamic_cast<OrderStore*>(&store)) {
    absl::StatusOr<std::unique_ptr<SqlQueryEngine>> sql = SqlQueryEngine::Create(*sqlite);
    if (!sql.ok()) return sql.status();
    return Start(store, std::move(*sql), engine, memory_budget_mb, snapshot_path,
                 std::move(read_snapshot));
  }
  return absl::InvalidArgumentError("unknown kind of store");
}

absl::StatusOr<std::unique_ptr<QueryEngines>> QueryEngines::Start(
    Store& store, std::unique_ptr<SqlQueryEngine> sql, const std::string& engine,
    std::int64_t memory_budget_mb, const std::string& snapshot_path,
    std::function<absl::StatusOr<columnar::TableSnapshot>()> read_snapshot) {
  std::unique_ptr<QueryEngines> engines(new QueryEngines());
  engines->sql_ = std::move(sql);
  if (engine == "sql") {
    spdlog::info("query engine: sql");
    return engines;
  }
  const auto started = std::chrono::steady_clock::now();
  ColumnarEngineOptions options;
  options.memory_budget_bytes = static_cast<std::size_t>(memory_budget_mb) << 20;
  options.on_stop = [](const std::string& why) {
    spdlog::warn("columnar engine stopped: {}; answering from the SQL engine from now on", why);
  };
  options.snapshot_path = snapshot_path;
  options.read_snapshot = std::move(read_snapshot);
  options.on_snapshot = [path = snapshot_path](const absl::Status& status, std::int64_t lines,
                                               std::int64_t millis, bool durable) {
    if (status.ok()) {
      spdlog::info("engine snapshot {} {}: {} lines in {} ms", path,
                   durable ? "on disk" : "written by the write (fsync to follow)", lines, millis);
    } else {
      spdlog::warn("engine snapshot {} not written: {}", path, std::string(status.message()));
    }
  };
  absl::StatusOr<std::unique_ptr<ColumnarEngine>> columnar =
      ColumnarEngine::Create(store, std::move(options));
  if (!columnar.ok()) {
    // Still a working server, only slower: say so loudly, do not fail.
    spdlog::warn("columnar engine not started: {}; answering from the SQL engine",
                 std::string(columnar.status().message()));
    return engines;
  }
  engines->columnar_ = std::move(*columnar);
  engines->fallback_ = std::make_unique<FallbackQueryEngine>(*engines->columnar_, *engines->sql_);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  const EngineStartup& startup = engines->columnar_->startup();
  if (startup.from_snapshot) {
    spdlog::info("engine snapshot {} used: {} lines replayed after it (waited {} ms for the file)",
                 snapshot_path, startup.replayed_lines, startup.read_ms);
  } else if (!snapshot_path.empty() && startup.snapshot_ignored == "there is no snapshot file") {
    spdlog::info("engine snapshot {}: none yet; the engine was built from the store",
                 snapshot_path);
  } else if (!snapshot_path.empty()) {
    spdlog::warn("engine snapshot {} not used ({}); the engine was built from the store",
                 snapshot_path, startup.snapshot_ignored);
  }
  spdlog::info(
      "query engine: columnar, {} lines, ~{} MiB (budget {}), loaded in {} ms",
      engines->columnar_->LineCount(), engines->columnar_->MemoryBytes() >> 20,
      memory_budget_mb == 0 ? std::string("none") : std::to_string(memory_budget_mb) + " MiB",
      elapsed.count());
  return engines;
}

void QueryEngines::SaveSnapshot() {
  if (columnar_ == nullptr || !columnar_->startup().snapshots) return;
  const auto started = std::chrono::steady_clock::now();
  const absl::Status status = columnar_->SaveSnapshot();
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
  if (status.ok()) {
    spdlog::info("engine snapshot saved at stop ({} ms)", millis);
  } else {
    spdlog::warn("engine snapshot not saved at stop: {}", std::string(status.message()));
  }
}

}  // namespace analytics
