// Starts the agent inside the sandbox described by a Spec.
//
// Process tree (namespace mode):
//   aarm-run (supervisor, outside)
//     └─ sandbox init: PID 1 of new user, mount, PID, IPC, UTS and network namespaces. It builds
//        the filesystem view, then stays as a tiny init: reaps orphans, relays forwarded
//        signals, reports the agent's exit status, and takes every process down with it.
//          └─ agent: new session, only fds 0-2 (+ those passed), Landlock, no capabilities,
//             no_new_privs, seccomp filter, then execve(COMMAND).
// If the supervisor dies, init dies (PR_SET_PDEATHSIG and EOF on the status socket), and the
// kernel kills every process of the PID namespace.
#pragma once

#include <sys/types.h>

#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"
#include "aarm/sandbox/spec.hpp"

namespace aarm::sandbox {

// How the agent ended, as waitpid(2) reported it.
struct AgentExit {
  bool signaled = false;
  int code = 0;    // exit code when !signaled
  int signal = 0;  // terminating signal when signaled
  // The shell's convention: code, or 128 + signal.
  int ShellStatus() const { return signaled ? 128 + signal : code; }
};

enum class LaunchErrorKind {
  kSandbox,           // the sandbox could not be built (exit 125)
  kCommandNotFound,   // exit 127
  kCommandNotRunnable // exit 126
};

struct LaunchError {
  LaunchErrorKind kind = LaunchErrorKind::kSandbox;
  Error error;
};

struct SandboxReport {
  std::optional<AgentExit> exit;
  std::optional<LaunchError> launch_error;
  bool Final() const { return exit.has_value() || launch_error.has_value(); }
};

class Sandbox {
 public:
  // Builds the sandbox and confines the agent process, which then waits: nothing of COMMAND
  // runs before Start(), so the session's first receipt can be written in between.
  static tl::expected<Sandbox, LaunchError> Prepare(const Spec& spec);

  // Lets the agent execve(COMMAND). Whether that succeeded arrives through ReadStatus() (the
  // execve itself is mediated, so the caller must keep serving notifications meanwhile). When
  // the Sandbox is destroyed without Start(), the agent dies without having run anything.
  Result<void> Start();

  Sandbox(Sandbox&& other) noexcept;
  Sandbox& operator=(Sandbox&&) = delete;
  Sandbox(const Sandbox&) = delete;
  ~Sandbox();

  // Readable when the sandbox reports (the agent's exit) or dies; poll it with POLLIN.
  int StatusFd() const { return status_socket_.Get(); }

  // Reads what the sandbox reported: the agent's exit, or that COMMAND could not be executed;
  // neither when the report was only that it started (call again after the next POLLIN).
  Result<SandboxReport> ReadStatus();

  // Relays a signal aarm-run received to the agent, as the terminal or a kill(1) would have
  // delivered it without aarm-run: INT and QUIT to the agent's process group, TSTP/TTIN/TTOU
  // stop the group, CONT resumes it, others go to the agent process.
  void ForwardSignal(int signal);

  // The seccomp listener of the agent's filter (Spec::notified_syscalls); invalid without
  // mediation. The caller must serve it before Start(): the agent's execve is notified.
  UniqueFd TakeNotifyFd() { return std::move(notify_fd_); }
  // The sockets of Spec::network.listeners, opened inside the sandbox's network namespace, in
  // the same order; an optional one the sandbox could not open, and every one when the sandbox
  // has no network namespace of its own, is invalid.
  std::vector<UniqueFd> TakeListeners() { return std::move(listeners_); }

  // The agent process as the supervisor's PID namespace numbers it (for ptrace).
  pid_t AgentPid() const { return agent_pid_; }

  // Degradations the user must hear about (no namespaces, no Landlock, rights the kernel lacks).
  const std::vector<std::string>& Warnings() const { return warnings_; }
  int LandlockAbi() const { return landlock_abi_; }
  bool UsesNamespaces() const { return uses_namespaces_; }

 private:
  Sandbox() = default;
  void KillAndReap();

  UniqueFd status_socket_;
  std::vector<UniqueFd> listeners_;
  UniqueFd init_pidfd_;
  pid_t init_pid_ = -1;
  UniqueFd notify_fd_;
  pid_t agent_pid_ = -1;
  bool reaped_ = false;
  std::string command_;
  bool uses_namespaces_ = true;
  int landlock_abi_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace aarm::sandbox
