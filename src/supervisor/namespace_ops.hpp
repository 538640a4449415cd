// Operations whose meaning depends on the caller's mount namespace. The kernel refuses to
// unlink, remove or rename a dentry that is a mount point *in the caller's namespace* (EBUSY);
// performed from the supervisor's namespace, the agent's hidden stand-ins and read-only
// carve-outs would not count as mount points and the files beneath them would be replaced.
// So these run in a small process that joined the agent's user and mount namespaces and holds
// no capabilities there: the kernel judges them exactly as it would the agent's own call.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"

namespace aarm::supervisor {

class NamespaceOps {
 public:
  // Forks the helper into the namespaces of `agent`. Must run before any thread is started.
  static Result<NamespaceOps> Start(pid_t agent);

  NamespaceOps(NamespaceOps&& other) noexcept;
  NamespaceOps& operator=(NamespaceOps&&) = delete;
  ~NamespaceOps();

  // 0 or the errno of unlinkat(2) / renameat2(2) performed relative to the given directories.
  int Unlink(int dirfd, const std::string& name, int flags);
  int Rename(int old_dirfd, const std::string& old_name, int new_dirfd,
             const std::string& new_name, unsigned flags);

 private:
  NamespaceOps() = default;
  int Request(int op, int fd1, const std::string& name1, int fd2, const std::string& name2,
              unsigned flags);

  UniqueFd socket_;
  pid_t helper_ = -1;
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
};

}  // namespace aarm::supervisor
