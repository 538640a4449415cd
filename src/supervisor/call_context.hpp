// What every mediated call shares, whatever its family: the notification, the settings of the
// session, the agent's view, the decisions taken and the reply being built.
#pragma once

#include <linux/seccomp.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aarm/base/unique_fd.hpp"
#include "aarm/policy/action.hpp"
#include "aarm/policy/engine.hpp"
#include "aarm/supervisor/supervisor.hpp"
#include "acting_process.hpp"
#include "namespace_ops.hpp"
#include "notify_channel.hpp"
#include "path_resolver.hpp"

namespace aarm::supervisor {

struct SocketSettings;

struct DecidedAction {
  policy::Action action;
  policy::Decision decision;
  bool enforced = true;  // false: --audit let a denial through
  // An allowed read of public data (Engine::IsCountedRead): counted, not recorded one by one,
  // so its acting process is never looked up and `action.process` stays empty.
  bool counted = false;
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
  // Set when the rest of the call may block for long (a connect or a send on a blocking
  // socket): it completes `reply` off the worker thread, and the actions are recorded after it.
  std::function<void(Reply&)> finish;
};

// What the session gives every call.
struct CallSettings {
  const NotifyChannel& channel;
  const policy::Engine& engine;
  bool audit = false;    // enforce only forbid rules
  bool perform = false;  // carry out allowed file calls (false: let the kernel continue them)
  NamespaceOps* namespace_ops = nullptr;  // where unlink, rmdir and rename run; may be null
  const HiddenObjects* hidden = nullptr;
  const SocketSettings* sockets = nullptr;
  SharedAgentRoot* agent_root = nullptr;  // null: each call opens the agent's root itself
  ActingProcessCache* processes = nullptr;  // null: each call reads /proc afresh
};

class CallContext {
 public:
  CallContext(const seccomp_notif& request, const CallSettings& settings)
      : request_(request), settings_(settings) {}

  uint64_t Arg(int i) const { return request_.data.args[i]; }
  int FdArg(int i) const { return static_cast<int>(static_cast<int32_t>(Arg(i))); }
  pid_t Pid() const { return static_cast<pid_t>(request_.pid); }
  int Nr() const { return request_.data.nr; }
  const CallSettings& Settings() const { return settings_; }

  // Opens the agent's view (once); false (answered ESRCH) when the thread is gone.
  bool OpenView();
  const AgentView& View() const { return *view_; }

  void ReplyError(int err);
  void ReplyValue(int64_t value);
  void ReplyContinue();
  // errno of the last libc call when `rc` < 0, else the value 0.
  void ReplyFromLastCall(int rc);
  // The rest of the call, which may block: see HandledCall::finish.
  void FinishLater(std::function<void(Reply&)> finish);
  const Reply& CurrentReply() const { return out_.reply; }

  // A NUL-terminated path of the agent's; nullopt (answered) when unreadable or too long.
  std::optional<std::string> ReadPath(uint64_t address);
  // The memory read so far belongs to the live syscall only while the notification is pending;
  // false (answered ESRCH) when it is no longer.
  bool StillPending();
  std::optional<ResolvedPath> ResolveOrReply(int dirfd, const std::string& path,
                                             const ResolveOptions& options);

  const policy::ActingProcess& Process();
  // Decides `action`; true when the call may proceed. A denial is answered with `denied_errno`.
  // The acting process is looked up only for an action that will be recorded one by one.
  bool Decide(policy::Action action, int denied_errno);
  // Records `action` as refused by `decision`, a refusal no rule and no --audit lifts, and
  // answers `err`.
  void Refuse(policy::Action action, policy::Decision decision, int err);
  // SECURITY: the object reached is another name of a hidden file (a hard link made before the
  // session). The decision just made on the name is overturned and answered EACCES.
  bool IsHiddenObject(dev_t dev, ino_t ino);

  // A pidfd of the calling thread, opened on first use and checked to still be the caller's;
  // -1 (answered) when the thread is gone.
  int Pidfd();

  HandledCall Take() { return std::move(out_); }

 protected:
  const seccomp_notif& request_;
  const CallSettings& settings_;
  std::optional<AgentView> view_;
  std::optional<policy::ActingProcess> process_;
  UniqueFd pidfd_;
  HandledCall out_;
};

}  // namespace aarm::supervisor
