// Named groups of syscalls, by name as libseccomp and the kernel spell them. The seccomp filter
// is built from these groups; a name this build's libseccomp does not know is skipped (the
// filter then answers ENOSYS for it, as for every syscall it does not know).
#pragma once

#include <span>
#include <string_view>

namespace aarm::syscalls {

struct SyscallGroup {
  std::string_view name;         // "@privileged" style, for diagnostics
  std::string_view description;  // why no agent needs them
  std::span<const std::string_view> members;
};

// Syscalls that fail with EPERM inside the sandbox, whatever the profile says.
std::span<const SyscallGroup> DeniedGroups();

}  // namespace aarm::syscalls
