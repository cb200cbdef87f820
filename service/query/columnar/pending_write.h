// The columnar engine's side of a store write (store/write_listener.h):
// stages the write's lines (staged_write.h) while the store writes them to
// SQLite, and on Commit hands the staged write to the engine to apply.
//
// A bulk write's lines are encoded on a helper thread while the store's
// thread writes them to SQLite: the two halves cost about the same
// (dictionary lookups here, the log's inserts and the merge there), and the
// machine has two cores. Lines arrive as the store's LineBatches (lines
// added one by one are gathered into one) and are read in place; spent
// batches go back to the store for its next ones, so handing over allocates
// nothing. Small writes never start the thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/line_batch.h"
#include "common/order_line.h"
#include "query/columnar/annotated_mutex.h"
#include "query/columnar/staged_write.h"
#include "store/write_listener.h"

namespace analytics::columnar {

class StagingWrite final : public PendingWrite {
 public:
  // Applies the staged write on Commit; its counts, or nullopt when the
  // engine could not take it.
  using Apply = std::function<std::optional<WriteResult>(StagedWrite& staged)>;

  StagingWrite(bool replace, Apply apply);
  ~StagingWrite() override;  // a write that rolled back: discard

  void Add(OrderLine&& line) override;
  void AddBatch(LineBatch& batch) override;
  std::optional<WriteResult> Commit() override;
  // The table holds every stored key (it was loaded whole and has seen
  // every write since), so Apply counts new keys exactly.
  bool CountsKeys() const override { return true; }

 private:
  static constexpr std::int64_t kHandLines = 4096;
  static constexpr std::size_t kMaxSpares = 16;

  // Takes `batch`'s lines, leaving it empty (with a spent buffer when the
  // worker returned one), and hands the gathered batches over when enough.
  void Gather(LineBatch& batch);
  // Gives the gathered batches to the worker (started on first use),
  // waiting while it has not taken the previous ones yet.
  void Hand();
  void Work();
  // Waits for the worker to encode what it was handed, then ends it.
  void StopWorker();

  const Apply apply_;
  StagedWrite staged_;  // the worker's while it runs
  LineBatch loose_;     // lines added one by one
  std::vector<LineBatch> gathered_;
  std::int64_t gathered_lines_ = 0;

  Mutex mutex_;
  std::condition_variable changed_;
  // Empty: the worker took them.
  std::vector<LineBatch> handed_ ABSL_GUARDED_BY(mutex_);
  std::vector<LineBatch> spares_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread worker_;
};

// For writes that arrive after the engine stopped: nothing to keep.
class IgnoredWrite final : public PendingWrite {
 public:
  void Add(OrderLine&&) override {}
  void AddBatch(LineBatch& batch) override { batch.Clear(); }
  std::optional<WriteResult> Commit() override { return std::nullopt; }
};

}  // namespace analytics::columnar
