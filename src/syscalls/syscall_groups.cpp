#include "aarm/syscalls/syscall_groups.hpp"

#include <array>

namespace aarm::syscalls {
namespace {

using namespace std::string_view_literals;

// SECURITY: every member here fails with EPERM for the agent. ptrace and process_vm_writev
// would let it steer another process; io_uring performs file and network I/O without passing
// through the syscalls the supervisor mediates.
constexpr std::array kDebug = {"ptrace"sv, "process_vm_writev"sv, "pidfd_getfd"sv, "kcmp"sv,
                               "perf_event_open"sv, "bpf"sv, "userfaultfd"sv,
                               "lookup_dcookie"sv};
constexpr std::array kKernelModules = {"init_module"sv, "finit_module"sv, "delete_module"sv,
                                       "create_module"sv, "get_kernel_syms"sv,
                                       "query_module"sv, "kexec_load"sv, "kexec_file_load"sv};
constexpr std::array kMount = {"mount"sv,        "umount2"sv,     "pivot_root"sv,
                               "move_mount"sv,   "fsopen"sv,      "fsconfig"sv,
                               "fsmount"sv,      "fspick"sv,      "open_tree"sv,
                               "mount_setattr"sv, "chroot"sv,     "setns"sv,
                               "open_by_handle_at"sv, "name_to_handle_at"sv};
constexpr std::array kKeyring = {"keyctl"sv, "add_key"sv, "request_key"sv};
constexpr std::array kIoUring = {"io_uring_setup"sv, "io_uring_enter"sv, "io_uring_register"sv};
constexpr std::array kSystem = {"acct"sv,      "swapon"sv,       "swapoff"sv,
                                "reboot"sv,    "settimeofday"sv, "clock_settime"sv,
                                "clock_adjtime"sv, "adjtimex"sv, "sethostname"sv,
                                "setdomainname"sv, "iopl"sv,     "ioperm"sv,
                                "syslog"sv,    "quotactl"sv,     "quotactl_fd"sv,
                                "vhangup"sv,   "nfsservctl"sv,   "uselib"sv,
                                "ustat"sv,     "sysfs"sv,        "_sysctl"sv};

constexpr std::array kGroups = {
    SyscallGroup{"@debug", "tracing and inspecting other processes", kDebug},
    SyscallGroup{"@module", "loading kernel code", kKernelModules},
    SyscallGroup{"@mount", "changing the filesystem view or namespaces", kMount},
    SyscallGroup{"@keyring", "the kernel key store", kKeyring},
    SyscallGroup{"@io-uring", "I/O that bypasses mediation", kIoUring},
    SyscallGroup{"@system", "machine-wide settings", kSystem},
};

}  // namespace

std::span<const SyscallGroup> DeniedGroups() { return kGroups; }

}  // namespace aarm::syscalls
