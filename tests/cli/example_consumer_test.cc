// The installed CMake package works for a real consumer: install this build
// tree's "client" component into a fresh prefix, configure and build the
// stand-alone client/examples/kpi_report project against that prefix alone,
// and run it (and the installed analytics-cli) against a real server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/str_split.h"
#include "support/files.h"
#include "support/process.h"

namespace {

using ::analytics::testing::CommandResult;
using ::analytics::testing::ReadFile;
using ::analytics::testing::RunCommand;
using ::analytics::testing::ServerBinary;
using ::analytics::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

// The value of the "label: value" line of kpi_report's output.
std::string Field(const std::string& output, const std::string& label) {
  for (const std::string& line : std::vector<std::string>(absl::StrSplit(output, '\n'))) {
    if (line.rfind(label + ": ", 0) == 0) return std::string(line.substr(label.size() + 2));
  }
  ADD_FAILURE() << "no \"" << label << "\" in:\n" << output;
  return "";
}

TEST(ExampleConsumerTest, InstalledPackageBuildsAConsumerThatTalksToTheServer) {
  if (ServerBinary().empty()) GTEST_SKIP() << "analytics-server is not built in this tree";
  const fs::path work = ANALYTICS_WORK_DIR;
  fs::remove_all(work);
  fs::create_directories(work);
  const fs::path prefix = work / "prefix";
  const std::string cmake = ANALYTICS_CMAKE_COMMAND;

  const CommandResult install = RunCommand({cmake, "--install", ANALYTICS_BINARY_DIR, "--prefix",
                                            prefix.string(), "--component", "client"});
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
  for (const char* file :
       {"include/customer_analytics/client.h",
        "include/customer_analytics/v1/analytics_service.pb.h",
        "include/customer_analytics/v1/analytics_service.grpc.pb.h",
        "include/customer_analytics/v1/resources.pb.h", "lib/libcustomer_analytics_client.a",
        "lib/libanalytics_proto.a", "lib/cmake/CustomerAnalytics/CustomerAnalyticsConfig.cmake",
        "lib/cmake/CustomerAnalytics/CustomerAnalyticsConfigVersion.cmake",
        "lib/cmake/CustomerAnalytics/CustomerAnalyticsTargets.cmake",
        "share/CustomerAnalytics/proto/customer_analytics/v1/"
        "analytics_service.proto",
        "bin/analytics-cli"}) {
    EXPECT_TRUE(fs::exists(prefix / file)) << file;
  }
  // A relocatable package names no path of the tree it was built in.
  const std::string targets =
      ReadFile(prefix / "lib/cmake/CustomerAnalytics/CustomerAnalyticsTargets.cmake");
  EXPECT_THAT(targets, Not(HasSubstr(ANALYTICS_BINARY_DIR)));
  EXPECT_THAT(targets, Not(HasSubstr(ANALYTICS_EXAMPLE_DIR)));
  EXPECT_THAT(targets, HasSubstr("CustomerAnalytics::client"));
  EXPECT_THAT(targets, HasSubstr("CustomerAnalytics::proto"));

  const fs::path build = work / "build";
  std::vector<std::string> configure = {cmake,
                                        "-S",
                                        ANALYTICS_EXAMPLE_DIR,
                                        "-B",
                                        build.string(),
                                        "-DCMAKE_PREFIX_PATH=" + prefix.string(),
                                        "-DCMAKE_CXX_COMPILER=" ANALYTICS_CXX_COMPILER,
                                        "-DCMAKE_BUILD_TYPE=Release"};
  if (!std::string(ANALYTICS_CXX_LAUNCHER).empty()) {
    configure.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=" ANALYTICS_CXX_LAUNCHER);
  }
  if (!std::string(ANALYTICS_SANITIZE_FLAGS).empty()) {
    configure.push_back("-DCMAKE_CXX_FLAGS=" ANALYTICS_SANITIZE_FLAGS);
    configure.push_back("-DCMAKE_EXE_LINKER_FLAGS=" ANALYTICS_SANITIZE_FLAGS);
  }
  const CommandResult configured = RunCommand(configure);
  ASSERT_EQ(configured.exit_code, 0) << configured.out << configured.err;
  const CommandResult built = RunCommand({cmake, "--build", build.string()});
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;

  ServerProcess server;
  const std::string cli = (prefix / "bin/analytics-cli").string();
  const CommandResult seeded =
      RunCommand({cli, "--server", server.address(), "seed", "--seed", "7"});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;

  const CommandResult report =
      RunCommand({(build / "kpi_report").string(), "--server", server.address()});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  // Same figures as the CLI's CSV (plain exact decimals from the micros).
  const CommandResult csv = RunCommand({cli, "--server", server.address(), "kpis", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  auto csv_current = [&](const std::string& measure) {
    for (const std::string& line : std::vector<std::string>(absl::StrSplit(csv.out, '\n'))) {
      const std::vector<std::string> cells = absl::StrSplit(line, ',');
      if (cells.size() > 1 && cells[0] == measure) return cells[1];
    }
    ADD_FAILURE() << "no " << measure << " in:\n" << csv.out;
    return std::string();
  };
  EXPECT_EQ(Field(report.out, "revenue"), csv_current("Revenue"));
  EXPECT_EQ(Field(report.out, "profit"), csv_current("Profit"));
  EXPECT_EQ(Field(report.out, "orders"), csv_current("Orders"));
  EXPECT_EQ(Field(report.out, "customers"), csv_current("Customers"));
  EXPECT_NE(Field(report.out, "revenue"), "0.00");

  const CommandResult unreachable =
      RunCommand({(build / "kpi_report").string(), "--server", "127.0.0.1:1"});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_THAT(unreachable.err, HasSubstr("UNAVAILABLE"));
}

}  // namespace
