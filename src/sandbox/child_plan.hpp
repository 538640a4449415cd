// Everything the processes between clone and exec need, prepared by the supervisor beforehand
// so that they only make system calls: no allocation, no logging, no exceptions.
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

#include "landlock.hpp"
#include "mount_plan.hpp"
#include "seccomp_filter.hpp"

namespace aarm::sandbox {

// More descriptors than this cannot be passed to the agent.
inline constexpr size_t kMaxPassedFds = 64;

// A ListenSocket with its address already in kernel form.
struct ListenerPlan {
  int family = AF_INET;
  int type = SOCK_STREAM;
  sockaddr_storage address{};
  socklen_t address_length = 0;
  bool optional = false;
};

struct ChildPlan {
  bool namespaces = true;
  // Whether the init is in a network namespace of its own (Spec::network.isolate).
  bool own_network = true;
  std::vector<ListenerPlan> listeners;
  MountPlan mounts;
  LandlockPlan landlock;
  SeccompProgram seccomp;
  std::vector<char*> argv;  // null-terminated, pointing into the Spec's strings
  std::vector<std::string> env_storage;
  std::vector<char*> envp;  // null-terminated, pointing into env_storage
  std::string cwd;
  std::string hostname;
  std::vector<int> kept_fds;  // sorted, beyond 0-2
  bool holds_setpcap = true;
  // With mediation: the filter flags; the agent then reports its listener's descriptor number
  // for the supervisor to take.
  unsigned seccomp_flags = 0;
  bool mediated = false;
};

// The sandbox init (PID 1 of the new namespaces, or a subreaper without them): builds the view,
// starts the agent, then relays signals and reports its exit over `status_socket`.
[[noreturn]] void RunSandboxInit(const ChildPlan& plan, int status_socket);

// The agent's last steps before exec: new session, fds, Landlock, capabilities, seccomp. Then
// reports kAgentReady on `report_fd` (close-on-exec) and waits for one byte on `go_fd` before
// execve. On failure writes {step, errno} to `report_fd` and exits 127.
[[noreturn]] void ExecAgent(const ChildPlan& plan, int report_fd, int go_fd);

}  // namespace aarm::sandbox
