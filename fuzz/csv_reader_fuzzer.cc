// libFuzzer target: the incremental CSV tokenizer (import/csv_reader.h).
// The first byte picks the chunk size, so the same bytes are also fed cut at
// odd places (inside quotes, between CR and LF). Checks beyond "no crash, no
// sanitizer report": the limits hold for every record, and the records do not
// depend on where the input was cut.
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "import/csv_reader.h"

namespace {

using analytics::CsvLimits;
using analytics::CsvReader;
using analytics::CsvRecord;

struct Result {
  std::vector<std::vector<std::string>> records;
  bool ok = true;
};

Result Tokenize(std::string_view bytes, std::size_t chunk, const CsvLimits& limits) {
  Result result;
  CsvReader reader(limits);
  const auto sink = [&](const CsvRecord& record) -> absl::Status {
    if (record.size() > limits.max_fields) std::abort();
    std::vector<std::string> fields;
    for (std::size_t i = 0; i < record.size(); ++i) {
      if (record[i].size() > limits.max_field_bytes) std::abort();
      fields.emplace_back(record[i]);
    }
    result.records.push_back(std::move(fields));
    return absl::OkStatus();
  };
  for (std::size_t pos = 0; pos < bytes.size() && result.ok; pos += chunk) {
    result.ok = reader.Feed(bytes.substr(pos, chunk), sink).ok();
  }
  if (result.ok) result.ok = reader.Finish(sink).ok();
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  analytics::fuzz::FuzzInput input(data, size);
  const std::size_t chunk = 1 + input.Byte() % 64;
  // Small limits, so the fuzzer reaches them with small inputs.
  const CsvLimits limits{.max_field_bytes = 64, .max_record_bytes = 256, .max_fields = 16};
  const std::string_view bytes = input.Rest();
  const Result cut = Tokenize(bytes, chunk, limits);
  const Result whole = Tokenize(bytes, bytes.size() + 1, limits);
  if (cut.ok != whole.ok) std::abort();
  if (whole.ok && cut.records != whole.records) std::abort();
  return 0;
}
