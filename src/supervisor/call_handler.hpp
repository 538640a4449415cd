// One mediated system call, from notification to reply: decode, resolve, decide, perform.
#pragma once

#include <linux/seccomp.h>

#include <vector>

#include "aarm/base/unique_fd.hpp"
#include "aarm/policy/engine.hpp"
#include "aarm/supervisor/supervisor.hpp"
#include "namespace_ops.hpp"
#include "notify_channel.hpp"

namespace aarm::supervisor {

struct DecidedAction {
  policy::Action action;
  policy::Decision decision;
  bool enforced = true;  // false: --audit let a denial through
};

// How the agent's syscall is answered.
struct Reply {
  enum class Kind { kContinue, kError, kValue, kInjectFd } kind = Kind::kError;
  int err = EPERM;
  int64_t value = 0;
  UniqueFd fd;
  bool close_on_exec = false;

  ActionResult Result() const {
    return kind == Kind::kError ? ActionResult{false, err} : ActionResult{true, 0};
  }
};

struct HandledCall {
  std::vector<DecidedAction> actions;  // empty when nothing was decided (e.g. ENOENT on lookup)
  Reply reply;
};

// Decides and, when allowed, performs the call on the agent's behalf. Returns nullopt-like
// empty reply kind kError/ESRCH when the target vanished.
// `perform`: carry out allowed calls on the decided object (false: let the kernel continue
// them). `namespace_ops`: where unlink, rmdir and rename run; null when the agent shares our
// mount namespace.
HandledCall HandleCall(const seccomp_notif& request, const NotifyChannel& channel,
                       const policy::Engine& engine, bool audit, bool perform,
                       NamespaceOps* namespace_ops, const HiddenObjects* hidden);

}  // namespace aarm::supervisor
