#include "call_context.hpp"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "aarm/base/linux_api.hpp"
#include "acting_process.hpp"
#include "target_memory.hpp"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

namespace aarm::supervisor {

bool CallContext::OpenView() {
  if (view_) return true;
  auto view = settings_.agent_root
                  ? OpenAgentView(Pid(), *settings_.agent_root,
                                  [this] { return settings_.channel.StillValid(request_.id); })
                  : OpenAgentView(Pid());
  if (!view) {
    ReplyError(ESRCH);
    return false;
  }
  view_ = std::move(*view);
  return true;
}

void CallContext::ReplyError(int err) {
  out_.reply.kind = Reply::Kind::kError;
  out_.reply.err = err;
}

void CallContext::ReplyValue(int64_t value) {
  out_.reply.kind = Reply::Kind::kValue;
  out_.reply.value = value;
}

void CallContext::ReplyContinue() { out_.reply.kind = Reply::Kind::kContinue; }

void CallContext::ReplyFromLastCall(int rc) {
  if (rc < 0) {
    ReplyError(errno);
  } else {
    ReplyValue(0);
  }
}

void CallContext::FinishLater(std::function<void(Reply&)> finish) {
  out_.finish = std::move(finish);
}

std::optional<std::string> CallContext::ReadPath(uint64_t address) {
  auto path = ReadString(Pid(), address, PATH_MAX);
  if (!path) {
    ReplyError(path.error().sys_errno);
    return std::nullopt;
  }
  return std::move(*path);
}

bool CallContext::StillPending() {
  if (settings_.channel.StillValid(request_.id)) return true;
  ReplyError(ESRCH);
  return false;
}

std::optional<ResolvedPath> CallContext::ResolveOrReply(int dirfd, const std::string& path,
                                                        const ResolveOptions& options) {
  auto resolved = Resolve(*view_, dirfd, path, options);
  if (!resolved) {
    ReplyError(resolved.error().sys_errno ? resolved.error().sys_errno : EACCES);
    return std::nullopt;
  }
  return std::move(*resolved);
}

const policy::ActingProcess& CallContext::Process() {
  if (!process_) {
    process_ = settings_.processes ? settings_.processes->Describe(Pid())
                                   : DescribeActingProcess(Pid());
  }
  return *process_;
}

bool CallContext::Decide(policy::Action action, int denied_errno) {
  // Rules never look at the acting process: it is read from /proc after the decision, and only
  // for what is recorded one by one, since that is a good part of what a mediated open costs.
  policy::Decision decision = settings_.engine.Decide(action);
  bool denied = decision.verdict == policy::Verdict::kDeny;
  bool enforced = !settings_.audit || decision.forbidden;
  bool counted = !denied && settings_.engine.IsCountedRead(action);
  if (!counted) action.process = Process();
  out_.actions.push_back({std::move(action), std::move(decision), enforced, counted});
  if (denied && enforced) {
    ReplyError(denied_errno);
    return false;
  }
  return true;
}

void CallContext::Refuse(policy::Action action, policy::Decision decision, int err) {
  action.process = Process();
  decision.verdict = policy::Verdict::kDeny;
  decision.forbidden = true;
  out_.actions.push_back({std::move(action), std::move(decision), true});
  ReplyError(err);
}

bool CallContext::IsHiddenObject(dev_t dev, ino_t ino) {
  const HiddenObjects* hidden = settings_.hidden;
  if (hidden == nullptr || !hidden->Contains(dev, ino) || out_.actions.empty()) return false;
  DecidedAction& last = out_.actions.back();
  last.decision = policy::Decision{policy::Verdict::kDeny, true, "filesystem.hide",
                                   "the same file as a hidden path (another hard link to it)"};
  last.enforced = true;
  // A denial is recorded one by one, with who attempted it.
  if (last.counted) {
    last.counted = false;
    last.action.process = Process();
  }
  ReplyError(EACCES);
  return true;
}

int CallContext::Pidfd() {
  if (pidfd_) return pidfd_.Get();
  // A pidfd of the thread itself (Linux 6.9): its descriptor table is the one the call names.
  pidfd_.Reset(linux_api::PidfdOpen(Pid(), PIDFD_THREAD));
  if (!pidfd_ && errno == EINVAL) {
    pid_t tgid = ThreadGroupOf(Pid());
    if (tgid > 0) pidfd_.Reset(linux_api::PidfdOpen(tgid, 0));
  }
  if (!pidfd_) {
    ReplyError(ESRCH);
    return -1;
  }
  // SECURITY: the thread id may have been reused since the notification; while the call is
  // still pending, it has not.
  if (!StillPending()) {
    pidfd_.Reset();
    return -1;
  }
  return pidfd_.Get();
}

}  // namespace aarm::supervisor
