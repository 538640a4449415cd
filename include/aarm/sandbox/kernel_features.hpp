// What the running kernel offers, probed once at start. `aarm-run --version` prints it.
#pragma once

#include <string>

namespace aarm::sandbox {

struct KernelFeatures {
  std::string release;          // uname -r
  int landlock_abi = 0;         // 0: no Landlock
  bool user_namespaces = false; // an unprivileged user namespace can be created here
  bool seccomp_user_notif = false;
  bool seccomp_wait_killable_recv = false;
  bool seccomp_sync_wake_up = false;
  bool pidfd = false;
};

KernelFeatures ProbeKernelFeatures();

// One line per feature, for --version.
std::string DescribeKernelFeatures(const KernelFeatures& features);

}  // namespace aarm::sandbox
