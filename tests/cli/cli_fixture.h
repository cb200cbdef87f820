// The fixture of the CLI's end-to-end tests (cli_test, predict_cli_test): one
// real analytics-server per test suite (in-memory store), the real
// analytics-cli binary run against it, and a command's --json output parsed
// back into the API's response message. A suite derives from
// CliServerTest<Itself> and loads its data, through the CLI, in a public
// static Load() that runs once after the server has started.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "support/process.h"

namespace analytics::testing {

template <typename Suite>
class CliServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (ServerBinary().empty() || CliBinary().empty()) return;
    server_ = std::make_unique<ServerProcess>();
    Suite::Load();
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    if (ServerBinary().empty() || CliBinary().empty()) {
      GTEST_SKIP() << "analytics-server or analytics-cli is not built in this tree";
    }
  }

  // Runs analytics-cli against the suite's server.
  static CommandResult Cli(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {CliBinary(), "--server", server_->address()});
    return RunCommand(args, {}, input);
  }

  // Runs a command with --json and parses the output into `Message`.
  template <typename Message>
  static Message Json(std::vector<std::string> args) {
    args.push_back("--json");
    const CommandResult result = Cli(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    Message message;
    const auto status = google::protobuf::util::JsonStringToMessage(result.out, &message);
    EXPECT_TRUE(status.ok()) << status.message() << "\n" << result.out;
    return message;
  }

  // One per suite (a static of each CliServerTest<Suite>).
  static inline std::unique_ptr<ServerProcess> server_;
};

// The non-empty lines of a command's output.
inline std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

}  // namespace analytics::testing
