// Test support: run the project's real binaries as child processes.
//
// ServerProcess starts analytics-server on an ephemeral port and learns the
// port from the server's first stdout line ("listening on HOST:PORT"), a
// blocking read, so no test ever sleeps waiting for a server; its log
// (stderr) goes to the test's stderr or, for tests that check what the server
// logged, to a file. RunCommand runs a binary to completion and captures its
// output, for CLI tests.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace analytics::testing {

// Path of the analytics-server binary under test (set by CMake).
std::string ServerBinary();
// Path of the analytics-cli binary under test (set by CMake).
std::string CliBinary();

// Where a ServerProcess's log goes: appended to the file at `path`.
struct LogFile {
  std::string path;
};

class ServerProcess {
 public:
  // Starts `ServerBinary()` with `--listen 127.0.0.1:0 --db :memory:
  // --metrics-listen ""` (no --db when `extra_args` has --pg-dsn) followed
  // by `extra_args` (later flags win) and the
  // environment entries "K=V" of `extra_env`. Aborts the test binary if the
  // server does not come up, with its output.
  explicit ServerProcess(std::vector<std::string> extra_args = {},
                         std::vector<std::string> extra_env = {});
  // The same with the server's log appended to `log` (the log is printed
  // when the server does not come up).
  ServerProcess(const LogFile& log, std::vector<std::string> extra_args,
                std::vector<std::string> extra_env = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // "127.0.0.1:PORT"
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits; returns the raw wait status.
  int StopWith(int signal);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string address_;
};

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] a path) with extra environment entries "K=V" and
// `input` on stdin; waits for it to exit.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env = {},
                         const std::string& input = "");

}  // namespace analytics::testing
