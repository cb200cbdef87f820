// From parsed flags to API requests: the filter flags shared by the read
// commands, the RFM flags, and enum flags spelled in kebab-case.
//
// Enum flag values come from the proto's own enum descriptors ("sub-category"
// for DIMENSION_SUB_CATEGORY), so the CLI accepts and lists exactly what the
// API defines, and a new enum value needs no CLI change.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/args.h"
#include "customer_analytics/v1/analytics_service.pb.h"
#include "google/protobuf/descriptor.h"

namespace analytics::cli {

namespace v1 = ::customer_analytics::v1;

// --from --to --region --category --sub-category --segment --state
std::vector<FlagSpec> FilterFlags();
// --as-of and the tier thresholds.
std::vector<FlagSpec> RfmFlags();

absl::StatusOr<v1::Filter> BuildFilter(const ParsedArgs& args);
absl::StatusOr<v1::RfmOptions> BuildRfmOptions(const ParsedArgs& args);

// An enum's values as flag choices: DIMENSION_SUB_CATEGORY with prefix
// "DIMENSION_" -> "sub-category". The zero (unspecified) value is left out.
std::vector<std::string> EnumChoices(const google::protobuf::EnumDescriptor& descriptor,
                                     std::string_view prefix);
// "a|b|c", for help texts.
std::string ChoiceList(const google::protobuf::EnumDescriptor& descriptor, std::string_view prefix);
// Parses a choice (case-insensitive, '-' or '_'); a usage error naming `flag`
// and the valid choices otherwise.
absl::StatusOr<int> ParseEnumChoice(std::string_view flag, std::string_view text,
                                    const google::protobuf::EnumDescriptor& descriptor,
                                    std::string_view prefix);
// The choice spelling of `value` ("sub-category"); "" for unknown values.
std::string EnumChoiceName(const google::protobuf::EnumDescriptor& descriptor,
                           std::string_view prefix, int value);

// Breakdown sort keys: revenue, profit, margin, orders, customers,
// average-order-value (also "aov"), units.
absl::StatusOr<v1::Measure> ParseMeasure(std::string_view text);

// A usage error unless `text` looks like "YYYY-MM-DD" (the server checks that
// it is a real day).
absl::Status CheckDateFlag(std::string_view flag, std::string_view text);

}  // namespace analytics::cli
