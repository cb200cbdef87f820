// A disk-backed queue of order lines.
//
// Streaming writers (ingest, import) collect every accepted line before the
// single transaction that stores them, so that a dropped stream writes
// nothing. Holding a million lines in memory would cost hundreds of MB; the
// spool writes them to an anonymous temporary file instead (removed when the
// spool is destroyed) and replays them as a LineSource, as often as needed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/order_line.h"

namespace analytics {

class LineSpool {
 public:
  static absl::StatusOr<LineSpool> Create();

  absl::Status Append(const OrderLine& line);
  std::int64_t size() const { return count_; }

  // Replays every appended line from the start. The spool must outlive the
  // source, and no Append may happen while it is in use.
  std::unique_ptr<LineSource> Replay();

 private:
  struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  explicit LineSpool(std::FILE* file) : file_(file) {}

  std::unique_ptr<std::FILE, FileCloser> file_;
  std::int64_t count_ = 0;
  std::string record_;     // Append's scratch
  bool replayed_ = false;  // the file position is not at the end any more
};

}  // namespace analytics
