// The filter every read query takes: it narrows order lines before any
// aggregation. Empty lists and unset dates mean "no restriction".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/civil_day.h"

namespace analytics {

struct Filter {
  std::optional<Day> start;  // inclusive
  std::optional<Day> end;    // inclusive
  std::vector<std::string> regions;
  std::vector<std::string> categories;
  std::vector<std::string> sub_categories;
  std::vector<std::string> segments;
  std::vector<std::string> states;
  // Not exposed as an API filter; used for single-customer reports.
  std::vector<std::string> customer_ids;

  friend bool operator==(const Filter&, const Filter&) = default;
};

}  // namespace analytics
