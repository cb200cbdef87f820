// Test support: a real PostgreSQL 15 for the tests, in a temporary directory
// on a free loopback port, started before the first test that asks for it
// and stopped (fast shutdown, directory removed) when the test binary exits.
// The cluster is a copy of a template that the build's first test binary
// made with initdb and left in the build tree (pg-template/), since every
// test runs as a binary of its own and initdb costs seconds each time.
//
// As root (the CI container), initdb and postgres refuse to run, so the
// server runs as the `postgres` user (runuser), with its directory chowned
// to it; otherwise as the current user. Binaries from Debian's
// postgresql-15 (/usr/lib/postgresql/15/bin). Each call of NewDatabase
// creates a fresh, empty database, so tests never see each other's lines.
//
// A test binary that dies without running its destructors (abort, a crash,
// SIGKILL, a ctest timeout) must not leave the server running: a watchdog
// process, started with it, holds the read end of a pipe whose write end
// only this process has; when the pipe closes (at exit, however it comes)
// the watchdog stops the server and removes the directory.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace analytics::testing {

class Postgres {
 public:
  // The binary's one server, started on first use. Aborts the test binary
  // (with pg_ctl's log) if it cannot start.
  static Postgres& Shared();

  // A new empty database; its postgres:// DSN.
  std::string NewDatabase();
  // Runs one SQL statement as the superuser (psql), returning its output.
  std::string Psql(const std::string& database, const std::string& sql);
  // pg_ctl restart -m fast: every connection is cut, the data stays.
  void Restart();
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

  ~Postgres();
  Postgres(const Postgres&) = delete;
  Postgres& operator=(const Postgres&) = delete;

 private:
  Postgres();
  // dir_/data: a copy of the build's template cluster, or initdb (which
  // then leaves its result as the template).
  void CreateDataDirectory();
  std::string PgCtl(const std::string& command);
  void StartWatchdog();
  int watchdog_pipe_ = -1;  // write end; closing it stops the server
  pid_t watchdog_ = -1;
  std::string dir_;
  int port_ = 0;
  int databases_ = 0;
};

// analytics-server flags for a store kind of a both-stores suite: none for
// "sqlite" (ServerProcess's in-memory default), for "postgres" `--db` and a
// fresh database of the shared PostgreSQL.
std::vector<std::string> ServerStoreArgs(const std::string& kind);

}  // namespace analytics::testing
