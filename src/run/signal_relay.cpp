#include "signal_relay.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

namespace aarm::run {

sigset_t RelayedSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGUSR1, SIGUSR2, SIGCONT, SIGTSTP,
                  SIGTTIN, SIGTTOU, SIGALRM}) {
    sigaddset(&set, sig);
  }
  return set;
}

Result<SignalRelay> SignalRelay::Install() {
  sigset_t set = RelayedSignals();
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return FailErrno("sigprocmask");
  SignalRelay relay;
  relay.fd_.Reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!relay.fd_) return FailErrno("signalfd");
  return relay;
}

int SignalRelay::Next() {
  signalfd_siginfo info;
  if (read(fd_.Get(), &info, sizeof info) != sizeof info) return 0;
  return static_cast<int>(info.ssi_signo);
}

}  // namespace aarm::run
