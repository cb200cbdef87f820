#include "cli/args.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace analytics::cli {
namespace {

constexpr char kUsagePayload[] = "analytics-cli/usage";

const FlagSpec* Find(std::span<const FlagSpec> specs, std::string_view name) {
  for (const FlagSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace

absl::Status UsageError(std::string_view message) {
  absl::Status status = absl::InvalidArgumentError(std::string(message));
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

bool ParsedArgs::Has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::optional<std::string> ParsedArgs::Value(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::Values(std::string_view name) const {
  const auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

absl::StatusOr<std::optional<std::int64_t>> ParsedArgs::Int(std::string_view name) const {
  const std::optional<std::string> text = Value(name);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || ec != std::errc() || ptr != end) {
    return UsageError(absl::StrCat("--", std::string(name), ": not an integer: \"", *text, "\""));
  }
  return value;
}

absl::StatusOr<std::optional<std::int64_t>> ParsedArgs::IntInRange(std::string_view name,
                                                                   std::int64_t min,
                                                                   std::int64_t max) const {
  absl::StatusOr<std::optional<std::int64_t>> value = Int(name);
  if (value.ok() && *value && (**value < min || **value > max)) {
    return UsageError(
        absl::StrCat("--", std::string(name), ": must be between ", min, " and ", max));
  }
  return value;
}

absl::StatusOr<std::optional<double>> ParsedArgs::Number(std::string_view name) const {
  const std::optional<std::string> text = Value(name);
  if (!text) return std::nullopt;
  double value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return UsageError(absl::StrCat("--", std::string(name), ": not a number: \"", *text, "\""));
  }
  return value;
}

absl::StatusOr<std::optional<std::chrono::milliseconds>> ParsedArgs::Duration(
    std::string_view name) const {
  const std::optional<std::string> text = Value(name);
  if (!text) return std::nullopt;
  absl::StatusOr<std::chrono::milliseconds> duration = ParseDuration(*text);
  if (!duration.ok()) {
    return UsageError(absl::StrCat("--", std::string(name), ": ", duration.status().message()));
  }
  return *duration;
}

absl::StatusOr<ParsedArgs> ParseArgs(std::span<const std::string> args,
                                     std::span<const FlagSpec> specs) {
  ParsedArgs parsed;
  bool flags_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_ended || arg == "-" || arg.empty() || arg[0] != '-') {
      parsed.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    if (arg == "-h") {
      parsed.values_["help"];
      continue;
    }
    if (arg.size() < 3 || arg[1] != '-') {
      return UsageError(absl::StrCat("unknown flag ", arg, " (flags are spelled --name)"));
    }
    const std::size_t equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? equals : equals - 2);
    const FlagSpec* spec = Find(specs, name);
    if (spec == nullptr) return UsageError(absl::StrCat("unknown flag --", name));
    std::vector<std::string>& values = parsed.values_[name];
    if (!spec->takes_value()) {
      if (equals != std::string::npos) {
        return UsageError(absl::StrCat("--", name, " takes no value"));
      }
      continue;
    }
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return UsageError(absl::StrCat("--", name, " needs a value (", spec->value_name, ")"));
    }
    if (spec->list) {
      for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        values.emplace_back(part);
      }
    } else {
      values.push_back(std::move(value));
    }
  }
  return parsed;
}

absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
    ++digits;
  }
  double amount = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, amount);
  const std::string_view unit = text.substr(digits);
  double unit_ms = 0;
  if (unit.empty() || unit == "s") {
    unit_ms = 1000;
  } else if (unit == "ms") {
    unit_ms = 1;
  } else if (unit == "m") {
    unit_ms = 60'000;
  } else if (unit == "h") {
    unit_ms = 3'600'000;
  }
  if (digits == 0 || ec != std::errc() || ptr != text.data() + digits || unit_ms == 0 ||
      amount * unit_ms > 1e12) {
    return absl::InvalidArgumentError(absl::StrCat("not a duration: \"", std::string(text),
                                                   "\" (use e.g. 30s, 500ms, 2m or seconds)"));
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(amount * unit_ms)));
}

std::string FormatFlagHelp(std::span<const FlagSpec> specs) {
  std::vector<std::pair<std::string, std::string>> lines;
  std::size_t width = 0;
  for (const FlagSpec& spec : specs) {
    std::string left = absl::StrCat("  --", spec.name);
    if (spec.takes_value()) absl::StrAppend(&left, " ", spec.value_name);
    width = std::max(width, left.size());
    lines.emplace_back(std::move(left), spec.help);
  }
  std::string out;
  for (const auto& [left, help] : lines) {
    absl::StrAppend(&out, left, std::string(width - left.size() + 2, ' '), help, "\n");
  }
  return out;
}

}  // namespace analytics::cli
