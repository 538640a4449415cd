// The seccomp filter every agent process runs under. Built once in the supervisor with
// libseccomp, exported as BPF, and installed by the agent with seccomp(2) as the last step
// before exec (so the supervisor can choose the filter flags the kernel offers).
#pragma once

#include <linux/filter.h>

#include <vector>

#include "aarm/base/error.hpp"
#include "setup_protocol.hpp"
#include "mount_plan.hpp"

namespace aarm::sandbox {

struct SeccompProgram {
  std::vector<sock_filter> instructions;
};

// The filter, in order:
//  1. a fixed prologue: any architecture but x86-64 (i386 via int 0x80) and the x32 ABI kill
//     the process; ioctl TIOCSTI/TIOCLINUX fail with EPERM whatever the upper 32 bits of the
//     command hold (the kernel reads it as 32 bits); personality() other than the default or a
//     query fails with EPERM; so does setsockopt() at level IPPROTO_IPV6 of IPV6_RTHDR,
//     IPV6_2292RTHDR or IPV6_2292PKTOPTIONS, the options that give a socket a routing header,
//     compared on the low 32 bits likewise;
//  2. libseccomp's allowlist: every syscall it knows is allowed except the denied groups
//     (EPERM); clone/unshare with namespace flags and seccomp() asking for a listener fail with
//     EPERM; clone3 fails with ENOSYS so libc falls back to clone, whose flags are visible;
//  3. the default: a syscall the filter does not know (newer than this libseccomp) fails with
//     ENOSYS, so programs take their fallback paths.
//  `notified`: syscalls answered by the supervisor (SECCOMP_RET_USER_NOTIF) instead, in the
//  cases syscalls::NotifiedOnlyWhen() gives; of the mediated calls it leaves out, those of
//  syscalls::NotifiedWhenLeftOut() are notified in the cases that gives (when `notified` is not
//  empty: an empty list means no listener).
Result<SeccompProgram> BuildSeccompProgram(const std::vector<int>& notified);

// Installs the program; with SECCOMP_FILTER_FLAG_NEW_LISTENER in `flags`, stores the listener
// fd in `*listener`.
StepFailure InstallSeccompProgram(const SeccompProgram& program, unsigned flags, int* listener);

}  // namespace aarm::sandbox
