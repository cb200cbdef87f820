// An anonymous temporary file of byte records.
//
// The importer cannot hand lines to the store as it parses them: whether the
// file is Latin-1 and whether its dates are day- or month-first are decided
// from the whole file. So parsed records wait here, on disk, and memory stays
// bounded whatever the file size. The file comes from tmpfile(): it has no
// name, lives in the system temporary directory (/tmp) and disappears when
// the last Spool owner closes it, even if the process dies.
//
// Any number of SpoolReaders may read concurrently with each other (each has
// its own offset and buffer, using pread), but not with Append.
#pragma once

#include <cstdint>
#include <cstdio>
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
  struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };

  explicit Spool(std::unique_ptr<std::FILE, FileCloser> file) : file_(std::move(file)) {}
  absl::Status WriteBuffer();
  int fd() const;

  std::unique_ptr<std::FILE, FileCloser> file_;
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
