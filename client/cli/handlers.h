// What each analytics-cli subcommand does once its flags are parsed: build
// the request, call the client, print the response. Shared between the
// command table (commands.cc) and the handler files (read_commands.cc for the
// queries, write_commands.cc for seed, ingest and import).
#pragma once

#include "absl/status/status.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/render.h"
#include "customer_analytics/client.h"

namespace analytics::cli {

struct CommandContext {
  const ParsedArgs& args;
  const customer_analytics::AnalyticsClient& client;
  // Carries the deadline (from --timeout or the command's default).
  const customer_analytics::CallOptions& call;
  OutputFormat format;
  const CliIo& io;
};

// Each returns OK after printing the result, a UsageError for bad flag values,
// or the failing status (from the server, or from reading input).
absl::Status RunSeed(const CommandContext& context);
absl::Status RunIngest(const CommandContext& context);
absl::Status RunImport(const CommandContext& context);
absl::Status RunKpis(const CommandContext& context);
absl::Status RunBreakdown(const CommandContext& context);
absl::Status RunTrend(const CommandContext& context);
absl::Status RunRfm(const CommandContext& context);
absl::Status RunCustomers(const CommandContext& context);
absl::Status RunCustomer(const CommandContext& context);
// Predictions (clv), cohorts, migration: read_commands.cc.
absl::Status RunClv(const CommandContext& context);
absl::Status RunCohorts(const CommandContext& context);
absl::Status RunMigration(const CommandContext& context);

// Prints `message` as JSON, or with `render` as a table or CSV.
template <typename Response, typename Render>
void Print(const CommandContext& context, const Response& response, Render render) {
  context.io.out << (context.format == OutputFormat::kJson ? RenderJson(response)
                                                           : render(response, context.format));
}

}  // namespace analytics::cli
