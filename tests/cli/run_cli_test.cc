// RunCli in-process, for everything that needs no server: help, usage errors
// and their exit codes. (cli_test.cc runs the real binary against a server.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "cli/commands.h"

namespace analytics::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun RunWith(std::vector<std::string> args) {
  std::istringstream in;
  std::ostringstream out, err;
  // An unroutable server makes any accidental RPC fail fast instead of hang.
  // The environment fields not named here stay unset on purpose; GCC 12 warns
  // about any trailing member a C++ designated initializer leaves out.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
  const CliIo io{.in = in, .out = out, .err = err, .server_env = "127.0.0.1:1"};
#pragma GCC diagnostic pop
  const int code = RunCli(args, io);
  return {code, out.str(), err.str()};
}

TEST(RunCliTest, ToolHelpListsEveryCommand) {
  const CliRun run = RunWith({"--help"});
  EXPECT_EQ(run.code, kExitOk);
  for (const char* command :
       {"seed", "ingest", "import", "kpis", "breakdown", "trend", "rfm", "customers", "customer"}) {
    EXPECT_THAT(run.out, HasSubstr(std::string("\n  ") + command)) << command;
  }
  EXPECT_EQ(RunWith({"help"}).out, run.out);
}

TEST(RunCliTest, EveryCommandHasHelp) {
  for (const char* command :
       {"seed", "ingest", "import", "kpis", "breakdown", "trend", "rfm", "customers", "customer"}) {
    const CliRun run = RunWith({command, "--help"});
    EXPECT_EQ(run.code, kExitOk) << command;
    EXPECT_THAT(run.out, StartsWith(std::string("Usage: analytics-cli ") + command)) << command;
    EXPECT_THAT(run.out, HasSubstr("--server")) << command;
    EXPECT_EQ(RunWith({"help", command}).out, run.out);
    EXPECT_EQ(RunWith({command, "-h"}).out, run.out);
  }
}

TEST(RunCliTest, ReadCommandsShareTheFilterFlags) {
  for (const char* command : {"kpis", "breakdown", "trend", "rfm", "customers", "customer"}) {
    const std::string help = RunWith({command, "--help"}).out;
    for (const char* flag :
         {"--from", "--to", "--region", "--category", "--sub-category", "--segment", "--state"}) {
      EXPECT_THAT(help, HasSubstr(flag)) << command;
    }
  }
  for (const char* command : {"rfm", "customers", "customer"}) {
    EXPECT_THAT(RunWith({command, "--help"}).out, HasSubstr("--as-of")) << command;
  }
}

TEST(RunCliTest, NoCommandIsAUsageError) {
  const CliRun run = RunWith({});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("Usage:"));
}

TEST(RunCliTest, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {"frobnicate"},
      {"kpis", "--bogus"},
      {"--bogus", "kpis"},
      {"kpis", "extra"},
      {"breakdown"},
      {"breakdown", "planet"},
      {"breakdown", "region", "--sort", "happiness"},
      {"breakdown", "region", "--limit", "-1"},
      {"trend", "--granularity", "fortnight"},
      {"customers", "--tier", "platinum"},
      {"customers", "--limit", "5000"},
      {"kpis", "--from", "01/02/2024"},
      {"kpis", "--json", "--csv"},
      {"kpis", "--timeout", "soon"},
      {"import"},
      {"import", "x.csv", "--date-order", "ydm"},
      {"customer"},
      {"help", "nothing"},
  };
  for (const std::vector<std::string>& args : cases) {
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << args[0] << " " << (args.size() > 1 ? args[1] : "");
    EXPECT_THAT(run.err, StartsWith("error: ")) << run.err;
    EXPECT_THAT(run.err, HasSubstr("--help' for usage."));
    EXPECT_EQ(run.out, "");
  }
}

TEST(RunCliTest, UsageErrorNamesTheProblem) {
  EXPECT_THAT(RunWith({"kpis", "--regoin", "East"}).err, HasSubstr("unknown flag --regoin"));
  EXPECT_THAT(RunWith({"breakdown", "planet"}).err,
              HasSubstr("region|category|sub-category|segment|state|ship-mode|customer"));
}

TEST(RunCliTest, UnreachableServerIsAnErrorWithTheStatusName) {
  const CliRun run = RunWith({"kpis", "--timeout", "5s"});
  EXPECT_EQ(run.code, kExitError);
  EXPECT_THAT(run.err, StartsWith("error: UNAVAILABLE: "));
  EXPECT_THAT(run.err, HasSubstr("(server: 127.0.0.1:1)"));
}

TEST(RunCliTest, MissingInputFileIsAnError) {
  const CliRun run = RunWith({"import", "/nonexistent/file.csv"});
  EXPECT_EQ(run.code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("error: NOT_FOUND: cannot open /nonexistent/file.csv"));
}

}  // namespace
}  // namespace analytics::cli
