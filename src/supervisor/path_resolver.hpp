// Resolves a path the agent passed to a system call, as the kernel would for the agent, but
// from the supervisor and one component at a time: each directory is held open (O_PATH) while
// the next component is looked up, symlinks are followed by hand, and the result is the
// canonical path in the agent's view plus an fd of its parent directory. The operation is then
// performed relative to that fd on the last name with O_NOFOLLOW, so swapping a symlink or a
// directory after the decision cannot redirect it (SECURITY: this is what makes a decision on
// a path hold for the object reached).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <functional>
#include <mutex>

#include <optional>
#include <string>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"

namespace aarm::supervisor {

// The agent process a path is resolved for.
struct AgentStatus {
  std::string ns_tgid;     // its process id inside its own PID namespace (for /proc/self)
  std::string ns_tid;      // its thread id there (for /proc/thread-self)
  mode_t umask = 022;      // applied to what the supervisor creates on its behalf
};

struct AgentView {
  pid_t pid = 0;           // thread id in the supervisor's PID namespace
  int root = -1;           // O_PATH of the agent's "/": owned_root, or a SharedAgentRoot's
  UniqueFd owned_root;
  // Read from /proc/PID/status on first use only: most calls never need it, and the file is
  // one of the costlier ones the kernel renders.
  const AgentStatus& Status() const;

 private:
  mutable std::optional<AgentStatus> status_;
};

// The root every agent process has. SECURITY: the seccomp filter refuses chroot, pivot_root,
// unshare, setns and namespace flags to clone, so no agent process can ever have another "/"
// than the first one seen: it is opened once, from the first call's /proc/PID/root, and kept.
class SharedAgentRoot {
 public:
  SharedAgentRoot() = default;
  SharedAgentRoot(const SharedAgentRoot&) = delete;
  SharedAgentRoot& operator=(const SharedAgentRoot&) = delete;
  ~SharedAgentRoot();

  // The root, opened from `pid` the first time. SECURITY: `still_the_caller` must say, after
  // the open, that `pid` is still the thread whose call is pending — else the number may have
  // been reused by a process outside the sandbox, whose root must never be kept. -1 when it
  // cannot be opened or confirmed.
  int Get(pid_t pid, const std::function<bool()>& still_the_caller);

 private:
  std::atomic<int> fd_{-1};
  std::mutex open_mutex_;
};

// The view of `pid`, its root opened for this view alone.
Result<AgentView> OpenAgentView(pid_t pid);
// The view of `pid` through the session's shared root (see SharedAgentRoot::Get).
Result<AgentView> OpenAgentView(pid_t pid, SharedAgentRoot& shared_root,
                                const std::function<bool()>& still_the_caller);

struct ResolvedPath {
  std::string path;        // canonical, absolute, in the agent's view
  UniqueFd parent;         // O_PATH|O_DIRECTORY of the directory holding `name`
  std::string name;        // the last component; "." for the root itself
  // The last component is a /proc magic link (/proc/N/fd/M, /proc/N/cwd, ...): it must be
  // opened as such; `path` holds where it points. `object` is what it pointed at, O_PATH, and
  // `parent`/`name` our own link to it.
  bool magic_link = false;
  UniqueFd object;
  // What resolution saw of parent/name (lstat), when it looked: callers need not look again.
  bool last_looked_up = false;
  bool last_exists = false;
  struct stat last_stat {};
};

struct ResolveOptions {
  bool follow_last = true;     // as the syscall treats a final symlink
  // openat2(2) RESOLVE_* semantics.
  bool beneath = false;        // never leave the starting directory: EXDEV
  bool in_root = false;        // the starting directory is "/" for this lookup
  bool no_symlinks = false;    // any symlink: ELOOP
  bool no_magic_links = false; // any /proc magic link: ELOOP
  bool no_xdev = false;        // never cross a mount point: EXDEV
};

// `dirfd`: the agent's fd number (or AT_FDCWD) relative paths start from. Errors carry the
// errno the agent gets (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EBADF, EXDEV, ...).
Result<ResolvedPath> Resolve(const AgentView& view, int dirfd, const std::string& path,
                             const ResolveOptions& options);

}  // namespace aarm::supervisor
