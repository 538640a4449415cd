#include "aarm/sandbox/kernel_features.hpp"

#include <sched.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "aarm/base/linux_api.hpp"

namespace aarm::sandbox {
namespace {

bool CanCreateUserNamespace() {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool SeccompActionAvailable(uint32_t action) {
  return linux_api::Seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

// The kernel rejects unknown filter flags with EINVAL before looking at the program, and a
// NULL program with EFAULT once the flags passed: EFAULT therefore means "flag known".
bool SeccompFilterFlagKnown(unsigned long flag) {
  return linux_api::Seccomp(SECCOMP_SET_MODE_FILTER,
                            static_cast<unsigned>(flag | SECCOMP_FILTER_FLAG_NEW_LISTENER),
                            nullptr) < 0 &&
         errno == EFAULT;
}

}  // namespace

KernelFeatures ProbeKernelFeatures() {
  KernelFeatures f;
  utsname name{};
  if (uname(&name) == 0) f.release = name.release;
  f.landlock_abi = linux_api::LandlockAbi();
  f.user_namespaces = CanCreateUserNamespace();
  f.seccomp_user_notif = SeccompActionAvailable(SECCOMP_RET_USER_NOTIF);
  f.seccomp_wait_killable_recv = SeccompFilterFlagKnown(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  // SYNC_WAKE_UP arrived in 6.6 together with SECCOMP_IOCTL_NOTIF_SET_FLAGS; WAIT_KILLABLE_RECV
  // in 5.19. There is no way to ask for the ioctl without a listener, so go by the release.
  int major = 0, minor = 0;
  sscanf(f.release.c_str(), "%d.%d", &major, &minor);
  f.seccomp_sync_wake_up = f.seccomp_user_notif && (major > 6 || (major == 6 && minor >= 6));
  int pidfd = linux_api::PidfdOpen(getpid(), 0);
  f.pidfd = pidfd >= 0;
  if (pidfd >= 0) close(pidfd);
  return f;
}

std::string DescribeKernelFeatures(const KernelFeatures& f) {
  auto yes_no = [](bool b) { return b ? "yes" : "no"; };
  std::string out;
  out += "kernel: " + f.release + "\n";
  out += "landlock: " + (f.landlock_abi ? "ABI " + std::to_string(f.landlock_abi) : std::string("absent")) + "\n";
  out += std::string("user namespaces: ") + yes_no(f.user_namespaces) + "\n";
  out += std::string("seccomp user notification: ") + yes_no(f.seccomp_user_notif) + "\n";
  out += std::string("seccomp wait-killable receive: ") + yes_no(f.seccomp_wait_killable_recv) + "\n";
  out += std::string("seccomp sync wake-up: ") + yes_no(f.seccomp_sync_wake_up) + "\n";
  out += std::string("pidfd: ") + yes_no(f.pidfd) + "\n";
  return out;
}

}  // namespace aarm::sandbox
