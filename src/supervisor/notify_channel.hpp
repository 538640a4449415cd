// The seccomp listener, one ioctl per method. Notification ids are perishable: a target that
// died or was interrupted makes SEND fail with ENOENT, which is not an error.
#pragma once

#include <linux/seccomp.h>

#include <cstdint>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"

namespace aarm::supervisor {

class NotifyChannel {
 public:
  explicit NotifyChannel(UniqueFd fd) : fd_(std::move(fd)) {}

  // Blocks until a notification arrives. EINTR (a stop request) and ENOENT (the target died
  // before we took it) come back as errors for the caller to interpret.
  Result<void> Receive(seccomp_notif* request) const;
  // The notification is still pending: the memory read for it belongs to the live syscall.
  bool StillValid(uint64_t id) const;
  Result<void> Continue(uint64_t id) const;
  Result<void> Fail(uint64_t id, int err) const;
  Result<void> Return(uint64_t id, int64_t value) const;
  // Installs `fd` in the target and answers with the new descriptor number.
  Result<void> InjectFdAndReturn(uint64_t id, int fd, bool close_on_exec) const;
  // Lets the target's wake-up hand its CPU to us directly (kernel 6.6+).
  Result<void> EnableSyncWakeUp() const;
  int Fd() const { return fd_.Get(); }

 private:
  UniqueFd fd_;
};

}  // namespace aarm::supervisor
