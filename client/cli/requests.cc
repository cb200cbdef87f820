#include "cli/requests.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace analytics::cli {
namespace {

std::string Kebab(std::string_view enum_name, std::string_view prefix) {
  std::string out(enum_name.substr(prefix.size()));
  for (char& c : out) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  return out;
}

// Copies a list flag's values into a repeated proto field.
void CopyList(const ParsedArgs& args, std::string_view flag,
              google::protobuf::RepeatedPtrField<std::string>* field) {
  for (const std::string& value : args.Values(flag)) field->Add(std::string(value));
}

}  // namespace

std::vector<FlagSpec> FilterFlags() {
  return {
      {"from", "DATE", "first order date included, YYYY-MM-DD"},
      {"to", "DATE", "last order date included, YYYY-MM-DD"},
      {"region", "NAME", "only these regions (repeat or comma-separate)", true},
      {"category", "NAME", "only these categories", true},
      {"sub-category", "NAME", "only these sub-categories", true},
      {"segment", "NAME", "only these business segments (Consumer, Corporate, ...)", true},
      {"state", "NAME", "only these states", true},
  };
}

std::vector<FlagSpec> RfmFlags() {
  return {
      {"as-of", "DATE", "compute RFM as of this day (default: the latest order date)"},
      {"gold-min-frequency", "N", "Gold needs at least N orders (default 5)"},
      {"gold-min-monetary", "AMOUNT", "Gold needs monetary above AMOUNT (default 2000)"},
      {"silver-min-frequency", "N", "Silver needs at least N orders (default 2)"},
  };
}

absl::Status CheckDateFlag(std::string_view flag, std::string_view text) {
  const bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                     std::all_of(text.begin(), text.end(), [](char c) {
                       return c == '-' || std::isdigit(static_cast<unsigned char>(c));
                     });
  if (shape) return absl::OkStatus();
  return UsageError(absl::StrCat("--", std::string(flag), ": not a date: \"", std::string(text),
                                 "\" (use YYYY-MM-DD)"));
}

absl::StatusOr<v1::Filter> BuildFilter(const ParsedArgs& args) {
  v1::Filter filter;
  if (const auto from = args.Value("from")) {
    if (absl::Status s = CheckDateFlag("from", *from); !s.ok()) return s;
    filter.set_start_date(*from);
  }
  if (const auto to = args.Value("to")) {
    if (absl::Status s = CheckDateFlag("to", *to); !s.ok()) return s;
    filter.set_end_date(*to);
  }
  CopyList(args, "region", filter.mutable_regions());
  CopyList(args, "category", filter.mutable_categories());
  CopyList(args, "sub-category", filter.mutable_sub_categories());
  CopyList(args, "segment", filter.mutable_segments());
  CopyList(args, "state", filter.mutable_states());
  return filter;
}

absl::StatusOr<v1::RfmOptions> BuildRfmOptions(const ParsedArgs& args) {
  v1::RfmOptions rfm;
  if (const auto as_of = args.Value("as-of")) {
    if (absl::Status s = CheckDateFlag("as-of", *as_of); !s.ok()) return s;
    rfm.set_as_of_date(*as_of);
  }
  const absl::StatusOr<std::optional<std::int64_t>> gold_frequency = args.Int("gold-min-frequency");
  if (!gold_frequency.ok()) return gold_frequency.status();
  if (*gold_frequency) rfm.mutable_thresholds()->set_gold_min_frequency(**gold_frequency);
  const absl::StatusOr<std::optional<double>> gold_monetary = args.Number("gold-min-monetary");
  if (!gold_monetary.ok()) return gold_monetary.status();
  if (*gold_monetary) rfm.mutable_thresholds()->set_gold_min_monetary(**gold_monetary);
  const absl::StatusOr<std::optional<std::int64_t>> silver_frequency =
      args.Int("silver-min-frequency");
  if (!silver_frequency.ok()) return silver_frequency.status();
  if (*silver_frequency) rfm.mutable_thresholds()->set_silver_min_frequency(**silver_frequency);
  return rfm;
}

std::vector<std::string> EnumChoices(const google::protobuf::EnumDescriptor& descriptor,
                                     std::string_view prefix) {
  std::vector<std::string> out;
  for (int i = 0; i < descriptor.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor& value = *descriptor.value(i);
    if (value.number() != 0) out.push_back(Kebab(value.name(), prefix));
  }
  return out;
}

std::string ChoiceList(const google::protobuf::EnumDescriptor& descriptor,
                       std::string_view prefix) {
  return absl::StrJoin(EnumChoices(descriptor, prefix), "|");
}

absl::StatusOr<int> ParseEnumChoice(std::string_view flag, std::string_view text,
                                    const google::protobuf::EnumDescriptor& descriptor,
                                    std::string_view prefix) {
  std::string wanted(text);
  for (char& c : wanted) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  for (int i = 0; i < descriptor.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor& value = *descriptor.value(i);
    if (value.number() != 0 && Kebab(value.name(), prefix) == wanted) return value.number();
  }
  return UsageError(absl::StrCat(std::string(flag), ": unknown value \"", std::string(text),
                                 "\" (choose from ", ChoiceList(descriptor, prefix), ")"));
}

std::string EnumChoiceName(const google::protobuf::EnumDescriptor& descriptor,
                           std::string_view prefix, int value) {
  const google::protobuf::EnumValueDescriptor* found = descriptor.FindValueByNumber(value);
  return found == nullptr || value == 0 ? "" : Kebab(found->name(), prefix);
}

absl::StatusOr<v1::Measure> ParseMeasure(std::string_view text) {
  if (text == "aov") return v1::MEASURE_AVERAGE_ORDER_VALUE;
  const absl::StatusOr<int> value =
      ParseEnumChoice("--sort", text, *v1::Measure_descriptor(), "MEASURE_");
  if (!value.ok()) return value.status();
  return static_cast<v1::Measure>(*value);
}

}  // namespace analytics::cli
