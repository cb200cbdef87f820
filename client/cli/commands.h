// The analytics-cli program as a function: argv in, exit code out.
//
// RunCli owns the command table (names, flags, help texts), the dispatch, the
// global flags (--server, --timeout, --json, --csv, --help, and the
// security ones: --token, --token-file, --tls, --ca, --client-cert/--client-key) and the mapping
// of failures to exit codes: 0 success, 1 an error from the server or from
// reading input, 2 a usage error. Its streams and environment come in through
// CliIo, so the whole tool runs in-process under test as well as from main().
#pragma once

#include <iosfwd>
#include <optional>
#include <span>
#include <string>

namespace analytics::cli {

struct CliIo {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  // Progress bars only make sense on a terminal.
  bool err_is_terminal = false;
  // Value of ANALYTICS_SERVER, when set.
  std::optional<std::string> server_env;
  // Value of ANALYTICS_TOKEN, when set: the bearer token unless --token or
  // --token-file is given.
  std::optional<std::string> token_env;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

inline constexpr char kDefaultServer[] = "localhost:50051";

// Runs analytics-cli with `args` (argv without the program name).
int RunCli(std::span<const std::string> args, const CliIo& io);

}  // namespace analytics::cli
