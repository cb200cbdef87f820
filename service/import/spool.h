// An anonymous temporary file of byte records.
//
// The importer cannot hand lines to the store as it parses them: the file's
// encoding and whether its dates are day- or month-first are decided from
// the whole file. So parsed records wait here, on disk, and memory stays
// bounded whatever the file size. The file is created in $TMPDIR (else /tmp)
// without a name (O_TMPFILE, or unlinked at once where that is unsupported),
// so it disappears when the last Spool owner closes it, even if the process
// dies. It needs free space about the size of the CSV file.
//
// Any number of SpoolReaders may read concurrently with each other (each has
// its own offset and buffer, using pread), but not with Append.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace analytics {

class Spool {
 public:
  static absl::StatusOr<std::shared_ptr<Spool>> Create();

  // Buffers `record`; written to the file in large blocks.
  absl::Status Append(std::string_view record);
  // Writes out the buffer: records appended so far become readable.
  absl::Status Flush();

  std::int64_t records() const { return records_; }
  std::int64_t bytes_written() const { return file_size_; }

 private:
  friend class SpoolReader;

  // Owns a file descriptor.
  class Fd {
   public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();
    int get() const { return fd_; }

   private:
    int fd_;
  };

  explicit Spool(int fd) : fd_(fd) {}
  absl::Status WriteBuffer();
  int fd() const { return fd_.get(); }

  Fd fd_;
  std::string buffer_;
  std::int64_t file_size_ = 0;  // bytes already in the file
  std::int64_t records_ = 0;
};

class SpoolReader {
 public:
  // Reads from the start of `spool`, up to what was flushed.
  explicit SpoolReader(std::shared_ptr<const Spool> spool);

  // Sets `record` (valid until the next call) and returns true, or returns
  // false at the end; an error when the file cannot be read back intact.
  absl::StatusOr<bool> Next(std::string_view& record);

 private:
  // Ensures `want` unread bytes are in the buffer; false at end of file.
  absl::StatusOr<bool> Fill(std::size_t want);

  std::shared_ptr<const Spool> spool_;
  std::int64_t end_;         // file size when the reader was made
  std::int64_t offset_ = 0;  // file offset of buffer_[0]
  std::string buffer_;
  std::size_t position_ = 0;  // next unread byte in buffer_
};

}  // namespace analytics
