#include "support/postgres.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "support/process.h"

namespace analytics::testing {
namespace {

constexpr char kBin[] = "/usr/lib/postgresql/15/bin/";
// initdb takes seconds (3 s at load 7 on the 2-core machine), a copy of
// its output a fraction of that: the first test binary of a build keeps a
// fresh cluster in the build tree, the next ones copy it. The key names what
// shapes it: major version, locale, encoding, authentication.
constexpr char kTemplateRoot[] = ANALYTICS_PG_TEMPLATE_DIR;
constexpr char kTemplateKey[] = "15-C-UTF8-trust";

// A port nobody listens on now (bound and released; PostgreSQL binds it
// right after, and a clash would fail the start loudly, not silently).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// argv run as the postgres user when we are root.
std::vector<std::string> AsServerUser(std::vector<std::string> argv) {
  if (getuid() != 0) return argv;
  std::vector<std::string> wrapped = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

[[noreturn]] void Fail(const std::string& what, const CommandResult& result) {
  std::cerr << "PostgreSQL for tests: " << what << " failed (exit " << result.exit_code << ")\n"
            << result.out << result.err << std::endl;
  std::abort();
}

}  // namespace

Postgres& Postgres::Shared() {
  // Destroyed at exit, which stops the server.
  static Postgres postgres;
  return postgres;
}

Postgres::Postgres() {
  char pattern[] = "/tmp/analytics-pg-XXXXXX";
  dir_ = mkdtemp(pattern);
  if (getuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (user == nullptr || chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      std::cerr << "PostgreSQL for tests: no postgres user to run as" << std::endl;
      std::abort();
    }
  }
  CreateDataDirectory();
  // A port can be taken between FreePort and the bind: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreePort();
    CommandResult start = RunCommand(AsServerUser(
        {absl::StrCat(kBin, "pg_ctl"), "-D", dir_ + "/data", "-l", dir_ + "/log", "-w", "-o",
         absl::StrCat("-p ", port_, " -k ", dir_,
                      " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"),
         "start"}));
    if (start.exit_code == 0) {
      StartWatchdog();
      return;
    }
    if (attempt == 4) Fail("pg_ctl start", start);
  }
}

void Postgres::CreateDataDirectory() {
  const std::string data = dir_ + "/data";
  const std::string cached = absl::StrCat(kTemplateRoot, "/", kTemplateKey);
  // A copy of the build's template when there is one (rename made it whole).
  if (std::filesystem::exists(cached + "/PG_VERSION")) {
    if (RunCommand(AsServerUser({"/bin/cp", "-a", cached, data})).exit_code == 0) return;
    std::error_code ignored;
    std::filesystem::remove_all(data, ignored);
  }
  CommandResult init =
      RunCommand(AsServerUser({absl::StrCat(kBin, "initdb"), "-D", data, "-A", "trust", "-U",
                               "postgres", "--no-sync", "-E", "UTF8", "--locale", "C"}));
  if (init.exit_code != 0) Fail("initdb", init);
  // Kept for the next test binaries: copied whole to a name of our own, then
  // renamed into place, so no binary ever copies a half-written template.
  // Any failure here only means the next binary runs initdb too.
  std::error_code error;
  std::filesystem::create_directories(kTemplateRoot, error);
  if (error) return;
  if (getuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (user == nullptr || chown(kTemplateRoot, user->pw_uid, user->pw_gid) != 0) return;
  }
  const std::string staged = absl::StrCat(kTemplateRoot, "/staged-", getpid());
  if (RunCommand(AsServerUser({"/bin/cp", "-a", data, staged})).exit_code == 0) {
    std::filesystem::rename(staged, cached, error);  // fails when another binary won
  }
  std::filesystem::remove_all(staged, error);
}

void Postgres::StartWatchdog() {
  // Everything is prepared before fork: between fork and exec the child of
  // a threaded process may only make async-signal-safe calls.
  std::string stop;
  for (const std::string& arg : AsServerUser(
           {absl::StrCat(kBin, "pg_ctl"), "-D", dir_ + "/data", "-w", "-m", "fast", "stop"})) {
    absl::StrAppend(&stop, "'", arg, "' ");
  }
  // `cat` returns when every write end is closed: our exit, of any kind.
  const std::string script =
      absl::StrCat("cat >/dev/null; ", stop, ">/dev/null 2>&1; rm -rf '", dir_, "'");
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    std::cerr << "PostgreSQL for tests: pipe2 failed" << std::endl;
    std::abort();
  }
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  watchdog_ = fork();
  if (watchdog_ == 0) {
    // Its own session: a signal to the test's process group (a ctest
    // timeout, Ctrl-C) must not take the watchdog with it.
    setsid();
    dup2(fds[0], STDIN_FILENO);
    // Not the test's stdout/stderr: ctest waits for those to close.
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    execv("/bin/sh", const_cast<char* const*>(argv));
    _exit(127);
  }
  close(null_fd);
  close(fds[0]);
  if (watchdog_ < 0) {
    std::cerr << "PostgreSQL for tests: fork failed" << std::endl;
    std::abort();
  }
  watchdog_pipe_ = fds[1];
}

Postgres::~Postgres() {
  PgCtl("stop");
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
  // The watchdog finds the server stopped and the directory gone.
  if (watchdog_pipe_ >= 0) close(watchdog_pipe_);
  if (watchdog_ > 0) waitpid(watchdog_, nullptr, 0);
}

std::string Postgres::PgCtl(const std::string& command) {
  CommandResult result = RunCommand(AsServerUser(
      {absl::StrCat(kBin, "pg_ctl"), "-D", dir_ + "/data", "-l", dir_ + "/log", "-w", "-m", "fast",
       "-o",
       absl::StrCat("-p ", port_, " -k ", dir_,
                    " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"),
       command}));
  return result.out + result.err;
}

void Postgres::Restart() { PgCtl("restart"); }

std::vector<std::string> ServerStoreArgs(const std::string& kind) {
  if (kind == "postgres") return {"--db", Postgres::Shared().NewDatabase()};
  return {};
}

std::string Postgres::NewDatabase() {
  const std::string name = absl::StrCat("test_", getpid(), "_", ++databases_);
  Psql("postgres", absl::StrCat("CREATE DATABASE ", name));
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", name);
}

std::string Postgres::Psql(const std::string& database, const std::string& sql) {
  CommandResult result = RunCommand(
      {"/usr/lib/postgresql/15/bin/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
       "127.0.0.1", "-p", std::to_string(port_), "-U", "postgres", "-d", database, "-c", sql});
  if (result.exit_code != 0) Fail("psql " + sql, result);
  return result.out;
}

}  // namespace analytics::testing
