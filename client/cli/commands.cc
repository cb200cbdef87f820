#include "cli/commands.h"

#include <cctype>
#include <istream>
#include <ostream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/handlers.h"
#include "cli/requests.h"
#include "customer_analytics/credentials.h"
#include "customer_analytics/error_details.h"

namespace analytics::cli {
namespace {

using Handler = absl::Status (*)(const CommandContext&);

struct Command {
  std::string name;
  std::string operands;  // "DIMENSION", "[FILE]"
  std::size_t min_operands = 0;
  std::size_t max_operands = 0;
  std::string summary;
  std::string details;
  std::vector<FlagSpec> flags;
  Handler handler = nullptr;
  // Loading data may take long: no deadline unless --timeout is given.
  bool long_running = false;
};

std::vector<FlagSpec> GlobalFlags() {
  return {
      {"server", "HOST:PORT",
       absl::StrCat("service address (env ANALYTICS_SERVER, default ", kDefaultServer, ")")},
      {"timeout", "DURATION",
       "deadline per call: 30s, 500ms, 2m (default 30s; none for seed/ingest/import)"},
      {"token", "TOKEN",
       "bearer token (env ANALYTICS_TOKEN; prefer --token-file: a command line is visible to "
       "other users)"},
      {"token-file", "FILE", "read the bearer token from FILE"},
      {"tls", "", "connect with TLS (implied by --ca and --client-cert)"},
      {"ca", "FILE", "PEM CA bundle that signed the server certificate (default: system roots)"},
      {"client-cert", "FILE", "PEM client certificate, for servers requiring mutual TLS"},
      {"client-key", "FILE", "PEM private key of --client-cert"},
      {"json", "", "print the response as proto JSON"},
      {"csv", "", "print CSV with plain numbers"},
      {"help", "", "show help (also -h)"},
  };
}

// Token and TLS settings from the flags (and ANALYTICS_TOKEN). Files are read
// here, before any call, so a wrong path fails fast without a connection.
absl::Status ApplySecurityFlags(const ParsedArgs& args, const CliIo& io,
                                customer_analytics::ClientOptions& options) {
  if (args.Has("token") && args.Has("token-file")) {
    return UsageError("--token and --token-file exclude each other");
  }
  if (std::optional<std::string> file = args.Value("token-file")) {
    absl::StatusOr<std::string> token = customer_analytics::ReadTokenFile(*file);
    if (!token.ok()) return token.status();
    options.bearer_token = *token;
  } else if (std::optional<std::string> token = args.Value("token")) {
    if (token->empty()) return UsageError("--token: empty");
    options.bearer_token = *token;
  } else if (io.token_env) {
    options.bearer_token = *io.token_env;
  }
  const customer_analytics::TlsFiles files{
      .ca_file = args.Value("ca").value_or(""),
      .client_cert_file = args.Value("client-cert").value_or(""),
      .client_key_file = args.Value("client-key").value_or(""),
  };
  if (files.client_cert_file.empty() != files.client_key_file.empty()) {
    return UsageError("--client-cert and --client-key: give both or neither");
  }
  if (args.Has("tls") || !files.ca_file.empty() || !files.client_cert_file.empty()) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        customer_analytics::TlsCredentials(files);
    if (!credentials.ok()) return credentials.status();
    options.credentials = *credentials;
  }
  return absl::OkStatus();
}

std::vector<FlagSpec> Concat(std::vector<std::vector<FlagSpec>> groups) {
  std::vector<FlagSpec> out;
  for (auto& group : groups) {
    for (FlagSpec& flag : group) out.push_back(std::move(flag));
  }
  return out;
}

// Built on demand rather than held in a global: the table is cheap and this
// keeps the program free of static initialisation order questions.
std::vector<Command> CommandTable() {
  const std::string tiers = ChoiceList(*v1::Tier_descriptor(), "TIER_");
  const std::string segments = ChoiceList(*v1::RfmSegment_descriptor(), "RFM_SEGMENT_");
  return {
      {"seed",
       "",
       0,
       0,
       "load deterministic demo data",
       "Generates synthetic order lines on the server (SeedDemoData). The same seed and\n"
       "parameters always give the same lines.",
       {{"seed", "N", "generator seed (default 0)"},
        {"lines", "N", "order lines to generate (default 1500)"},
        {"customers", "N", "customers to draw from (default 100)"},
        {"end-date", "DATE", "last day of the span (default today, UTC)"},
        {"span-days", "N", "days in the span (default 365)"},
        {"replace", "", "delete every existing line first"}},
       RunSeed,
       true},
      {"ingest",
       "[FILE]",
       0,
       1,
       "stream order lines (JSON lines) from FILE or stdin",
       "Reads one OrderLine per line in the API's JSON form and streams them in batches\n"
       "(IngestTransactions); all lines commit together, and any unreadable line\n"
       "abandons the stream so nothing is written. Blank lines and lines starting\n"
       "with '#' are skipped; rejected lines are reported by their line in the input.\n"
       "Example line:\n"
       "  "
       "{\"orderId\":\"CA-1\",\"orderDate\":\"2024-03-01\",\"customerId\":\"C-7\",\"sales\":12.5,\n"
       "   \"quantity\":2,\"profit\":3.1,\"region\":\"West\",\"category\":\"Technology\"}\n"
       "Field names may also be written in snake_case (order_id).",
       {{"batch-size", "N", "lines per message, 1..10000 (default 1000)"},
        {"source", "NAME",
         "key namespace: line ids are stored as NAME:<line_id> (letters, digits, . _ -)"}},
       RunIngest,
       true},
      {"import",
       "FILE",
       1,
       1,
       "import a CSV export (FILE or - for stdin), streamed in chunks",
       "Streams the file's bytes to the server (ImportCsv), which parses and validates\n"
       "them. Progress goes to stderr: a live bar on a terminal, plain lines otherwise.\n"
       "Without --skip-invalid the import is all-or-nothing, and a file with rejected\n"
       "lines exits 1 with nothing written. Lines that replace a stored line of another\n"
       "order or customer (Row IDs that restart in each file) are reported with a\n"
       "warning on stderr; --dry-run shows them before anything is written, and\n"
       "--source keeps each file's Row IDs apart.",
       {{"date-order", "ORDER", "dates are dmy|mdy|ymd (default: detect)"},
        {"encoding", "ENC", "utf8|latin1|windows-1252|mac-roman (default: detect)"},
        {"skip-invalid", "", "load the valid lines and report the rest"},
        {"dry-run", "", "parse and validate, write nothing; shows what would be replaced"},
        {"source", "NAME",
         "key namespace: Row IDs are stored as NAME:<Row ID> (letters, digits, . _ -)"},
        {"chunk-size", "KIB", "bytes per message in KiB (default 64)"},
        {"quiet", "", "no progress output"}},
       RunImport,
       true},
      {"kpis", "", 0, 0, "headline figures for a filter and the previous period",
       "Revenue, profit, margin, orders, customers, average order value and units for\n"
       "the period, the same length of time just before it, and the changes.",
       FilterFlags(), RunKpis},
      {"breakdown", "DIMENSION", 1, 1, "measures grouped by one dimension",
       absl::StrCat("DIMENSION is one of ", ChoiceList(*v1::Dimension_descriptor(), "DIMENSION_"),
                    "."),
       Concat({FilterFlags(),
               {{"sort", "MEASURE",
                 "revenue|profit|margin|orders|customers|aov|units (default profit)"},
                {"asc", "", "sort ascending (default descending)"},
                {"limit", "N", "keep the first N rows (default all)"}}}),
       RunBreakdown},
      {"trend", "", 0, 0, "revenue, profit and orders per period",
       "Open ends of the range take the data's first and last order dates.",
       Concat({FilterFlags(),
               {{"granularity", "UNIT",
                 absl::StrCat(ChoiceList(*v1::Granularity_descriptor(), "GRANULARITY_"),
                              " (default month)")}}}),
       RunTrend},
      {"rfm", "", 0, 0, "RFM summary: customers and revenue per tier and per segment",
       "Recency, frequency and monetary values are computed as of --as-of (default: the\n"
       "latest order date in the filtered data).",
       Concat({FilterFlags(), RfmFlags()}), RunRfm},
      {"customers", "", 0, 0, "customers with RFM scores, filtered and paginated",
       "--segment filters on the business segment like every read command; use\n"
       "--rfm-segment for the RFM segment.",
       Concat({FilterFlags(),
               RfmFlags(),
               {{"tier", "TIER", absl::StrCat("only this tier: ", tiers)},
                {"rfm-segment", "NAME", absl::StrCat("only this RFM segment: ", segments)},
                {"order-by", "\"FIELD [asc|desc]\"",
                 "sort by one field: monetary|frequency|recency_days|lifetime_revenue|"
                 "lifetime_profit|last_order_date|customer_id (default \"monetary desc\")"},
                {"limit", "N", "page size, 1..1000 (default 50)"},
                {"page-token", "TOKEN", "continue from a previous page"},
                {"all", "", "fetch every page"}}}),
       RunCustomers},
      {"customer", "ID", 1, 1, "one customer's profile and categories",
       "Scores are relative to the customers the filter selects.",
       Concat({FilterFlags(), RfmFlags()}), RunCustomer},
      {"clv", "", 0, 0, "predicted P(alive), purchases and lifetime value per customer",
       "BG/NBD and Gamma-Gamma fitted on the filtered lines up to --calibration-end\n"
       "(default: the latest order date); --fit prints the fit and its holdout check.",
       Concat({FilterFlags(),
               {{"calibration-end", "DATE", "last day the models see (YYYY-MM-DD)"},
                {"unit", "UNIT", "week|day (default week)"},
                {"horizon", "N", "units ahead to predict (default 52 weeks)"},
                {"discount", "RATE", "yearly discount rate for CLV, 0..1 (default 0)"},
                {"fit", "", "print the fitted models instead of customers"},
                {"tier", "TIER", absl::StrCat("only this tier: ", tiers)},
                {"rfm-segment", "NAME", absl::StrCat("only this RFM segment: ", segments)},
                {"at-risk", "P", "only customers with P(alive) below P"},
                {"order-by", "\"FIELD [asc|desc]\"",
                 "clv|p_alive|expected_purchases|customer_id (default \"clv desc\")"},
                {"limit", "N", "page size, 1..1000 (default 50)"},
                {"page-token", "TOKEN", "continue from a previous page"}}}),
       RunClv},
      {"cohorts", "", 0, 0, "acquisition cohorts: retention and revenue per period",
       "Customers grouped by the period of their first order; per period since then\n"
       "the share still buying (table) or every figure (--csv, --json).",
       Concat({FilterFlags(), {{"granularity", "G", "week|month|quarter (default month)"}}}),
       RunCohorts},
      {"migration", "FROM TO", 2, 2, "how customers moved between tiers or segments",
       "RFM as of FROM and as of TO (YYYY-MM-DD); one row per (from, to) pair.",
       Concat({FilterFlags(), {{"by", "tier|segment", "tiers (default) or RFM segments"}}}),
       RunMigration},
  };
}

const Command* FindCommand(const std::vector<Command>& commands, std::string_view name) {
  for (const Command& command : commands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::string ToolHelp(const std::vector<Command>& commands) {
  std::string out =
      "analytics-cli: query and load the customer analytics service.\n\n"
      "Usage: analytics-cli [global flags] COMMAND [flags] [operands]\n\nCommands:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  std::size_t width = 0;
  for (const Command& command : commands) {
    std::string left = command.name;
    if (!command.operands.empty()) absl::StrAppend(&left, " ", command.operands);
    width = std::max(width, left.size());
    rows.emplace_back(std::move(left), command.summary);
  }
  rows.emplace_back("help [COMMAND]", "show help for the tool or a command");
  for (const auto& [left, summary] : rows) {
    absl::StrAppend(&out, "  ", left, std::string(width + 2 - std::min(width, left.size()), ' '),
                    summary, "\n");
  }
  absl::StrAppend(&out, "\nGlobal flags:\n", FormatFlagHelp(GlobalFlags()),
                  "\nRun 'analytics-cli COMMAND --help' for a command's flags.\n"
                  "Exit status: 0 success, 1 error from the server or input, 2 usage error.\n");
  return out;
}

std::string CommandHelp(const Command& command) {
  std::string out = absl::StrCat("Usage: analytics-cli ", command.name);
  if (!command.operands.empty()) absl::StrAppend(&out, " ", command.operands);
  std::string summary = command.summary;
  summary[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(summary[0])));
  absl::StrAppend(&out, " [flags]\n\n", summary, ".\n");
  if (!command.details.empty()) absl::StrAppend(&out, "\n", command.details, "\n");
  if (!command.flags.empty()) absl::StrAppend(&out, "\nFlags:\n", FormatFlagHelp(command.flags));
  absl::StrAppend(&out, "\nGlobal flags:\n", FormatFlagHelp(GlobalFlags()));
  return out;
}

// "error: CODE: message", then the request fields at fault one per line,
// "  field: description" (the error details of AIP-193). A message that only
// restates its one violation is not printed twice.
void PrintError(const CliIo& io, const absl::Status& status) {
  const std::vector<customer_analytics::FieldViolation> violations =
      customer_analytics::FieldViolations(status);
  io.err << "error: " << absl::StatusCodeToString(status.code()) << ": ";
  if (violations.size() == 1 &&
      status.message() == absl::StrCat(violations[0].field, ": ", violations[0].description)) {
    io.err << "1 invalid field:\n";
  } else {
    io.err << status.message() << "\n";
  }
  for (const customer_analytics::FieldViolation& violation : violations) {
    io.err << "  " << violation.field << ": " << violation.description << "\n";
  }
}

int Usage(const CliIo& io, const absl::Status& status, std::string_view hint_command) {
  io.err << "error: " << status.message() << "\n"
         << "Run 'analytics-cli " << (hint_command.empty() ? "" : std::string(hint_command) + " ")
         << "--help' for usage.\n";
  return kExitUsage;
}

// Index of the subcommand: the first operand after the global flags.
std::size_t FindCommandIndex(std::span<const std::string> args,
                             const std::vector<FlagSpec>& global) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty() || arg[0] != '-' || arg == "-") return i;
    if (arg == "--") return i + 1;
    if (arg.find('=') != std::string::npos || arg.size() < 3) continue;
    for (const FlagSpec& flag : global) {
      if (arg.substr(2) == flag.name && flag.takes_value()) ++i;
    }
  }
  return args.size();
}

}  // namespace

int RunCli(std::span<const std::string> args, const CliIo& io) {
  const std::vector<Command> commands = CommandTable();
  const std::vector<FlagSpec> global = GlobalFlags();
  const std::size_t index = FindCommandIndex(args, global);
  const std::span<const std::string> leading = args.subspan(0, std::min(index, args.size()));

  if (index >= args.size()) {
    const absl::StatusOr<ParsedArgs> parsed = ParseArgs(leading, global);
    if (!parsed.ok()) return Usage(io, parsed.status(), "");
    if (parsed->Has("help")) {
      io.out << ToolHelp(commands);
      return kExitOk;
    }
    io.err << ToolHelp(commands);
    return kExitUsage;
  }

  const std::string& name = args[index];
  if (name == "help") {
    if (index + 1 >= args.size()) {
      io.out << ToolHelp(commands);
      return kExitOk;
    }
    const Command* command = FindCommand(commands, args[index + 1]);
    if (command == nullptr) {
      return Usage(io, UsageError(absl::StrCat("unknown command \"", args[index + 1], "\"")), "");
    }
    io.out << CommandHelp(*command);
    return kExitOk;
  }
  const Command* command = FindCommand(commands, name);
  if (command == nullptr) {
    return Usage(io, UsageError(absl::StrCat("unknown command \"", name, "\"")), "");
  }

  // Global flags may come before or after the command name.
  std::vector<std::string> rest(leading.begin(), leading.end());
  rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(index) + 1, args.end());
  const std::vector<FlagSpec> specs = Concat({global, command->flags});
  const absl::StatusOr<ParsedArgs> parsed = ParseArgs(rest, specs);
  if (!parsed.ok()) return Usage(io, parsed.status(), command->name);
  if (parsed->Has("help")) {
    io.out << CommandHelp(*command);
    return kExitOk;
  }
  const std::size_t operands = parsed->positional().size();
  if (operands < command->min_operands || operands > command->max_operands) {
    const std::string expected =
        command->operands.empty() ? "no operands" : absl::StrCat("operands: ", command->operands);
    return Usage(io,
                 UsageError(absl::StrCat(command->name, " takes ", expected, ", got ", operands)),
                 command->name);
  }
  if (parsed->Has("json") && parsed->Has("csv")) {
    return Usage(io, UsageError("--json and --csv exclude each other"), command->name);
  }
  const OutputFormat format = parsed->Has("json")  ? OutputFormat::kJson
                              : parsed->Has("csv") ? OutputFormat::kCsv
                                                   : OutputFormat::kTable;
  const absl::StatusOr<std::optional<std::chrono::milliseconds>> timeout =
      parsed->Duration("timeout");
  if (!timeout.ok()) return Usage(io, timeout.status(), command->name);

  const std::string server =
      parsed->Value("server").value_or(io.server_env.value_or(kDefaultServer));
  if (server.empty()) return Usage(io, UsageError("--server: empty address"), command->name);
  customer_analytics::ClientOptions client_options;
  if (*timeout) client_options.default_timeout = **timeout;
  if (absl::Status s = ApplySecurityFlags(*parsed, io, client_options); !s.ok()) {
    if (IsUsageError(s)) return Usage(io, s, command->name);
    io.err << "error: " << s.message() << "\n";
    return kExitError;
  }
  const customer_analytics::AnalyticsClient client(server, client_options);
  customer_analytics::CallOptions call;
  if (command->long_running && !*timeout) call.timeout = std::chrono::milliseconds(0);

  const absl::Status status = command->handler(CommandContext{*parsed, client, call, format, io});
  io.out.flush();
  if (status.ok()) return kExitOk;
  if (IsUsageError(status)) return Usage(io, status, command->name);
  PrintError(io, status);
  if (status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    io.err << "(server: " << server << ")\n";
  }
  return kExitError;
}

}  // namespace analytics::cli
