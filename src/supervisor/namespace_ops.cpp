#include "namespace_ops.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace aarm::supervisor {
namespace {

enum Op : int { kUnlink = 1, kRename = 2 };

struct OpRequest {
  int op;
  unsigned flags;
  char name1[NAME_MAX + 1];
  char name2[NAME_MAX + 1];
};

bool SendWithFds(int socket, const void* data, size_t size, const int* fds, int count) {
  iovec iov{const_cast<void*>(data), size};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (count > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(count * sizeof(int));
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(count * sizeof(int));
    memcpy(CMSG_DATA(cmsg), fds, count * sizeof(int));
  }
  for (;;) {
    if (sendmsg(socket, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(size)) return true;
    if (errno != EINTR) return false;
  }
}

// Receives one request and up to two fds; returns the number of fds, or -1 at EOF.
int ReceiveWithFds(int socket, OpRequest* request, int* fds) {
  iovec iov{request, sizeof *request};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n != sizeof *request) return -1;
  int count = 0;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
      count = static_cast<int>((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      if (count > 2) count = 2;
      memcpy(fds, CMSG_DATA(cmsg), count * sizeof(int));
    }
  }
  return count;
}

[[noreturn]] void Serve(int socket) {
  OpRequest request;
  int fds[2];
  for (;;) {
    int count = ReceiveWithFds(socket, &request, fds);
    if (count < 0) _exit(0);
    request.name1[NAME_MAX] = request.name2[NAME_MAX] = '\0';
    int err = EINVAL;
    if (request.op == kUnlink && count == 1) {
      err = unlinkat(fds[0], request.name1, static_cast<int>(request.flags)) == 0 ? 0 : errno;
    } else if (request.op == kRename && count == 2) {
      err = syscall(SYS_renameat2, fds[0], request.name1, fds[1], request.name2, request.flags) == 0
                ? 0
                : errno;
    }
    for (int i = 0; i < count; ++i) close(fds[i]);
    while (write(socket, &err, sizeof err) < 0 && errno == EINTR) {
    }
  }
}

// "/proc/PID/ns/NAME" into `out`, without allocating.
void NamespacePath(char (&out)[64], pid_t pid, const char* name) {
  char digits[16];
  int count = 0;
  for (unsigned value = static_cast<unsigned>(pid); count == 0 || value != 0; value /= 10) {
    digits[count++] = static_cast<char>('0' + value % 10);
  }
  size_t at = 0;
  for (const char* part = "/proc/"; *part;) out[at++] = *part++;
  while (count > 0) out[at++] = digits[--count];
  for (const char* part = "/ns/"; *part;) out[at++] = *part++;
  while (*name && at + 1 < sizeof out) out[at++] = *name++;
  out[at] = '\0';
}

// SECURITY: forked from a process whose other threads (the network service's, the log's) may
// hold the allocator's locks at that moment: nothing here allocates — raw system calls only.
[[noreturn]] void RunHelper(pid_t agent, int socket) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  char path[64];
  NamespacePath(path, agent, "user");
  int user = open(path, O_RDONLY | O_CLOEXEC);
  NamespacePath(path, agent, "mnt");
  int mnt = open(path, O_RDONLY | O_CLOEXEC);
  char ok = user >= 0 && mnt >= 0 && setns(user, CLONE_NEWUSER) == 0 &&
            setns(mnt, CLONE_NEWNS) == 0 && chdir("/") == 0;
  // Full capabilities came with the user namespace; none of them is the agent's.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct no_capabilities[_LINUX_CAPABILITY_U32S_3] = {};
  ok = ok && syscall(SYS_capset, &header, no_capabilities) == 0;
  if (write(socket, &ok, 1) != 1 || !ok) _exit(1);
  Serve(socket);
}

}  // namespace

Result<NamespaceOps> NamespaceOps::Start(pid_t agent) {
  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) {
    return FailErrno("socketpair for namespace operations");
  }
  UniqueFd ours(sockets[0]);
  UniqueFd theirs(sockets[1]);
  pid_t pid = fork();
  if (pid < 0) return FailErrno("cannot start the namespace helper");
  if (pid == 0) {
    ours.Reset();
    RunHelper(agent, theirs.Get());
  }
  theirs.Reset();
  NamespaceOps ops;
  ops.helper_ = pid;
  ops.socket_ = std::move(ours);
  char ok = 0;
  while (read(ops.socket_.Get(), &ok, 1) < 0 && errno == EINTR) {
  }
  if (!ok) return Fail("cannot enter the agent's namespaces for file operations");
  return ops;
}

int NamespaceOps::Request(int op, int fd1, const std::string& name1, int fd2,
                          const std::string& name2, unsigned flags) {
  OpRequest request{};
  request.op = op;
  request.flags = flags;
  if (name1.size() > NAME_MAX || name2.size() > NAME_MAX) return ENAMETOOLONG;
  memcpy(request.name1, name1.data(), name1.size());
  memcpy(request.name2, name2.data(), name2.size());
  int fds[2] = {fd1, fd2};
  std::lock_guard lock(*mutex_);
  if (!SendWithFds(socket_.Get(), &request, sizeof request, fds, fd2 >= 0 ? 2 : 1)) return EIO;
  int err = EIO;
  ssize_t n;
  while ((n = read(socket_.Get(), &err, sizeof err)) < 0 && errno == EINTR) {
  }
  return n == sizeof err ? err : EIO;
}

int NamespaceOps::Unlink(int dirfd, const std::string& name, int flags) {
  return Request(kUnlink, dirfd, name, -1, {}, static_cast<unsigned>(flags));
}

int NamespaceOps::Rename(int old_dirfd, const std::string& old_name, int new_dirfd,
                         const std::string& new_name, unsigned flags) {
  return Request(kRename, old_dirfd, old_name, new_dirfd, new_name, flags);
}

NamespaceOps::NamespaceOps(NamespaceOps&& other) noexcept
    : socket_(std::move(other.socket_)),
      helper_(std::exchange(other.helper_, -1)),
      mutex_(std::move(other.mutex_)) {}

NamespaceOps::~NamespaceOps() {
  if (helper_ <= 0) return;
  socket_.Reset();  // EOF ends it
  kill(helper_, SIGKILL);
  while (waitpid(helper_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace aarm::supervisor
