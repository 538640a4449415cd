// Subcommand families of `aarm`. Each Register* adds its subcommands to `app`; the callback of the
// subcommand that ran stores the process exit status in `exit_status` (0 ok, 1 check failed,
// 2 usage or I/O error) and prints its own one-line errors as "aarm: ...".
#pragma once

#include <CLI/CLI.hpp>

namespace aarm::cli {

void RegisterProfileCommands(CLI::App& app, int& exit_status);   // profile list|check
void RegisterReceiptCommands(CLI::App& app, int& exit_status);   // verify, show, keygen

}  // namespace aarm::cli
