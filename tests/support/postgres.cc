#include "support/postgres.h"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
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
  CommandResult init =
      RunCommand(AsServerUser({absl::StrCat(kBin, "initdb"), "-D", dir_ + "/data", "-A", "trust",
                               "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C"}));
  if (init.exit_code != 0) Fail("initdb", init);
  // A port can be taken between FreePort and the bind: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreePort();
    CommandResult start = RunCommand(AsServerUser(
        {absl::StrCat(kBin, "pg_ctl"), "-D", dir_ + "/data", "-l", dir_ + "/log", "-w", "-o",
         absl::StrCat("-p ", port_, " -k ", dir_,
                      " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"),
         "start"}));
    if (start.exit_code == 0) return;
    if (attempt == 4) Fail("pg_ctl start", start);
  }
}

Postgres::~Postgres() {
  PgCtl("stop");
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
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
