#include "query/columnar/snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

// Header-only: inlined here, no library to link or ship.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"

namespace analytics::columnar {

// Every member of a LineTable that makes up its state, in the file's order.
// Generic over the containers: a column whose type changes needs no edit
// here (its element size is recorded and checked on reading).
struct SnapshotAccess {
  template <typename Table, typename Visit>
  static void Members(Table& table, Visit& visit) {
    auto& d = *table.dictionaries_;
    visit(d.keys);
    visit(d.orders);
    visit(d.customers);
    visit(d.names);
    for (auto& dim : d.dims) visit(dim);
    auto& c = table.columns_;
    visit(c.day);
    visit(c.customer);
    visit(c.order);
    visit(c.line);
    visit(c.name);
    for (auto& dim : c.dims) visit(dim);
    visit(c.sales);
    visit(c.profit);
    visit(c.quantity);
    visit(table.row_of_);
    visit(table.order_customer_);
    visit(table.order_lines_);
    visit(table.spread_);
    visit(table.magnitudes_.sales);
    visit(table.magnitudes_.profit);
    visit(table.magnitudes_.quantity);
    visit(table.customers_by_id_);
  }
};

namespace {

constexpr std::array<char, 8> kMagic = {'C', 'A', 'S', 'N', 'A', 'P', 'v', '\0'};
constexpr std::size_t kHeaderBytes = 32;
constexpr std::uint32_t kEndMarker = 0x454e4421;  // "END!"

template <typename T>
inline constexpr bool kIsArray = false;
template <typename T, typename A>
inline constexpr bool kIsArray<std::vector<T, A>> = !std::is_same_v<T, bool>;

std::string ErrnoText(const char* what, const std::string& path) {
  return absl::StrCat(what, " ", path, ": ", std::strerror(errno));
}

// The payload's checksum as the header stores it: the low 32 bits of XXH3-64
// (format version 2; version 1 had zlib's CRC-32, ~20x slower to compute).
std::uint32_t PayloadChecksum(const XXH3_state_t& state) {
  return static_cast<std::uint32_t>(XXH3_64bits_digest(&state));
}

struct Header {
  std::uint32_t version = 0;
  std::uint64_t payload_bytes = 0;
  std::uint32_t payload_crc = 0;
};

std::array<char, kHeaderBytes> EncodeHeader(const Header& header) {
  std::array<char, kHeaderBytes> bytes{};
  std::memcpy(bytes.data(), kMagic.data(), kMagic.size());
  std::memcpy(bytes.data() + 8, &header.version, 4);
  const std::uint32_t header_bytes = kHeaderBytes;
  std::memcpy(bytes.data() + 12, &header_bytes, 4);
  std::memcpy(bytes.data() + 16, &header.payload_bytes, 8);
  std::memcpy(bytes.data() + 24, &header.payload_crc, 4);
  const auto crc =
      static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), 28));
  std::memcpy(bytes.data() + 28, &crc, 4);
  return bytes;
}

// Buffered output with a running CRC over everything written.
class Writer {
 public:
  explicit Writer(int fd) : fd_(fd) {
    buffer_.resize(kBuffer);
    XXH3_64bits_reset(&checksum_);
  }

  void Raw(const void* data, std::size_t bytes) {
    if (!status_.ok() || bytes == 0) return;
    XXH3_64bits_update(&checksum_, data, bytes);
    written_ += bytes;
    if (used_ + bytes <= kBuffer) {
      std::memcpy(buffer_.data() + used_, data, bytes);
      used_ += bytes;
      return;
    }
    Flush();
    // Large arrays go straight from the table to the file.
    if (bytes >= kBuffer) {
      WriteAll(data, bytes);
    } else {
      std::memcpy(buffer_.data(), data, bytes);
      used_ = bytes;
    }
  }
  template <typename T>
  void Value(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    Raw(&value, sizeof(T));
  }
  void Flush() {
    if (used_ > 0) WriteAll(buffer_.data(), used_);
    used_ = 0;
  }
  std::uint32_t checksum() const { return PayloadChecksum(checksum_); }
  std::uint64_t written() const { return written_; }
  const absl::Status& status() const { return status_; }

 private:
  static constexpr std::size_t kBuffer = std::size_t{1} << 20;
  void WriteAll(const void* data, std::size_t bytes) {
    const char* p = static_cast<const char*>(data);
    while (bytes > 0 && status_.ok()) {
      const ssize_t n = write(fd_, p, bytes);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        status_ = absl::InternalError(absl::StrCat("writing the snapshot: ", std::strerror(errno)));
        return;
      }
      p += n;
      bytes -= static_cast<std::size_t>(n);
    }
  }
  int fd_;
  // A fixed buffer filled by memcpy (vector::insert here made GCC 12 at -O3
  // warn of an overflow that cannot happen).
  std::vector<char> buffer_;
  std::size_t used_ = 0;
  XXH3_state_t checksum_;
  std::uint64_t written_ = 0;
  absl::Status status_;
};

// Writes each member: arrays as (element size, count, bytes); dictionaries
// as their value lengths, then their text.
struct SaveVisit {
  Writer& out;
  template <typename Vector>
  requires kIsArray<Vector>
  void operator()(const Vector& v) {
    using T = typename Vector::value_type;
    static_assert(std::is_trivially_copyable_v<T>);
    out.Value(static_cast<std::uint32_t>(sizeof(T)));
    out.Value(static_cast<std::uint64_t>(v.size()));
    out.Raw(v.data(), v.size() * sizeof(T));
  }
  void operator()(const std::vector<bool>& v) {
    std::vector<std::uint8_t> bytes(v.begin(), v.end());
    (*this)(bytes);
  }
  void operator()(const __int128& value) { out.Value(value); }
  void operator()(const StringDictionary& d) {
    std::vector<std::uint32_t> lengths(d.size());
    std::uint64_t text = 0;
    for (std::uint32_t id = 0; id < d.size(); ++id) {
      lengths[id] = static_cast<std::uint32_t>(d.Get(id).size());
      text += lengths[id];
    }
    (*this)(lengths);
    out.Value(text);
    for (std::uint32_t id = 0; id < d.size(); ++id) out.Raw(d.Get(id).data(), d.Get(id).size());
  }
};

// Reads what SaveVisit wrote; the first error is kept and later reads do
// nothing, so the caller checks once at the end.
class Reader {
 public:
  Reader(int fd, std::uint64_t payload_bytes) : fd_(fd), left_(payload_bytes) {
    XXH3_64bits_reset(&checksum_);
  }

  bool Raw(void* data, std::size_t bytes) {
    if (!status_.ok()) return false;
    if (bytes > left_) {
      status_ = absl::DataLossError("it is truncated or damaged (a length runs past its end)");
      return false;
    }
    char* p = static_cast<char*>(data);
    std::size_t want = bytes;
    while (want > 0) {
      const ssize_t n = read(fd_, p, want);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        status_ = absl::DataLossError("it is truncated");
        return false;
      }
      p += n;
      want -= static_cast<std::size_t>(n);
    }
    XXH3_64bits_update(&checksum_, data, bytes);
    left_ -= bytes;
    return true;
  }
  template <typename T>
  T Value() {
    T value{};
    Raw(&value, sizeof(T));
    return value;
  }
  // A count of `element` bytes each that must fit in what is left.
  bool Fits(std::uint64_t count, std::size_t element) {
    if (!status_.ok()) return false;
    if (count > left_ / element) {
      status_ = absl::DataLossError("it is truncated or damaged (a length runs past its end)");
      return false;
    }
    return true;
  }
  void Fail(absl::Status status) {
    if (status_.ok()) status_ = std::move(status);
  }
  std::uint32_t checksum() const { return PayloadChecksum(checksum_); }
  std::uint64_t left() const { return left_; }
  const absl::Status& status() const { return status_; }

 private:
  int fd_;
  std::uint64_t left_;
  XXH3_state_t checksum_;
  absl::Status status_;
};

struct LoadVisit {
  Reader& in;
  template <typename Vector>
  requires kIsArray<Vector>
  void operator()(Vector& v) {
    using T = typename Vector::value_type;
    const auto element = in.Value<std::uint32_t>();
    const auto count = in.Value<std::uint64_t>();
    if (!in.status().ok()) return;
    if (element != sizeof(T)) {
      in.Fail(absl::FailedPreconditionError(
          absl::StrCat("it was written with other column types (an element of ", element,
                       " bytes where this build has ", sizeof(T), ")")));
      return;
    }
    if (!in.Fits(count, sizeof(T))) return;
    v.resize(count);
    in.Raw(v.data(), count * sizeof(T));
  }
  void operator()(std::vector<bool>& v) {
    std::vector<std::uint8_t> bytes;
    (*this)(bytes);
    v.assign(bytes.begin(), bytes.end());
  }
  void operator()(__int128& value) { value = in.Value<__int128>(); }
  void operator()(StringDictionary& d) {
    std::vector<std::uint32_t> lengths;
    (*this)(lengths);
    const auto text_bytes = in.Value<std::uint64_t>();
    if (!in.Fits(text_bytes, 1)) return;
    // Saved dictionaries hold each value once: no hash probes now (the
    // index is built when first needed), and the text is read straight
    // into the dictionary's storage (string_dictionary.h).
    if (!d.AppendUniqueText(lengths, text_bytes,
                            [&](char* text) { return in.Raw(text, text_bytes); }) &&
        in.status().ok()) {
      in.Fail(absl::DataLossError("it is damaged (a dictionary's lengths and text disagree)"));
    }
  }
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<TableSnapshot> ReadTableSnapshot(const std::string& path) {
  const Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return absl::NotFoundError("there is no snapshot file");
    return absl::DataLossError(ErrnoText("cannot open", path));
  }
  struct stat info {};
  if (fstat(fd.get(), &info) != 0) return absl::DataLossError(ErrnoText("cannot stat", path));
  posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  std::array<char, kHeaderBytes> bytes{};
  if (static_cast<std::size_t>(info.st_size) < kHeaderBytes ||
      read(fd.get(), bytes.data(), kHeaderBytes) != static_cast<ssize_t>(kHeaderBytes)) {
    return absl::DataLossError("it is truncated (shorter than its header)");
  }
  if (std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0) {
    return absl::DataLossError("it is not an engine snapshot (wrong magic bytes)");
  }
  std::uint32_t header_crc = 0;
  std::memcpy(&header_crc, bytes.data() + 28, 4);
  if (header_crc != crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), 28)) {
    return absl::DataLossError("its header is damaged (checksum mismatch)");
  }
  Header header;
  std::memcpy(&header.version, bytes.data() + 8, 4);
  std::memcpy(&header.payload_bytes, bytes.data() + 16, 8);
  std::memcpy(&header.payload_crc, bytes.data() + 24, 4);
  if (header.version != kSnapshotFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat("it has format version ", header.version,
                                                      ", this build reads version ",
                                                      kSnapshotFormatVersion));
  }
  if (header.payload_bytes != static_cast<std::uint64_t>(info.st_size) - kHeaderBytes) {
    return absl::DataLossError(absl::StrCat("it is truncated or extended (", info.st_size,
                                            " bytes, the header says ",
                                            header.payload_bytes + kHeaderBytes, ")"));
  }
  Reader in(fd.get(), header.payload_bytes);
  TableSnapshot snapshot;
  const auto id_bytes = in.Value<std::uint32_t>();
  if (in.Fits(id_bytes, 1)) {
    snapshot.position.database_id.resize(id_bytes);
    in.Raw(snapshot.position.database_id.data(), id_bytes);
  }
  snapshot.position.change = in.Value<std::int64_t>();
  snapshot.position.change_nonce = in.Value<std::int64_t>();
  snapshot.position.last_batch = in.Value<std::int64_t>();
  snapshot.table = std::make_unique<LineTable>();
  LoadVisit visit{in};
  SnapshotAccess::Members(*snapshot.table, visit);
  const auto end = in.Value<std::uint32_t>();
  if (!in.status().ok()) return in.status();
  if (in.checksum() != header.payload_crc) {
    return absl::DataLossError("it is damaged (payload checksum mismatch)");
  }
  if (end != kEndMarker || in.left() != 0) {
    return absl::DataLossError("it is damaged (no end marker where expected)");
  }
  return snapshot;
}

absl::StatusOr<std::string> WriteTableSnapshotTemp(const std::string& path, const LineTable& table,
                                                   const StorePosition& position) {
  std::string temp = absl::StrCat(path, ".tmp");
  Fd fd(open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return absl::InternalError(ErrnoText("cannot create", temp));
  const auto fail = [&](absl::Status status) {
    std::filesystem::remove(temp);
    return status;
  };
  // The header is written last, once the payload's length and CRC are known.
  if (lseek(fd.get(), kHeaderBytes, SEEK_SET) != static_cast<off_t>(kHeaderBytes)) {
    return fail(absl::InternalError(ErrnoText("cannot seek in", temp)));
  }
  Writer out(fd.get());
  out.Value(static_cast<std::uint32_t>(position.database_id.size()));
  out.Raw(position.database_id.data(), position.database_id.size());
  out.Value(position.change);
  out.Value(position.change_nonce);
  out.Value(position.last_batch);
  SaveVisit visit{out};
  SnapshotAccess::Members(table, visit);
  out.Value(kEndMarker);
  out.Flush();
  if (!out.status().ok()) return fail(out.status());
  const std::array<char, kHeaderBytes> header = EncodeHeader({.version = kSnapshotFormatVersion,
                                                              .payload_bytes = out.written(),
                                                              .payload_crc = out.checksum()});
  if (pwrite(fd.get(), header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
    return fail(absl::InternalError(ErrnoText("cannot write the header of", temp)));
  }
  if (close(fd.release()) != 0) return fail(absl::InternalError(ErrnoText("cannot close", temp)));
  return temp;
}

namespace {

absl::Status SyncFolderOf(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::filesystem::path folder = parent.empty() ? std::filesystem::path(".") : parent;
  const Fd dir(open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || fsync(dir.get()) != 0) {
    return absl::InternalError(ErrnoText("cannot fsync the folder", folder.string()));
  }
  return absl::OkStatus();
}

absl::Status SyncFile(const std::string& path) {
  const Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0 || fsync(fd.get()) != 0) {
    return absl::InternalError(ErrnoText("cannot fsync", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PublishTableSnapshot(const std::string& temp, const std::string& path) {
  if (absl::Status s = SyncFile(temp); !s.ok()) {
    std::filesystem::remove(temp);
    return s;
  }
  if (absl::Status s = RenameTableSnapshot(temp, path); !s.ok()) return s;
  // The rename itself is durable once the folder is.
  return SyncFolderOf(path);
}

absl::Status RenameTableSnapshot(const std::string& temp, const std::string& path) {
  if (rename(temp.c_str(), path.c_str()) != 0) {
    absl::Status status = absl::InternalError(ErrnoText("cannot rename to", path));
    std::filesystem::remove(temp);
    return status;
  }
  return absl::OkStatus();
}

absl::Status SyncTableSnapshot(const std::string& path) {
  if (absl::Status s = SyncFile(path); !s.ok()) return s;
  return SyncFolderOf(path);
}

}  // namespace analytics::columnar
