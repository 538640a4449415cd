// The second look at every exec. The execve notification is decided on the path the agent
// passed; the program the kernel actually loaded can differ (a symlink or file swapped in
// between, a shebang's interpreter, the dynamic loader run directly, a memfd). A tracer
// process ptrace-seizes the agent and every descendant (fork, vfork, clone; PTRACE_O_EXITKILL,
// so the tree dies with it) and, at each PTRACE_EVENT_EXEC, decides again on /proc/PID/exe —
// killing the process before it runs one instruction of a denied program.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"
#include "aarm/policy/engine.hpp"

namespace aarm::supervisor {

// A program the tracer stopped.
struct KilledExec {
  pid_t pid = 0;
  std::string program;  // the binary decided on, as the agent sees its path
};

class ExecGuard {
 public:
  // Forks the tracer and seizes `agent` (which must not have exec'd yet). `audit`: decide and
  // report, but kill only for forbid rules.
  static Result<ExecGuard> Start(pid_t agent, const policy::Engine& engine, bool audit);

  ExecGuard(ExecGuard&& other) noexcept;
  ExecGuard& operator=(ExecGuard&&) = delete;
  ~ExecGuard();

  // Readable when the tracer reports a denied exec.
  int ReportFd() const { return reports_.Get(); }
  // The next report, or nullopt at EOF (the tracer ended with the tree).
  std::optional<KilledExec> ReadReport();

 private:
  ExecGuard() = default;
  UniqueFd reports_;
  pid_t tracer_ = -1;
};

}  // namespace aarm::supervisor
