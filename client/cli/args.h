// Command-line parsing of analytics-cli: a small, strict, declarative parser.
//
// A command declares its flags as FlagSpecs; ParseArgs turns argv into a
// ParsedArgs or a usage error. Accepted forms: `--name value`, `--name=value`,
// `--flag` (boolean), `-h` for `--help`, and `--` to end the flags. List
// flags may repeat and split their values on commas (`--region East,West
// --region South`). Anything unknown is an error, never silently ignored:
// a mistyped filter that was dropped would give a plausible wrong answer.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace analytics::cli {

struct FlagSpec {
  // Without the dashes: "region" for --region.
  std::string name;
  // Placeholder shown in help ("DATE"); empty for a boolean flag.
  std::string value_name;
  std::string help;
  // May repeat; values are split on commas and accumulate.
  bool list = false;

  bool takes_value() const { return !value_name.empty(); }
};

class ParsedArgs {
 public:
  bool Has(std::string_view name) const;
  // The last value given for `name`.
  std::optional<std::string> Value(std::string_view name) const;
  // Every value given for `name`, in order (list flags already split).
  std::vector<std::string> Values(std::string_view name) const;
  const std::vector<std::string>& positional() const { return positional_; }

  // Typed views of Value(); a value that does not parse is a usage error
  // naming the flag.
  absl::StatusOr<std::optional<std::int64_t>> Int(std::string_view name) const;
  // Int() limited to [min, max], bounds included.
  absl::StatusOr<std::optional<std::int64_t>> IntInRange(std::string_view name, std::int64_t min,
                                                         std::int64_t max) const;
  absl::StatusOr<std::optional<double>> Number(std::string_view name) const;
  absl::StatusOr<std::optional<std::chrono::milliseconds>> Duration(std::string_view name) const;

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(std::span<const std::string> args,
                                              std::span<const FlagSpec> specs);
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positional_;
};

// Parses `args` (without the program name) against `specs`.
absl::StatusOr<ParsedArgs> ParseArgs(std::span<const std::string> args,
                                     std::span<const FlagSpec> specs);

// Parses "30s", "500ms", "2m", "1h" or a plain number of seconds ("2.5").
absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

// A usage error: exit code 2 and the command's usage hint, as opposed to an
// error reported by the server. Marked with a status payload so that it stays
// distinguishable from a server's INVALID_ARGUMENT.
absl::Status UsageError(std::string_view message);
bool IsUsageError(const absl::Status& status);

// The "Flags:" section of a help text: one line per flag, help aligned.
std::string FormatFlagHelp(std::span<const FlagSpec> specs);

}  // namespace analytics::cli
