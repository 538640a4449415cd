// The system calls the supervisor decides on, with the role of each argument. The seccomp
// filter sends exactly these as user notifications; the supervisor's decoder reads them by role.
#pragma once

#include <span>
#include <string_view>

namespace aarm::syscalls {

enum class ArgRole {
  kNone,
  kDirFd,        // a directory fd for the following path (AT_FDCWD allowed)
  kPath,         // a NUL-terminated path
  kOpenFlags,    // O_* flags
  kOpenHow,      // struct open_how * (openat2)
  kMode,         // mode_t
  kAtFlags,      // AT_* flags (AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EMPTY_PATH, ...)
  kRenameFlags,  // RENAME_*
  kArgv,         // char *const argv[]
  kEnvp,         // char *const envp[]
  kFd,           // a plain fd (execveat with AT_EMPTY_PATH)
  kOther,
};

enum class Family {
  kExec,      // execve, execveat
  kOpen,      // open, openat, openat2, creat
  kTruncate,  // truncate
  kUnlink,    // unlink, unlinkat, rmdir
  kMkdir,     // mkdir, mkdirat
  kMknod,     // mknod, mknodat
  kRename,    // rename, renameat, renameat2
  kLink,      // link, linkat
  kSymlink,   // symlink, symlinkat
  kChmod,     // chmod, fchmodat, fchmodat2
  kChown,     // chown, lchown, fchownat
  kUtimes,    // utime, utimes, futimesat, utimensat
};

struct MediatedSyscall {
  int nr;
  std::string_view name;
  Family family;
  ArgRole args[6];
};

std::span<const MediatedSyscall> MediatedSyscalls();
const MediatedSyscall* FindMediated(int nr);

}  // namespace aarm::syscalls
