#include "common/line_spool.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace analytics {
namespace {

// Record layout: the string fields as (uint32 length, bytes), then the
// integer fields, all in host byte order (the file never leaves the process).
void PutString(std::string& out, const std::string& s) {
  const auto length = static_cast<std::uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&length), sizeof length);
  out.append(s);
}

template <typename T>
void PutInt(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

// Works for const and mutable lines alike.
template <typename Line, typename Fn>
void ForEachString(Line& line, Fn fn) {
  for (auto* s :
       {&line.line_key, &line.order_id, &line.ship_mode, &line.customer_id, &line.customer_name,
        &line.segment, &line.country, &line.region, &line.state, &line.city, &line.postal_code,
        &line.product_id, &line.category, &line.sub_category, &line.product_name}) {
    fn(*s);
  }
}

class SpoolReader final : public LineSource {
 public:
  SpoolReader(std::FILE* file, std::int64_t count) : file_(file), remaining_(count) {
    std::rewind(file_);
  }

  bool Next(OrderLine& line) override {
    if (remaining_ <= 0) return false;
    --remaining_;
    bool ok = true;
    ForEachString(line, [&](std::string& s) {
      std::uint32_t length = 0;
      ok = ok && fread_unlocked(&length, sizeof length, 1, file_) == 1;
      if (!ok) return;
      s.resize(length);
      ok = length == 0 || fread_unlocked(s.data(), 1, length, file_) == length;
    });
    std::int32_t has_ship_date = 0;
    std::int32_t ship_date = 0;
    ok = ok && Read(line.order_date) && Read(has_ship_date) && Read(ship_date) &&
         Read(line.sales) && Read(line.quantity) && Read(line.discount) && Read(line.profit);
    line.ship_date = has_ship_date ? std::optional<Day>(ship_date) : std::nullopt;
    // A short read means the temp file was damaged underneath us; stop the
    // stream rather than hand out a half-read line, and say so.
    if (!ok) {
      remaining_ = 0;
      status_ = absl::DataLossError(
          std::ferror(file_) != 0
              ? absl::StrCat("cannot read the temporary spool file: ", std::strerror(errno))
              : std::string("the temporary spool file is shorter than what was written"));
    }
    return ok;
  }

  absl::Status status() const override { return status_; }

 private:
  // Unlocked: one reader owns the file while it replays (see line_spool.h),
  // and ~40 locked freads per line were a tenth of a bulk write's time.
  template <typename T>
  bool Read(T& value) {
    return fread_unlocked(&value, sizeof value, 1, file_) == 1;
  }
  std::FILE* file_;
  std::int64_t remaining_;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<LineSpool> LineSpool::Create() {
  std::FILE* file = std::tmpfile();
  if (file == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot create a temporary spool file: ", std::strerror(errno)));
  }
  // A large buffer: a million-line spool is written and read in ~1 MiB
  // system calls instead of 4 KiB ones.
  std::setvbuf(file, nullptr, _IOFBF, std::size_t{1} << 20);
  return LineSpool(file);
}

absl::Status LineSpool::Append(const OrderLine& line) {
  std::string& record = record_;  // reused: no allocation per line
  record.clear();
  ForEachString(line, [&](const std::string& s) { PutString(record, s); });
  PutInt(record, line.order_date);
  PutInt(record, std::int32_t{line.ship_date.has_value()});
  PutInt(record, line.ship_date.value_or(0));
  PutInt(record, line.sales);
  PutInt(record, line.quantity);
  PutInt(record, line.discount);
  PutInt(record, line.profit);
  if (replayed_) {
    std::fseek(file_.get(), 0, SEEK_END);
    replayed_ = false;
  }
  if (std::fwrite(record.data(), 1, record.size(), file_.get()) != record.size()) {
    return absl::ResourceExhaustedError("cannot write to the temporary spool file (disk full?)");
  }
  ++count_;
  return absl::OkStatus();
}

std::unique_ptr<LineSource> LineSpool::Replay() {
  std::fflush(file_.get());
  replayed_ = true;
  return std::make_unique<SpoolReader>(file_.get(), count_);
}

}  // namespace analytics
