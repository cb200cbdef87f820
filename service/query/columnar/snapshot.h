// The columnar engine's snapshot: its line table (columns, dictionaries and
// the indexes derived from them) persisted beside the database, so that
// start-up reads one file sequentially instead of decoding every stored line
// and rebuilding the table (a million lines: ~90 MB read in well under a
// second instead of ~3 s).
//
// The file says which store state it reflects (StorePosition, store.h) and
// is never trusted blindly: a format version, the element size of every
// array and a checksum over everything after the header (the low 32 bits
// of XXH3-64, xxHash: over a million lines' ~90 MB it costs ~10 ms where
// zlib's CRC-32 cost ~190 ms) are checked while reading, and the engine
// then asks the store whether that position is in its history with every
// later write still replayable (StoreSnapshot::CheckReplayableAfter);
// anything else and the engine is built from the store as without a
// snapshot.
//
// Layout (little-endian, this machine's): a 32-byte header (magic, format
// version, payload length, payload checksum, the header's own CRC-32), then
// the payload: the position, then each LineTable member in the fixed order
// of SnapshotAccess::Members (snapshot.cc) — an array as its element size,
// count and raw bytes; a dictionary as its value lengths and their text.
// Changing a column's type needs no edit here (the element size is
// recorded and checked); adding or removing a member is one line in
// Members and a kSnapshotFormatVersion bump.
//
// Writing: the bytes go to `<path>.tmp` (under the engine's read lock:
// writers wait, readers do not), then outside that lock either fsync,
// rename over `<path>`, fsync of the folder (PublishTableSnapshot: a crash
// at any point leaves the old snapshot or the new one, never a torn file
// under the real name), or — when a bulk write wants its snapshot in place
// before it answers, without waiting for the disk — rename now and fsync
// later (RenameTableSnapshot, then SyncTableSnapshot). A process crash or
// SIGKILL in between loses nothing (the page cache holds the file); only a
// power loss or OS crash in between could leave a torn file under the real
// name, which the checksum then rejects and the engine is built from the
// store, the system of record, as without a snapshot.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "query/columnar/line_table.h"
#include "store/store.h"

namespace analytics::columnar {

// Bumped whenever the payload's member list or its checksum changes (2:
// XXH3 instead of CRC-32).
inline constexpr std::uint32_t kSnapshotFormatVersion = 2;

struct TableSnapshot {
  StorePosition position;
  std::unique_ptr<LineTable> table;
};

// The snapshot at `path`: NotFound when there is none, FailedPrecondition for
// a format this build does not read (newer, or other element sizes),
// DataLoss when it is damaged or truncated. The message says which.
absl::StatusOr<TableSnapshot> ReadTableSnapshot(const std::string& path);

// Writes `table` at `position` to `<path>.tmp` (not yet durable) and returns
// that name; PublishTableSnapshot then makes it `path`.
absl::StatusOr<std::string> WriteTableSnapshotTemp(const std::string& path, const LineTable& table,
                                                   const StorePosition& position);
// fsync, rename over `path`, fsync of the folder; removes `temp` on failure.
absl::Status PublishTableSnapshot(const std::string& temp, const std::string& path);
// Rename over `path` only (not yet durable); removes `temp` on failure.
absl::Status RenameTableSnapshot(const std::string& temp, const std::string& path);
// fsync of `path` and of its folder: makes a renamed snapshot durable.
absl::Status SyncTableSnapshot(const std::string& path);

}  // namespace analytics::columnar
