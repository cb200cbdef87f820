// How the store tells an in-memory copy of its data about committed writes.
//
// OrderStore stays the system of record; a WriteListener (the columnar query
// engine) keeps a derived copy in step with it. For each write the store
// opens a PendingWrite, hands it every line in the order it writes them
// (inside the SQLite transaction, so the lines stream once and are never all
// held as OrderLine objects), and calls Commit() only after the SQLite COMMIT
// succeeded, still holding the store's lock. A write that fails or rolls back
// destroys its PendingWrite without Commit(): the listener must then forget
// what it staged. Because Commit() runs before Upsert() returns, a reader
// that starts after the write's RPC returned sees the write (read-your-writes).
//
// Listener calls cannot fail the write: the data is already durable. A
// listener that cannot keep up (out of memory, over its budget) must stop
// serving reads itself rather than serve stale answers.
//
// A listener that holds every stored key can tell which lines of a write
// are new (CountsKeys()); the store then logs the write's lines as batches
// instead of upserting them row by row (order_store.h, "Write log") and
// takes the insert/update counts from Commit().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/line_batch.h"
#include "common/order_line.h"

namespace analytics {

// A stored line that a write replaced with a line of another order or
// customer: the same key, different ids. Almost always a key collision
// (Row IDs of two files that both start at 1), so writes report them.
struct ReassignedLine {
  std::string line_key;
  std::string previous_order_id;
  std::string order_id;
  std::string previous_customer_id;
  std::string customer_id;
};

// How many reassigned lines a write reports by example.
inline constexpr std::size_t kMaxReportedReassignments = 10;

struct WriteResult {
  std::int64_t inserted = 0;  // lines whose key was new
  std::int64_t updated = 0;   // lines that replaced an existing key
  // Of the updated lines: those whose stored line had another order id or
  // customer id, and the first kMaxReportedReassignments of them in write
  // order.
  std::int64_t reassigned = 0;
  std::vector<ReassignedLine> reassigned_lines;
  // Set by a store that other replicas share (PgStore): the write's
  // position, which a read on any replica can wait for (Store::AwaitVisible).
  std::string consistency_token;

  // Counts a replaced line, keeping it as an example while there is room.
  void NoteReassigned(ReassignedLine line) {
    ++reassigned;
    if (reassigned_lines.size() < kMaxReportedReassignments) {
      reassigned_lines.push_back(std::move(line));
    }
  }
};

class PendingWrite {
 public:
  virtual ~PendingWrite() = default;
  // The next line of the write, in write order; a later line with the same
  // key replaces an earlier one. The listener takes the line: the store has
  // written it and needs it no more (moving saves copying its fifteen
  // strings, a noticeable part of a million-line write).
  virtual void Add(OrderLine&& line) = 0;
  // The next lines of the write as one batch: the listener takes them and
  // leaves `batch` empty, possibly holding a spent buffer to refill. The
  // default adds them one by one.
  virtual void AddBatch(LineBatch& batch);
  // The write is durable: make it visible to readers. Returns the write's
  // counts when CountsKeys() and the listener could apply it (a listener
  // that stopped returns nullopt; the store then counts for itself).
  virtual std::optional<WriteResult> Commit() = 0;
  // True when Commit() will count the write's inserts and updates: the
  // listener knows every key stored before this write.
  virtual bool CountsKeys() const { return false; }
};

class WriteListener {
 public:
  virtual ~WriteListener() = default;
  // `replace`: the write deletes every existing line first.
  virtual std::unique_ptr<PendingWrite> BeginWrite(bool replace) = 0;
};

}  // namespace analytics
