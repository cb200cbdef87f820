#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

#include "support/files.h"

extern char** environ;

namespace analytics::testing {
namespace {

std::vector<char*> ToArgv(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> Environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "test support: %s\n", message.c_str());
  std::abort();
}

// Spawns argv with stdin/stdout/stderr redirected to the given fds (-1 keeps).
pid_t Spawn(std::vector<std::string> argv, const std::vector<std::string>& extra_env, int in_fd,
            int out_fd, int err_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in_fd >= 0) posix_spawn_file_actions_adddup2(&actions, in_fd, STDIN_FILENO);
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  std::vector<std::string> env = Environment(extra_env);
  std::vector<char*> c_argv = ToArgv(argv);
  std::vector<char*> c_env = ToArgv(env);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) Die("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

std::string ReadAll(int fd) {
  std::string out;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return out;
    }
  }
}

}  // namespace

std::string ServerBinary() { return ANALYTICS_SERVER_BINARY; }
std::string CliBinary() { return ANALYTICS_CLI_BINARY; }

ServerProcess::ServerProcess(std::vector<std::string> extra_args,
                             std::vector<std::string> extra_env)
    : ServerProcess(LogFile{}, std::move(extra_args), std::move(extra_env)) {}

ServerProcess::ServerProcess(const LogFile& log, std::vector<std::string> extra_args,
                             std::vector<std::string> extra_env) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) Die("pipe failed");
  int log_fd = -1;
  if (!log.path.empty()) {
    log_fd = open(log.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) Die("cannot open " + log.path);
  }
  std::vector<std::string> argv = {ServerBinary(), "--listen", "127.0.0.1:0", "--metrics-listen",
                                   ""};
  // --pg-dsn names the database itself; a --db beside it is a conflict.
  if (std::find(extra_args.begin(), extra_args.end(), "--pg-dsn") == extra_args.end()) {
    argv.insert(argv.end(), {"--db", ":memory:"});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  pid_ = Spawn(argv, extra_env, -1, out_pipe[1], log_fd);
  close(out_pipe[1]);
  if (log_fd >= 0) close(log_fd);
  // The first stdout line announces the bound address; read it byte by byte
  // so nothing after it is consumed.
  std::string line;
  char c = 0;
  while (read(out_pipe[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(out_pipe[0]);
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) {
    StopWith(SIGKILL);
    Die("analytics-server did not start; first stdout line: \"" + line + "\"" +
        (log.path.empty() ? "" : "; log:\n" + ReadFile(log.path)));
  }
  address_ = line.substr(prefix.size());
  port_ = std::atoi(address_.substr(address_.rfind(':') + 1).c_str());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) StopWith(SIGTERM);
}

int ServerProcess::StopWith(int signal) {
  if (pid_ <= 0) return 0;
  kill(pid_, signal);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env, const std::string& input) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    Die("pipe failed");
  }
  const pid_t pid = Spawn(argv, extra_env, in_pipe[0], out_pipe[1], err_pipe[1]);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Feed stdin and drain both outputs concurrently so no pipe fills up.
  std::thread writer([fd = in_pipe[1], &input] {
    std::size_t done = 0;
    signal(SIGPIPE, SIG_IGN);
    while (done < input.size()) {
      const ssize_t n = write(fd, input.data() + done, input.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    close(fd);
  });
  std::string err;
  std::thread err_reader([fd = err_pipe[0], &err] { err = ReadAll(fd); });
  CommandResult result;
  result.out = ReadAll(out_pipe[0]);
  err_reader.join();
  writer.join();
  close(out_pipe[0]);
  close(err_pipe[0]);
  result.err = std::move(err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace analytics::testing
