// The loading subcommands: seed, ingest (JSON lines), import (CSV file).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <ostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/handlers.h"
#include "cli/progress.h"
#include "cli/requests.h"
#include "google/protobuf/util/json_util.h"

namespace analytics::cli {
namespace {

// An input stream that is either the given file or stdin ("-" or absent).
class Input {
 public:
  Input(const std::optional<std::string>& path, std::istream& stdin_stream)
      : path_(path && *path != "-" ? *path : "") {
    if (!path_.empty()) file_.open(path_, std::ios::binary);
    stream_ = path_.empty() ? &stdin_stream : &file_;
  }
  // stream_ may point into this object.
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  absl::Status OpenStatus() const {
    if (path_.empty() || file_.is_open()) return absl::OkStatus();
    return absl::NotFoundError(absl::StrCat("cannot open ", path_));
  }
  std::istream& stream() { return *stream_; }
  // Size of a regular file, for progress; unknown for stdin and pipes.
  std::optional<std::int64_t> Size() const {
    std::error_code error;
    if (path_.empty() || !std::filesystem::is_regular_file(path_, error)) return std::nullopt;
    const auto size = std::filesystem::file_size(path_, error);
    if (error) return std::nullopt;
    return static_cast<std::int64_t>(size);
  }

 private:
  std::string path_;
  std::ifstream file_;
  std::istream* stream_;
};

// The input line of the `record`-th record (1-based), given the ascending
// input lines that held no record.
std::int64_t InputLineOfRecord(std::int64_t record, const std::vector<std::int64_t>& skipped) {
  std::int64_t line = record;
  for (const std::int64_t blank : skipped) {
    if (blank > line) break;
    ++line;
  }
  return line;
}

}  // namespace

absl::Status RunSeed(const CommandContext& context) {
  const ParsedArgs& args = context.args;
  v1::SeedDemoDataRequest request;
  constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
  // The server checks the real limits; these only keep values in the field types.
  const auto seed = args.IntInRange("seed", std::numeric_limits<std::int64_t>::min(),
                                    std::numeric_limits<std::int64_t>::max());
  if (!seed.ok()) return seed.status();
  if (*seed) request.set_seed(**seed);
  const auto lines = args.IntInRange("lines", 0, std::numeric_limits<std::int64_t>::max());
  if (!lines.ok()) return lines.status();
  if (*lines) request.set_line_count(**lines);
  const auto customers = args.IntInRange("customers", 0, std::numeric_limits<std::int64_t>::max());
  if (!customers.ok()) return customers.status();
  if (*customers) request.set_customer_count(**customers);
  const auto span_days = args.IntInRange("span-days", 0, kInt32Max);
  if (!span_days.ok()) return span_days.status();
  if (*span_days) request.set_span_days(static_cast<std::int32_t>(**span_days));
  if (const auto end = args.Value("end-date")) {
    if (absl::Status s = CheckDateFlag("end-date", *end); !s.ok()) return s;
    request.set_end_date(*end);
  }
  request.set_replace(args.Has("replace"));
  const absl::StatusOr<v1::SeedDemoDataResponse> response =
      context.client.SeedDemoData(request, context.call);
  if (!response.ok()) return response.status();
  Print(context, *response, RenderSeed);
  return absl::OkStatus();
}

absl::Status RunIngest(const CommandContext& context) {
  const ParsedArgs& args = context.args;
  const absl::StatusOr<std::optional<std::int64_t>> batch_flag =
      args.IntInRange("batch-size", 1, customer_analytics::kMaxLinesPerBatch);
  if (!batch_flag.ok()) return batch_flag.status();
  const std::int64_t batch_size = batch_flag->value_or(1000);
  Input input(
      args.positional().empty() ? std::nullopt : std::optional<std::string>(args.positional()[0]),
      context.io.in);
  if (absl::Status open = input.OpenStatus(); !open.ok()) return open;

  // One JSON object per line: the proto3 JSON form of an OrderLine. Parsing
  // stays protobuf's job, so the accepted spelling is exactly the API's.
  std::int64_t line_number = 0;
  // The input lines that are no record (blank, '#'): the server numbers
  // rejected lines by record, and the report must name the file's lines.
  std::vector<std::int64_t> skipped_lines;
  std::string line;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const std::string key_source = args.Value("source").value_or("");
  const auto source = [&](v1::IngestTransactionsRequest& batch) -> absl::StatusOr<bool> {
    // Every message names it: the server takes the first's and accepts repeats.
    if (!key_source.empty()) batch.set_source(key_source);
    while (batch.lines_size() < batch_size && std::getline(input.stream(), line)) {
      ++line_number;
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') {
        skipped_lines.push_back(line_number);
        continue;
      }
      const auto status =
          google::protobuf::util::JsonStringToMessage(line, batch.add_lines(), options);
      if (!status.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("input line ", line_number, ": not an OrderLine JSON object: ",
                         std::string(status.message()), " (nothing was written)"));
      }
    }
    if (input.stream().bad()) return absl::DataLossError("cannot read the input");
    return batch.lines_size() > 0;
  };
  absl::StatusOr<v1::IngestTransactionsResponse> response =
      context.client.IngestTransactions(source, context.call);
  if (!response.ok()) return response.status();
  for (v1::RejectedLine& rejected : *response->mutable_rejected_lines()) {
    rejected.set_line_number(InputLineOfRecord(rejected.line_number(), skipped_lines));
  }
  Print(context, *response, RenderIngest);
  context.io.err << ReassignedWarning(response->reassigned(), response->reassigned_lines(),
                                      /*dry_run=*/false);
  return absl::OkStatus();
}

absl::Status RunImport(const CommandContext& context) {
  const ParsedArgs& args = context.args;
  v1::ImportCsvOptions options;
  if (const auto order = args.Value("date-order")) {
    const absl::StatusOr<int> value =
        ParseEnumChoice("--date-order", *order, *v1::DateOrder_descriptor(), "DATE_ORDER_");
    if (!value.ok()) return value.status();
    options.set_date_order(static_cast<v1::DateOrder>(*value));
  }
  if (const auto encoding = args.Value("encoding")) {
    const absl::StatusOr<int> value =
        ParseEnumChoice("--encoding", *encoding, *v1::Encoding_descriptor(), "ENCODING_");
    if (!value.ok()) return value.status();
    options.set_encoding(static_cast<v1::Encoding>(*value));
  }
  options.set_skip_invalid(args.Has("skip-invalid"));
  options.set_dry_run(args.Has("dry-run"));
  if (const auto key_source = args.Value("source")) options.set_source(*key_source);
  const absl::StatusOr<std::optional<std::int64_t>> chunk_kib =
      args.IntInRange("chunk-size", 1, 4096);
  if (!chunk_kib.ok()) return chunk_kib.status();
  const std::int64_t chunk_bytes = chunk_kib->value_or(64) * 1024;

  Input input(args.positional().at(0), context.io.in);
  if (absl::Status open = input.OpenStatus(); !open.ok()) return open;
  const bool quiet = args.Has("quiet");
  ImportProgress progress(context.io.err, context.io.err_is_terminal, input.Size());
  LineCounter lines;
  const auto source = [&](std::string& chunk) -> absl::StatusOr<bool> {
    chunk.resize(static_cast<std::size_t>(chunk_bytes));
    input.stream().read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<std::size_t>(input.stream().gcount()));
    if (input.stream().bad()) return absl::DataLossError("cannot read the CSV input");
    lines.Add(chunk);
    return !chunk.empty();
  };
  std::int64_t sent = 0;
  const auto on_progress = [&](std::int64_t bytes) {
    sent = bytes;
    if (!quiet) progress.Update(bytes, lines.lines());
  };
  const absl::StatusOr<v1::ImportCsvResponse> response =
      context.client.ImportCsv(source, options, on_progress, context.call);
  // The upload is over (the server has answered): print the last totals once.
  if (!quiet && sent > 0) progress.Finish();
  if (!response.ok()) return response.status();
  Print(context, *response, [&](const v1::ImportCsvResponse& r, OutputFormat format) {
    return RenderImport(r, options.dry_run(), format);
  });
  context.io.err << ReassignedWarning(response->reassigned(), response->reassigned_lines(),
                                      options.dry_run());
  if (!response->committed() && !options.dry_run()) {
    return absl::FailedPreconditionError(
        absl::StrCat("nothing was written: ", response->rejected(),
                     " line(s) rejected (fix them, or pass --skip-invalid to load the rest)"));
  }
  return absl::OkStatus();
}

}  // namespace analytics::cli
