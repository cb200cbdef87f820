#include "import/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"

namespace analytics {
namespace {

// Large blocks keep system calls rare (a million lines is ~250 MB).
constexpr std::size_t kBlockBytes = std::size_t{1} << 20;

using Length = std::uint32_t;

// `error` is errno, read by the caller before anything could change it.
absl::Status ErrnoStatus(int error, std::string_view what) {
  return absl::InternalError(
      absl::StrCat("import spool: ", std::string(what), ": ", std::strerror(error)));
}

}  // namespace

Spool::Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::shared_ptr<Spool>> Spool::Create() {
  // tmpfile() would ignore TMPDIR, which deployments use to point at a
  // writable volume when the root filesystem is read-only.
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string dir = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // Filesystems without O_TMPFILE: a named file, unlinked at once.
    std::string path = dir + "/analytics-import-XXXXXX";
    fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(path.c_str());
  }
  if (fd < 0) {
    const int error = errno;
    return ErrnoStatus(error, absl::StrCat("cannot create a temporary file in ", dir,
                                           " (set TMPDIR to a writable directory)"));
  }
  return std::shared_ptr<Spool>(new Spool(fd));
}

absl::Status Spool::Append(std::string_view record) {
  if (record.size() > std::numeric_limits<Length>::max()) {
    return absl::InternalError("import spool: record too large");
  }
  const Length length = static_cast<Length>(record.size());
  buffer_.append(reinterpret_cast<const char*>(&length), sizeof length);
  buffer_.append(record);
  ++records_;
  if (buffer_.size() >= kBlockBytes) return WriteBuffer();
  return absl::OkStatus();
}

absl::Status Spool::Flush() { return WriteBuffer(); }

absl::Status Spool::WriteBuffer() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::pwrite(fd(), buffer_.data() + done, buffer_.size() - done,
                               static_cast<off_t>(file_size_ + static_cast<std::int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot write the temporary file (disk full?)");
    }
    done += static_cast<std::size_t>(n);
  }
  file_size_ += static_cast<std::int64_t>(done);
  buffer_.clear();
  return absl::OkStatus();
}

SpoolReader::SpoolReader(std::shared_ptr<const Spool> spool)
    : spool_(std::move(spool)), end_(spool_->file_size_) {}

absl::StatusOr<bool> SpoolReader::Fill(std::size_t want) {
  if (buffer_.size() - position_ >= want) return true;
  // Drop consumed bytes, then read a block (or more, for a large record).
  offset_ += static_cast<std::int64_t>(position_);
  buffer_.erase(0, position_);
  position_ = 0;
  while (buffer_.size() < want) {
    const std::int64_t file_pos = offset_ + static_cast<std::int64_t>(buffer_.size());
    if (file_pos >= end_) return false;
    const std::size_t block = std::min<std::size_t>(std::max(kBlockBytes, want - buffer_.size()),
                                                    static_cast<std::size_t>(end_ - file_pos));
    const std::size_t old_size = buffer_.size();
    buffer_.resize(old_size + block);
    const ssize_t n =
        ::pread(spool_->fd(), buffer_.data() + old_size, block, static_cast<off_t>(file_pos));
    if (n < 0 && errno == EINTR) {
      buffer_.resize(old_size);
      continue;
    }
    if (n <= 0) {
      buffer_.resize(old_size);
      return n < 0 ? ErrnoStatus(errno, "cannot read the temporary file")
                   : absl::DataLossError("import spool: temporary file shorter than written");
    }
    buffer_.resize(old_size + static_cast<std::size_t>(n));
  }
  return true;
}

absl::StatusOr<bool> SpoolReader::Next(std::string_view& record) {
  absl::StatusOr<bool> has_length = Fill(sizeof(Length));
  if (!has_length.ok()) return has_length.status();
  if (!*has_length) {
    if (position_ != buffer_.size()) return absl::DataLossError("import spool: truncated record");
    return false;
  }
  Length length = 0;
  std::memcpy(&length, buffer_.data() + position_, sizeof length);
  absl::StatusOr<bool> has_record = Fill(sizeof(Length) + length);
  if (!has_record.ok()) return has_record.status();
  if (!*has_record) return absl::DataLossError("import spool: truncated record");
  record = std::string_view(buffer_).substr(position_ + sizeof(Length), length);
  position_ += sizeof(Length) + length;
  return true;
}

}  // namespace analytics
