#include "aarm/syscalls/mediated.hpp"

#include <sys/socket.h>
#include <sys/syscall.h>

#include <array>

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

namespace aarm::syscalls {
namespace {

using R = ArgRole;
using F = Family;

// THE list of mediated syscalls on x86-64. Every syscall that executes a program or creates,
// removes, renames or changes a path is here; fd-based variants (fchmod, fchown, ftruncate,
// futimens) act on an object the agent already opened through a mediated call. So is every
// syscall that gives a socket a destination or an address: write(2) and send(2) on a connected
// socket go where its connect was decided to go.
constexpr std::array kMediated = {
    MediatedSyscall{__NR_execve, "execve", F::kExec, {R::kPath, R::kArgv, R::kEnvp}},
    MediatedSyscall{__NR_execveat, "execveat", F::kExec,
                    {R::kDirFd, R::kPath, R::kArgv, R::kEnvp, R::kAtFlags}},
    MediatedSyscall{__NR_open, "open", F::kOpen, {R::kPath, R::kOpenFlags, R::kMode}},
    MediatedSyscall{__NR_openat, "openat", F::kOpen,
                    {R::kDirFd, R::kPath, R::kOpenFlags, R::kMode}},
    MediatedSyscall{__NR_openat2, "openat2", F::kOpen,
                    {R::kDirFd, R::kPath, R::kOpenHow, R::kOther}},
    MediatedSyscall{__NR_creat, "creat", F::kOpen, {R::kPath, R::kMode}},
    MediatedSyscall{__NR_truncate, "truncate", F::kTruncate, {R::kPath, R::kOther}},
    MediatedSyscall{__NR_unlink, "unlink", F::kUnlink, {R::kPath}},
    MediatedSyscall{__NR_unlinkat, "unlinkat", F::kUnlink, {R::kDirFd, R::kPath, R::kAtFlags}},
    MediatedSyscall{__NR_rmdir, "rmdir", F::kUnlink, {R::kPath}},
    MediatedSyscall{__NR_mkdir, "mkdir", F::kMkdir, {R::kPath, R::kMode}},
    MediatedSyscall{__NR_mkdirat, "mkdirat", F::kMkdir, {R::kDirFd, R::kPath, R::kMode}},
    MediatedSyscall{__NR_mknod, "mknod", F::kMknod, {R::kPath, R::kMode, R::kOther}},
    MediatedSyscall{__NR_mknodat, "mknodat", F::kMknod,
                    {R::kDirFd, R::kPath, R::kMode, R::kOther}},
    MediatedSyscall{__NR_rename, "rename", F::kRename, {R::kPath, R::kPath}},
    MediatedSyscall{__NR_renameat, "renameat", F::kRename,
                    {R::kDirFd, R::kPath, R::kDirFd, R::kPath}},
    MediatedSyscall{__NR_renameat2, "renameat2", F::kRename,
                    {R::kDirFd, R::kPath, R::kDirFd, R::kPath, R::kRenameFlags}},
    MediatedSyscall{__NR_link, "link", F::kLink, {R::kPath, R::kPath}},
    MediatedSyscall{__NR_linkat, "linkat", F::kLink,
                    {R::kDirFd, R::kPath, R::kDirFd, R::kPath, R::kAtFlags}},
    MediatedSyscall{__NR_symlink, "symlink", F::kSymlink, {R::kOther, R::kPath}},
    MediatedSyscall{__NR_symlinkat, "symlinkat", F::kSymlink, {R::kOther, R::kDirFd, R::kPath}},
    MediatedSyscall{__NR_chmod, "chmod", F::kChmod, {R::kPath, R::kMode}},
    MediatedSyscall{__NR_fchmodat, "fchmodat", F::kChmod, {R::kDirFd, R::kPath, R::kMode}},
    MediatedSyscall{__NR_fchmodat2, "fchmodat2", F::kChmod,
                    {R::kDirFd, R::kPath, R::kMode, R::kAtFlags}},
    MediatedSyscall{__NR_chown, "chown", F::kChown, {R::kPath, R::kOther, R::kOther}},
    MediatedSyscall{__NR_lchown, "lchown", F::kChown, {R::kPath, R::kOther, R::kOther}},
    MediatedSyscall{__NR_fchownat, "fchownat", F::kChown,
                    {R::kDirFd, R::kPath, R::kOther, R::kOther, R::kAtFlags}},
    MediatedSyscall{__NR_utime, "utime", F::kUtimes, {R::kPath, R::kOther}},
    MediatedSyscall{__NR_utimes, "utimes", F::kUtimes, {R::kPath, R::kOther}},
    MediatedSyscall{__NR_futimesat, "futimesat", F::kUtimes, {R::kDirFd, R::kPath, R::kOther}},
    MediatedSyscall{__NR_utimensat, "utimensat", F::kUtimes,
                    {R::kDirFd, R::kPath, R::kOther, R::kAtFlags}},
    MediatedSyscall{__NR_connect, "connect", F::kConnect, {R::kFd, R::kSockaddr, R::kSockaddrLength}},
    MediatedSyscall{__NR_bind, "bind", F::kBind, {R::kFd, R::kSockaddr, R::kSockaddrLength}},
    MediatedSyscall{__NR_listen, "listen", F::kListen, {R::kFd, R::kOther}},
    MediatedSyscall{__NR_sendto, "sendto", F::kSend,
                    {R::kFd, R::kOther, R::kOther, R::kOther, R::kSockaddr, R::kSockaddrLength}},
    MediatedSyscall{__NR_sendmsg, "sendmsg", F::kSend, {R::kFd, R::kMsghdr, R::kOther}},
    MediatedSyscall{__NR_sendmmsg, "sendmmsg", F::kSend,
                    {R::kFd, R::kMmsghdr, R::kOther, R::kOther}},
};

constexpr int kSendtoAddressArgument = 4;
constexpr int kSendmsgFlagsArgument = 2;
constexpr int kSendmmsgFlagsArgument = 3;

}  // namespace

std::span<const MediatedSyscall> MediatedSyscalls() { return kMediated; }

const MediatedSyscall* FindMediated(int nr) {
  for (const auto& entry : kMediated) {
    if (entry.nr == nr) return &entry;
  }
  return nullptr;
}

bool IsSocketFamily(Family family) {
  return family == F::kConnect || family == F::kBind || family == F::kListen ||
         family == F::kSend;
}

std::vector<int> NotifiedSyscalls(bool shared_network) {
  std::vector<int> out;
  for (const auto& entry : kMediated) {
    // bind: a unix socket bound by path is a file created, whatever the network mode.
    bool always = !IsSocketFamily(entry.family) || entry.family == F::kConnect ||
                  entry.family == F::kBind || entry.nr == __NR_sendto;
    if (always || shared_network) out.push_back(entry.nr);
  }
  return out;
}

std::optional<ArgumentTest> NotifiedOnlyWhen(int nr) {
  if (nr == __NR_sendto) return ArgumentTest{kSendtoAddressArgument};
  return std::nullopt;
}

std::optional<ArgumentTest> NotifiedWhenLeftOut(int nr) {
  if (nr == __NR_sendmsg) return ArgumentTest{kSendmsgFlagsArgument, MSG_FASTOPEN};
  if (nr == __NR_sendmmsg) return ArgumentTest{kSendmmsgFlagsArgument, MSG_FASTOPEN};
  return std::nullopt;
}

}  // namespace aarm::syscalls
