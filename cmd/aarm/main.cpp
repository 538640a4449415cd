// aarm: offline companion of aarm-run — checks receipts, shows sessions, manages keys and
// profiles. Exit status: 0 ok, 1 a check failed, 2 usage or I/O error.
#include <cstdio>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"aarm — verify receipts, show sessions, manage keys and profiles"};
  app.set_version_flag("--version", "aarm " AARM_VERSION);
  app.require_subcommand(1);
  int exit_status = 0;
  aarm::cli::RegisterProfileCommands(app, exit_status);
  aarm::cli::RegisterReceiptCommands(app, exit_status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return exit_status;
}
