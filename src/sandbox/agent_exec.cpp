#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "aarm/base/linux_api.hpp"
#include "capabilities.hpp"
#include "child_plan.hpp"
#include "setup_protocol.hpp"

extern char** environ;

namespace aarm::sandbox {
namespace {

[[noreturn]] void ReportAndExit(int report_fd, SetupStep step, int err) {
  SetupMessage message{MessageKind::kStepFailed, step, err, 0};
  SendMessage(report_fd, message);
  _exit(127);
}

// Closes every descriptor but 0-2, the ones the user passed (made inheritable across exec),
// and the two set-up pipes (close-on-exec).
bool CloseInheritedFds(const std::vector<int>& kept, int report_fd, int go_fd) {
  std::array<int, kMaxPassedFds + 3> keep;
  size_t count = 0;
  for (int fd : kept) {
    keep[count++] = fd;
    if (fcntl(fd, F_SETFD, 0) != 0) return false;
  }
  keep[count++] = report_fd;
  keep[count++] = go_fd;
  std::sort(keep.begin(), keep.begin() + count);
  unsigned first = 3;
  for (size_t i = 0; i < count; ++i) {
    auto fd = static_cast<unsigned>(keep[i]);
    if (fd < first) continue;
    if (fd > first && linux_api::CloseRange(first, fd - 1, 0) != 0) return false;
    first = fd + 1;
  }
  return linux_api::CloseRange(first, ~0U, 0) == 0;
}

}  // namespace

void ExecAgent(const ChildPlan& plan, int report_fd, int go_fd) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);

  // Without a PID namespace nothing else takes the agent down with its init.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // A session of its own: no controlling terminal, so no TIOCSTI into the user's terminal and
  // no signals to aarm-run's process group.
  if (setsid() < 0) ReportAndExit(report_fd, SetupStep::kNewSession, errno);
  if (!CloseInheritedFds(plan.kept_fds, report_fd, go_fd)) {
    ReportAndExit(report_fd, SetupStep::kCloseFds, errno);
  }
  if (chdir(plan.cwd.c_str()) != 0) ReportAndExit(report_fd, SetupStep::kChangeDirectory, errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    ReportAndExit(report_fd, SetupStep::kNoNewPrivs, errno);
  }
  if (auto failure = ApplyLandlock(plan.landlock); failure.failed()) {
    ReportAndExit(report_fd, failure.step, failure.err);
  }
  if (auto failure = DropAllCapabilities(plan.holds_setpcap); failure.failed()) {
    ReportAndExit(report_fd, failure.step, failure.err);
  }
  // SECURITY: the filter goes last; every step above needs syscalls it denies.
  int listener = -1;
  if (auto failure = InstallSeccompProgram(plan.seccomp, plan.seccomp_flags,
                                           plan.mediated ? &listener : nullptr);
      failure.failed()) {
    ReportAndExit(report_fd, failure.step, failure.err);
  }
  // The supervisor takes the listener with pidfd_getfd: sending it would take sendmsg(2), which
  // the filter may now notify to a supervisor that does not hold the listener yet. Nothing runs
  // until the supervisor has it and has recorded the session's start.
  if (!SendMessage(report_fd, SetupMessage{MessageKind::kAgentReady, SetupStep::kNone, 0,
                                           listener})) {
    _exit(127);
  }
  char go = 0;
  while (read(go_fd, &go, 1) < 0 && errno == EINTR) {
  }
  if (go != 1) _exit(127);  // the supervisor gave up: never run unrecorded
  close(go_fd);
  // SECURITY: a process holding the listener could answer its own notifications.
  if (listener >= 0) close(listener);
  // execvp searches the PATH of the current environment, which is now the agent's.
  environ = const_cast<char**>(plan.envp.data());
  execvp(plan.argv[0], plan.argv.data());
  ReportAndExit(report_fd, SetupStep::kExec, errno);
}

}  // namespace aarm::sandbox
