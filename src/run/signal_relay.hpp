// The signals aarm-run passes on to the agent, read from a signalfd so the session loop sees
// them as ordinary events.
#pragma once

#include <signal.h>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"

namespace aarm::run {

class SignalRelay {
 public:
  // Blocks the relayed signals (before the sandbox starts, so none is lost) and opens the fd.
  static Result<SignalRelay> Install();
  int Fd() const { return fd_.Get(); }
  // The next pending signal, or 0.
  int Next();

 private:
  UniqueFd fd_;
};

// INT, TERM, HUP, QUIT, WINCH, USR1, USR2, CONT and the job-control stops.
sigset_t RelayedSignals();

}  // namespace aarm::run
