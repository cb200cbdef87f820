// The test PostgreSQL (tests/support/postgres.h) dies with its test binary
// even when that binary is SIGKILLed: no destructor runs then, and without
// the watchdog the server would keep running in /tmp/analytics-pg-*.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include "support/postgres.h"

extern char** environ;

namespace analytics {
namespace {

using testing::Postgres;

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return connected;
}

// Run by the test below in a child process of this binary: starts the
// server, says where it is, and waits to be killed.
TEST(PgWatchdog, Child) {
  if (std::getenv("ANALYTICS_PG_WATCHDOG_CHILD") == nullptr) GTEST_SKIP() << "helper only";
  Postgres& postgres = Postgres::Shared();
  std::cout << "PG " << postgres.dir() << " " << postgres.port() << std::endl;
  for (;;) pause();
}

TEST(PgWatchdog, TheServerStopsWhenItsTestProcessIsKilled) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::string exe = std::filesystem::read_symlink("/proc/self/exe");
  std::string filter = "--gtest_filter=PgWatchdog.Child";
  char* argv[] = {exe.data(), filter.data(), nullptr};
  std::vector<std::string> env_strings = {"ANALYTICS_PG_WATCHDOG_CHILD=1"};
  std::vector<char*> env = {env_strings[0].data()};
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  env.push_back(nullptr);
  pid_t child = -1;
  ASSERT_EQ(posix_spawn(&child, exe.c_str(), &actions, nullptr, argv, env.data()), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);

  // Its "PG DIR PORT" line (gtest prints its own lines around it).
  std::string output;
  std::string dir;
  int port = 0;
  char buffer[4096];
  while (port == 0) {
    const ssize_t got = read(out[0], buffer, sizeof buffer);
    ASSERT_GT(got, 0) << "the child ended before starting PostgreSQL:\n" << output;
    output.append(buffer, static_cast<std::size_t>(got));
    const std::size_t at = output.find("PG ");
    if (at != std::string::npos && output.find('\n', at) != std::string::npos) {
      std::istringstream line(output.substr(at + 3));
      line >> dir >> port;
    }
  }
  ASSERT_TRUE(std::filesystem::exists(dir + "/data/postmaster.pid"));
  ASSERT_TRUE(Accepts(port));
  // The watchdog stops the server (pg_ctl -w) and then removes the
  // directory: its removal is the event that both are done.
  const int events = inotify_init1(IN_CLOEXEC);
  ASSERT_GE(events, 0);
  ASSERT_GE(inotify_add_watch(events, dir.c_str(), IN_DELETE_SELF), 0);

  ASSERT_EQ(kill(child, SIGKILL), 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  close(out[0]);
  pollfd removed{.fd = events, .events = POLLIN, .revents = 0};
  EXPECT_EQ(poll(&removed, 1, 60000), 1) << "no removal of " << dir << " within 60 s";
  close(events);
  EXPECT_FALSE(std::filesystem::exists(dir)) << "the watchdog did not clean up " << dir;
  EXPECT_FALSE(Accepts(port)) << "PostgreSQL still listens on " << port;
}

}  // namespace
}  // namespace analytics
