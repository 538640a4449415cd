#include "notify_channel.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cstring>

#include "aarm/base/linux_api.hpp"

namespace aarm::supervisor {

Result<void> NotifyChannel::Receive(seccomp_notif* request) const {
  memset(request, 0, sizeof *request);
  if (ioctl(fd_.Get(), SECCOMP_IOCTL_NOTIF_RECV, request) != 0) return FailErrno("NOTIF_RECV");
  return {};
}

bool NotifyChannel::StillValid(uint64_t id) const {
  return ioctl(fd_.Get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static Result<void> Send(int fd, seccomp_notif_resp response) {
  if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &response) != 0) return FailErrno("NOTIF_SEND");
  return {};
}

Result<void> NotifyChannel::Continue(uint64_t id) const {
  return Send(fd_.Get(), {id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE});
}

Result<void> NotifyChannel::Fail(uint64_t id, int err) const {
  return Send(fd_.Get(), {id, 0, -err, 0});
}

Result<void> NotifyChannel::Return(uint64_t id, int64_t value) const {
  return Send(fd_.Get(), {id, value, 0, 0});
}

Result<void> NotifyChannel::InjectFdAndReturn(uint64_t id, int fd, bool close_on_exec) const {
  seccomp_notif_addfd addfd{};
  addfd.id = id;
  addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
  addfd.srcfd = static_cast<uint32_t>(fd);
  addfd.newfd_flags = close_on_exec ? O_CLOEXEC : 0;
  if (ioctl(fd_.Get(), SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0) return FailErrno("NOTIF_ADDFD");
  return {};
}

Result<void> NotifyChannel::EnableSyncWakeUp() const {
  if (ioctl(fd_.Get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) != 0) {
    return FailErrno("NOTIF_SET_FLAGS");
  }
  return {};
}

}  // namespace aarm::supervisor
