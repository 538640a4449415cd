// Who is acting: the process behind a notification, its binary and its parents.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "aarm/base/unique_fd.hpp"
#include "aarm/policy/action.hpp"

namespace aarm::supervisor {

// The process (not thread) of `tid`, the binary it runs as the agent sees it, and its parents
// up to where the sandbox ends (the PID namespace changes) — at most 16.
policy::ActingProcess DescribeActingProcess(pid_t tid);

// DescribeActingProcess, remembered per thread: a process makes many calls, and reading its
// parents from /proc is most of what looking it up costs. A remembered description is used
// again only while it is still true: the thread and every parent in it are alive (pidfds
// polled in one call — a dead thread's id may be reused, a dead parent's children are
// reparented) and the thread still runs the same binary (an exec changes it; an exec of the
// same binary changes nothing recorded).
class ActingProcessCache {
 public:
  policy::ActingProcess Describe(pid_t tid);

 private:
  struct Entry {
    policy::ActingProcess process;
    std::vector<UniqueFd> alive;  // the thread's pidfd, then its parents'
  };
  std::shared_ptr<const Entry> Find(pid_t tid);
  void Remember(pid_t tid, std::shared_ptr<const Entry> entry);
  static bool StillTrue(pid_t tid, const Entry& entry);

  std::mutex mutex_;
  std::unordered_map<pid_t, std::shared_ptr<const Entry>> entries_;
  size_t pidfds_held_ = 0;  // by the remembered entries
};

// The process `tid` is a thread of; 0 when it is gone.
pid_t ThreadGroupOf(pid_t tid);

}  // namespace aarm::supervisor
