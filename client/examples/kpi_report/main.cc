// kpi_report: prints the headline KPIs of a customer analytics server.
//
// The smallest useful consumer of the installed client library, showing the
// whole pattern: construct an AnalyticsClient, fill a request message, check
// the returned absl::StatusOr, read exact money from the `*_micros` fields.
//
//   kpi_report --server localhost:50051 [--from 2024-01-01] [--to 2024-12-31]
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "customer_analytics/client.h"

namespace {

// Micro-units to a decimal string with two or more decimals, exactly.
std::string Money(std::int64_t micros) {
  const bool negative = micros < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  std::string fraction = std::to_string(magnitude % 1'000'000);
  fraction.insert(0, 6 - fraction.size(), '0');
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  return (negative ? "-" : "") + std::to_string(magnitude / 1'000'000) + "." + fraction;
}

int UsageError(std::string_view message) {
  std::cerr << "kpi_report: " << message
            << "\nusage: kpi_report --server HOST:PORT [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string server = "localhost:50051";
  customer_analytics::v1::GetKpisRequest request;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) return UsageError("missing value or unknown flag: " + std::string(flag));
    const std::string value = argv[++i];
    if (flag == "--server") {
      server = value;
    } else if (flag == "--from") {
      request.mutable_filter()->set_start_date(value);
    } else if (flag == "--to") {
      request.mutable_filter()->set_end_date(value);
    } else {
      return UsageError("unknown flag: " + std::string(flag));
    }
  }

  const customer_analytics::AnalyticsClient client(server);
  const absl::StatusOr<customer_analytics::v1::GetKpisResponse> kpis = client.GetKpis(request);
  if (!kpis.ok()) {
    std::cerr << "kpi_report: " << absl::StatusCodeToString(kpis.status().code()) << ": "
              << kpis.status().message() << "\n";
    return 1;
  }
  const customer_analytics::v1::Measures& m = kpis->current();
  std::cout << "period: " << kpis->period_start_date() << " .. " << kpis->period_end_date() << "\n"
            << "revenue: " << Money(m.revenue_micros()) << "\n"
            << "profit: " << Money(m.profit_micros()) << "\n"
            << "orders: " << m.orders() << "\n"
            << "customers: " << m.customers() << "\n"
            << "units: " << m.units() << "\n";
  return 0;
}
