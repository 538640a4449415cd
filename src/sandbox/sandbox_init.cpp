#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "child_plan.hpp"
#include "setup_protocol.hpp"

namespace aarm::sandbox {
namespace {

[[noreturn]] void ReportAndExit(int status_socket, SetupStep step, int err) {
  SetupMessage message{MessageKind::kStepFailed, step, err, 0};
  SendMessage(status_socket, message);
  _exit(1);
}

// Sets `address`/32 on the interface named `name`.
bool SetAddress(int fd, const char* name, in_addr_t address) {
  ifreq request{};
  strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  auto* in = reinterpret_cast<sockaddr_in*>(&request.ifr_addr);
  in->sin_family = AF_INET;
  in->sin_addr.s_addr = address;
  if (ioctl(fd, SIOCSIFADDR, &request) != 0) return false;
  in->sin_addr.s_addr = htonl(0xffffffffu);
  return ioctl(fd, SIOCSIFNETMASK, &request) == 0;
}

bool BringUpLoopback() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq request{};
  strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ioctl(fd, SIOCGIFFLAGS, &request) == 0;
  request.ifr_flags |= IFF_UP | IFF_RUNNING;
  ok = ok && ioctl(fd, SIOCSIFFLAGS, &request) == 0;
  // getaddrinfo(AI_ADDRCONFIG) returns no IPv4 address while 127.0.0.1 is the only one the
  // system has, and many programs ask that way: a second loopback address, 127.0.0.2, makes
  // IPv4 count as configured. It is loopback like the first: nothing leaves through it.
  ok = ok && SetAddress(fd, "lo:1", htonl(0x7f000002u));
  int err = errno;
  close(fd);
  errno = err;
  return ok;
}

// Opens each listener inside the sandbox's network namespace and hands it up. An optional one
// the namespace cannot have (no IPv6 on its loopback) is left out.
void HandUpListeners(const ChildPlan& plan, int status_socket) {
  for (size_t i = 0; i < plan.listeners.size(); ++i) {
    const ListenerPlan& listener = plan.listeners[i];
    int fd = socket(listener.family, listener.type | SOCK_CLOEXEC, 0);
    int one = 1;
    bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0;
    if (ok && listener.family == AF_INET6) {
      ok = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0;
    }
    ok = ok && bind(fd, reinterpret_cast<const sockaddr*>(&listener.address),
                    listener.address_length) == 0;
    if (ok && listener.type == SOCK_STREAM) ok = listen(fd, SOMAXCONN) == 0;
    if (!ok) {
      int err = errno;
      if (fd >= 0) close(fd);
      if (listener.optional) continue;
      ReportAndExit(status_socket, SetupStep::kNetworkListener, err);
    }
    SetupMessage message{MessageKind::kListener, SetupStep::kNone, 0, static_cast<int32_t>(i)};
    if (!SendMessage(status_socket, message) || !SendFd(status_socket, fd)) _exit(1);
    close(fd);
  }
}

// What a forwarded signal does, as a terminal or kill(1) would have done without aarm-run.
void DeliverForwardedSignal(pid_t agent, int signal) {
  switch (signal) {
    case SIGINT:
    case SIGQUIT:
      kill(-agent, signal);  // the terminal signals the whole foreground group
      break;
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      // The agent's group is orphaned (its parent, init, is in another session), and the
      // kernel drops stop signals to orphaned groups: stop it outright instead.
      kill(-agent, SIGSTOP);
      break;
    case SIGCONT:
      kill(-agent, SIGCONT);
      break;
    default:
      kill(agent, signal);
      break;
  }
}

// Without a PID namespace nothing takes the agent's processes down with the init, and a process
// that left the agent's group or session (a daemon) escapes a group kill. As their subreaper
// the init inherits every orphan: it kills its children and reaps them, whose own children are
// then re-parented to it for the next round, until none is left.
void KillAllDescendants() {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", static_cast<int>(getpid()));
  for (;;) {
    char buffer[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) return;
    buffer[n] = '\0';
    // A full buffer may end in a cut number: leave it to the next round.
    if (static_cast<size_t>(n) == sizeof buffer - 1) {
      if (char* cut = strrchr(buffer, ' ')) *cut = '\0';
    }
    pid_t killed[sizeof buffer / 2];
    size_t count = 0;
    for (char* next = buffer; *next != '\0';) {
      char* end = nullptr;
      long pid = strtol(next, &end, 10);
      if (end == next) break;
      next = end;
      if (pid > 0 && kill(static_cast<pid_t>(pid), SIGKILL) == 0) {
        killed[count++] = static_cast<pid_t>(pid);
      }
    }
    if (count == 0) return;
    for (size_t i = 0; i < count; ++i) {
      while (waitpid(killed[i], nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
}

// Leaves the init. In a PID namespace the kernel then kills every process left in it.
[[noreturn]] void EndSession(const ChildPlan& plan, int code) {
  if (!plan.namespaces) KillAllDescendants();
  _exit(code);
}

}  // namespace

void RunSandboxInit(const ChildPlan& plan, int status_socket) {
  // Die with the supervisor. The socket's EOF covers a supervisor that died before this line,
  // and without namespaces it is the only notice: the init must live on to kill the agent's
  // processes (EndSession) rather than die at once.
  if (plan.namespaces) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (!plan.namespaces) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  SetupMessage message{};
  if (plan.namespaces) {
    if (!ReceiveMessage(status_socket, &message) || message.kind != MessageKind::kIdMapsWritten) {
      _exit(1);
    }
    if (sethostname(plan.hostname.data(), plan.hostname.size()) != 0) {
      ReportAndExit(status_socket, SetupStep::kSetHostname, errno);
    }
    if (auto failure = BuildFilesystemView(plan.mounts); failure.failed()) {
      ReportAndExit(status_socket, failure.step, failure.err);
    }
    if (plan.own_network) {
      if (!BringUpLoopback()) ReportAndExit(status_socket, SetupStep::kLoopbackUp, errno);
      HandUpListeners(plan, status_socket);
    }
  }

  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
  sigset_t child_signals;
  sigemptyset(&child_signals);
  sigaddset(&child_signals, SIGCHLD);
  int child_fd = signalfd(-1, &child_signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (child_fd < 0) ReportAndExit(status_socket, SetupStep::kForkAgent, errno);

  int report[2];
  int go[2];
  if (pipe2(report, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) {
    ReportAndExit(status_socket, SetupStep::kForkAgent, errno);
  }
  pid_t agent = fork();
  if (agent < 0) ReportAndExit(status_socket, SetupStep::kForkAgent, errno);
  if (agent == 0) {
    close(report[0]);
    close(go[1]);
    ExecAgent(plan, report[1], go[0]);
  }
  close(report[1]);
  close(go[0]);
  auto agent_failed = [&](const SetupMessage& failure) {
    waitpid(agent, nullptr, 0);
    ReportAndExit(status_socket, failure.step, failure.err);
  };
  if (!ReceiveMessage(report[0], &message)) {
    agent_failed(SetupMessage{MessageKind::kStepFailed, SetupStep::kForkAgent, ECHILD, 0});
  }
  if (message.kind != MessageKind::kAgentReady) agent_failed(message);
  SendMessage(status_socket, message);  // with the number of the agent's seccomp listener
  if (!ReceiveMessage(status_socket, &message) || message.kind != MessageKind::kExecAgent) {
    _exit(1);  // the supervisor did not record the session: the agent dies with us unrun
  }
  const char go_byte = 1;
  if (write(go[1], &go_byte, 1) != 1) ReportAndExit(status_socket, SetupStep::kExec, errno);
  close(go[1]);
  // EOF on the close-on-exec pipe means execve succeeded.
  if (ReceiveMessage(report[0], &message)) agent_failed(message);
  close(report[0]);
  SendMessage(status_socket, SetupMessage{MessageKind::kAgentStarted});

  pollfd fds[2] = {{status_socket, POLLIN, 0}, {child_fd, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      EndSession(plan, 1);
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(child_fd, &info, sizeof info) == sizeof info) {
      }
      int status = 0;
      pid_t pid;
      // Reap every child: orphans of the agent are re-parented to us.
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid != agent) continue;
        if (!plan.namespaces) KillAllDescendants();  // before the report: none outlives aarm-run
        SendMessage(status_socket, SetupMessage{MessageKind::kAgentExited, SetupStep::kNone, 0,
                                                status});
        EndSession(plan, 0);
      }
    }
    if (fds[0].revents & POLLIN) {
      if (!ReceiveMessage(status_socket, &message)) EndSession(plan, 1);  // supervisor gone
      if (message.kind == MessageKind::kForwardSignal) DeliverForwardedSignal(agent, message.value);
    } else if (fds[0].revents & (POLLHUP | POLLERR)) {
      EndSession(plan, 1);
    }
  }
}

}  // namespace aarm::sandbox
