// Subcommand families of `aarm`. Each Register* adds its subcommands to `app`; the callback of the
// subcommand that ran stores the process exit status in `exit_status` (kOk, kCheckFailed or
// kUsageOrIo) and prints its own one-line errors as "aarm: ...".
#pragma once

#include <cstdio>
#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "aarm/base/error.hpp"
#include "aarm/policy/display_text.hpp"

namespace aarm::cli {

inline constexpr int kOk = 0;
inline constexpr int kCheckFailed = 1;
inline constexpr int kUsageOrIo = 2;

// "aarm: MESSAGE" on stderr, for a message whose quoted values are already escaped (the profile
// loader's and the policy's errors quote what they echo with QuoteForDisplay).
inline void PrintError(std::string_view message) { fmt::print(stderr, "aarm: {}\n", message); }

// "aarm: ERROR" on stderr, escaped as a whole since it may hold a path or a record's text as it
// was, then "aarm: hint: HINT" when the error has one.
inline void PrintError(const Error& error) {
  PrintError(policy::EscapeForDisplay(error.Describe()));
  if (!error.hint.empty()) fmt::print(stderr, "aarm: hint: {}\n", error.hint);
}

void RegisterProfileCommands(CLI::App& app, int& exit_status);   // profile list|check|explain
void RegisterReceiptCommands(CLI::App& app, int& exit_status);   // verify, show, keygen

}  // namespace aarm::cli
