// One aarm-run session from start to end: profile -> sandbox -> agent -> receipts -> outcome.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aarm/base/error.hpp"

namespace aarm::run {

struct RunOptions {
  std::vector<std::string> command;        // COMMAND [ARG...]
  std::optional<std::string> profile;      // -p NAME|PATH
  std::optional<std::string> intent;       // --intent, else $AARM_INTENT
  std::optional<std::string> agent_name;   // --agent, else basename of COMMAND
  std::optional<std::string> receipts_path;
  std::optional<std::string> key_path;
  std::optional<int> status_fd;
  std::vector<int> passed_fds;             // --pass-fd: descriptors the agent keeps
  bool audit = false;
  bool quiet = false;                      // no denial lines on stderr
};

// How the session ended, and what aarm-run exits with.
struct Outcome {
  int exit_status = 125;
  std::optional<Error> error;  // set when aarm-run itself failed (125, 126, 127)
};

Outcome Execute(const RunOptions& options);

}  // namespace aarm::run
