// The system calls the supervisor decides on, with the role of each argument. The seccomp
// filter sends those of NotifiedSyscalls() as user notifications; the supervisor's decoder reads
// them by role.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

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
  kFd,           // a plain fd (execveat with AT_EMPTY_PATH; the socket of socket calls)
  kSockaddr,     // struct sockaddr *, its length in the next argument
  kSockaddrLength,
  kMsghdr,       // struct msghdr *
  kMmsghdr,      // struct mmsghdr[], their number in the next argument
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
  kConnect,   // connect
  kBind,      // bind
  kListen,    // listen
  kSend,      // sendto, sendmsg, sendmmsg
};

struct MediatedSyscall {
  int nr;
  std::string_view name;
  Family family;
  ArgRole args[6];
};

// Every system call the supervisor can decide on.
std::span<const MediatedSyscall> MediatedSyscalls();
const MediatedSyscall* FindMediated(int nr);

// The system calls to notify. `shared_network`: the agent shares aarm-run's network namespace
// (profile mode "host", or no namespaces at all); then bind, listen, sendmsg and sendmmsg are
// notified too. In a network namespace of the sandbox's own connect and sendto (with an
// address) are: that namespace has no route out, so what a bind or a send reaches over IP
// stays inside it — but a unix socket's path is no IP address, and sendto is how a datagram
// goes to one most often.
std::vector<int> NotifiedSyscalls(bool shared_network);

// A test the seccomp filter makes on one argument of a call.
struct ArgumentTest {
  int argument;
  // The test holds when any of these bits is set in the argument; 0: when it is not zero.
  uint64_t bits = 0;
};

// For a call of NotifiedSyscalls() that needs a notification only in some cases, the test
// that picks them; the filter lets the others run at kernel speed. sendto(2) with a null
// address sends on a connected socket, which was decided when it connected.
std::optional<ArgumentTest> NotifiedOnlyWhen(int nr);

// For a mediated call NotifiedSyscalls() leaves out, the cases the filter notifies all the
// same. sendmsg(2) and sendmmsg(2) with MSG_FASTOPEN (in their flags argument, which applies
// to every message of a sendmmsg) connect an unconnected TCP socket to the address they
// carry: in mode proxy that connect must be decided, as a connect(2) to the transparent
// listener is.
std::optional<ArgumentTest> NotifiedWhenLeftOut(int nr);

// connect, bind, listen and the sends.
bool IsSocketFamily(Family family);

}  // namespace aarm::syscalls
