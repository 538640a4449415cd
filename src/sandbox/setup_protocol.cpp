#include "setup_protocol.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace aarm::sandbox {

const char* SetupStepName(SetupStep step) {
  switch (step) {
    case SetupStep::kNone: return "setup";
    case SetupStep::kWaitForIdMaps: return "waiting for the user namespace id maps";
    case SetupStep::kSetHostname: return "setting the host name";
    case SetupStep::kMakeMountsPrivate: return "making mounts private";
    case SetupStep::kMountStagingRoot: return "mounting the new root";
    case SetupStep::kCreateMountPoint: return "creating a mount point";
    case SetupStep::kBindMount: return "bind-mounting a profile path";
    case SetupStep::kRemountReadOnly: return "making a path read-only";
    case SetupStep::kHidePath: return "hiding a path";
    case SetupStep::kMountTmp: return "mounting the private /tmp";
    case SetupStep::kMountProc: return "mounting /proc";
    case SetupStep::kMountDev: return "building /dev";
    case SetupStep::kPivotRoot: return "switching to the new root";
    case SetupStep::kLoopbackUp: return "bringing up the loopback interface";
    case SetupStep::kNetworkListener: return "opening the network services' sockets";
    case SetupStep::kChangeDirectory: return "entering the working directory";
    case SetupStep::kForkAgent: return "starting the agent process";
    case SetupStep::kNewSession: return "starting a new session";
    case SetupStep::kCloseFds: return "closing inherited descriptors";
    case SetupStep::kNoNewPrivs: return "setting no_new_privs";
    case SetupStep::kLandlock: return "applying Landlock";
    case SetupStep::kDropCapabilities: return "dropping capabilities";
    case SetupStep::kSeccomp: return "installing the seccomp filter";
    case SetupStep::kExec: return "executing the command";
  }
  return "setup";
}

bool SendMessage(int fd, const SetupMessage& message) {
  for (;;) {
    ssize_t n = write(fd, &message, sizeof message);
    if (n == static_cast<ssize_t>(sizeof message)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

bool ReceiveMessage(int fd, SetupMessage* message) {
  for (;;) {
    ssize_t n = read(fd, message, sizeof *message);
    if (n == static_cast<ssize_t>(sizeof *message)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

bool SendFd(int socket, int fd) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  __builtin_memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  for (;;) {
    if (sendmsg(socket, &msg, MSG_NOSIGNAL) == 1) return true;
    if (errno != EINTR) return false;
  }
}

int ReceiveFd(int socket) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (n != 1 || cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS) return -1;
  int fd = -1;
  __builtin_memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return fd;
}

}  // namespace aarm::sandbox
