// analytics-cli: the command-line client of the customer analytics service.
// Everything but reading the process environment lives in RunCli.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const char* server = std::getenv("ANALYTICS_SERVER");
  const char* token = std::getenv("ANALYTICS_TOKEN");
  const analytics::cli::CliIo io{
      .in = std::cin,
      .out = std::cout,
      .err = std::cerr,
      .err_is_terminal = isatty(STDERR_FILENO) == 1,
      .server_env =
          server != nullptr && *server != '\0' ? std::optional<std::string>(server) : std::nullopt,
      .token_env =
          token != nullptr && *token != '\0' ? std::optional<std::string>(token) : std::nullopt,
  };
  return analytics::cli::RunCli(args, io);
}
