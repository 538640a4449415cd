#include "call_handler.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#include <cerrno>
#include <array>
#include <cstring>
#include <optional>

#include "aarm/syscalls/mediated.hpp"
#include "path_resolver.hpp"
#include "socket_calls.hpp"
#include "target_memory.hpp"

namespace aarm::supervisor {
namespace {

using policy::ActionKind;
using syscalls::Family;

constexpr size_t kMaxArgs = 1 << 16;
constexpr size_t kMaxArgLength = 1 << 17;  // MAX_ARG_STRLEN
constexpr size_t kMaxArgTotal = 8 << 20;    // above what the kernel accepts for argv + envp

int AsFd(uint64_t arg) { return static_cast<int>(static_cast<int32_t>(arg)); }

// What open(2) takes; it ignores other bits, and openat2(2) refuses them.
constexpr int kOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
                           O_NONBLOCK | O_DSYNC | O_SYNC | O_ASYNC | O_DIRECT | O_LARGEFILE |
                           O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE;

// Opens `name` in `parent` without following it should it be (or have become) a symlink: ELOOP.
// SECURITY: RESOLVE_NO_SYMLINKS instead of O_NOFOLLOW, which would stay in the file's status
// flags for the agent to read back with F_GETFL.
int OpenWithoutFollowing(int parent, const std::string& name, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode & 07777 : 0;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH;
  return static_cast<int>(syscall(SYS_openat2, parent, name.c_str(), &how, sizeof how));
}

// One file or exec call in progress. Each method decodes one syscall family; the agent's memory
// is read once, into this object, and the notification checked to be alive before anything is
// done.
class Call : public CallContext {
 public:
  using CallContext::CallContext;

  HandledCall Run(const syscalls::MediatedSyscall& entry);

 private:
  // Without a mount namespace of the agent's own, an allowed call is left to the kernel, so
  // the agent's Landlock domain — which the supervisor is not in — still confines it.
  bool LeftToKernel() {
    if (settings_.perform) return false;
    ReplyContinue();
    return true;
  }

  bool DecideFile(ActionKind kind, const std::string& path, uint32_t flags = 0) {
    policy::Action action;
    action.kind = kind;
    action.path = path;
    action.open_flags = flags;
    return Decide(std::move(action), EACCES);
  }

  void Open(int dirfd, uint64_t path_address, int flags, mode_t mode,
            const ResolveOptions& resolve_flags);
  void OpenHow();
  void Exec(int dirfd, uint64_t path_address, uint64_t argv_address, int at_flags);
  void Truncate();
  void Unlink(int dirfd, uint64_t path_address, int at_flags);
  void Mkdir(int dirfd, uint64_t path_address, mode_t mode);
  void Mknod(int dirfd, uint64_t path_address, mode_t mode, dev_t dev);
  void Rename(int old_dirfd, uint64_t old_address, int new_dirfd, uint64_t new_address,
              unsigned flags);
  void Link(int old_dirfd, uint64_t old_address, int new_dirfd, uint64_t new_address,
            int at_flags);
  void Symlink(uint64_t target_address, int dirfd, uint64_t path_address);
  void Chmod(int dirfd, uint64_t path_address, mode_t mode, int at_flags);
  void Chown(int dirfd, uint64_t path_address, uid_t uid, gid_t gid, int at_flags);
  void Utimes(int dirfd, uint64_t path_address, std::optional<std::array<timespec, 2>> times,
              int at_flags);
  std::optional<std::array<timespec, 2>> ReadTimevals(uint64_t address);

};

HandledCall Call::Run(const syscalls::MediatedSyscall& entry) {
  // Most socket calls need no view of the agent's files: they open it when they do.
  if (syscalls::IsSocketFamily(entry.family)) {
    MediateSocketCall(*this, entry.family);
    return Take();
  }
  if (!OpenView()) return Take();
  const int nr = Nr();
  switch (entry.family) {
    case Family::kOpen:
      if (nr == __NR_open) {
        Open(AT_FDCWD, Arg(0), static_cast<int>(Arg(1)), static_cast<mode_t>(Arg(2)), {});
      } else if (nr == __NR_openat) {
        Open(AsFd(Arg(0)), Arg(1), static_cast<int>(Arg(2)), static_cast<mode_t>(Arg(3)), {});
      } else if (nr == __NR_creat) {
        Open(AT_FDCWD, Arg(0), O_CREAT | O_WRONLY | O_TRUNC, static_cast<mode_t>(Arg(1)), {});
      } else {
        OpenHow();
      }
      break;
    case Family::kExec:
      if (nr == __NR_execve) {
        Exec(AT_FDCWD, Arg(0), Arg(1), 0);
      } else {
        Exec(AsFd(Arg(0)), Arg(1), Arg(2), static_cast<int>(Arg(4)));
      }
      break;
    case Family::kTruncate:
      Truncate();
      break;
    case Family::kUnlink:
      if (nr == __NR_unlink) {
        Unlink(AT_FDCWD, Arg(0), 0);
      } else if (nr == __NR_rmdir) {
        Unlink(AT_FDCWD, Arg(0), AT_REMOVEDIR);
      } else {
        Unlink(AsFd(Arg(0)), Arg(1), static_cast<int>(Arg(2)));
      }
      break;
    case Family::kMkdir:
      if (nr == __NR_mkdir) {
        Mkdir(AT_FDCWD, Arg(0), static_cast<mode_t>(Arg(1)));
      } else {
        Mkdir(AsFd(Arg(0)), Arg(1), static_cast<mode_t>(Arg(2)));
      }
      break;
    case Family::kMknod:
      if (nr == __NR_mknod) {
        Mknod(AT_FDCWD, Arg(0), static_cast<mode_t>(Arg(1)), static_cast<dev_t>(Arg(2)));
      } else {
        Mknod(AsFd(Arg(0)), Arg(1), static_cast<mode_t>(Arg(2)), static_cast<dev_t>(Arg(3)));
      }
      break;
    case Family::kRename:
      if (nr == __NR_rename) {
        Rename(AT_FDCWD, Arg(0), AT_FDCWD, Arg(1), 0);
      } else if (nr == __NR_renameat) {
        Rename(AsFd(Arg(0)), Arg(1), AsFd(Arg(2)), Arg(3), 0);
      } else {
        Rename(AsFd(Arg(0)), Arg(1), AsFd(Arg(2)), Arg(3), static_cast<unsigned>(Arg(4)));
      }
      break;
    case Family::kLink:
      if (nr == __NR_link) {
        Link(AT_FDCWD, Arg(0), AT_FDCWD, Arg(1), 0);
      } else {
        Link(AsFd(Arg(0)), Arg(1), AsFd(Arg(2)), Arg(3), static_cast<int>(Arg(4)));
      }
      break;
    case Family::kSymlink:
      if (nr == __NR_symlink) {
        Symlink(Arg(0), AT_FDCWD, Arg(1));
      } else {
        Symlink(Arg(0), AsFd(Arg(1)), Arg(2));
      }
      break;
    case Family::kChmod:
      if (nr == __NR_chmod) {
        Chmod(AT_FDCWD, Arg(0), static_cast<mode_t>(Arg(1)), 0);
      } else if (nr == __NR_fchmodat) {
        Chmod(AsFd(Arg(0)), Arg(1), static_cast<mode_t>(Arg(2)), 0);
      } else {
        Chmod(AsFd(Arg(0)), Arg(1), static_cast<mode_t>(Arg(2)), static_cast<int>(Arg(3)));
      }
      break;
    case Family::kChown:
      if (nr == __NR_chown) {
        Chown(AT_FDCWD, Arg(0), static_cast<uid_t>(Arg(1)), static_cast<gid_t>(Arg(2)), 0);
      } else if (nr == __NR_lchown) {
        Chown(AT_FDCWD, Arg(0), static_cast<uid_t>(Arg(1)), static_cast<gid_t>(Arg(2)),
              AT_SYMLINK_NOFOLLOW);
      } else {
        Chown(AsFd(Arg(0)), Arg(1), static_cast<uid_t>(Arg(2)), static_cast<gid_t>(Arg(3)),
              static_cast<int>(Arg(4)));
      }
      break;
    case Family::kUtimes:
      if (nr == __NR_utimensat) {
        std::optional<std::array<timespec, 2>> times;
        if (Arg(2) != 0) {
          std::array<timespec, 2> read{};
          if (!ReadMemory(Pid(), Arg(2), read.data(), sizeof read)) {
            ReplyError(EFAULT);
            break;
          }
          times = read;
        }
        Utimes(AsFd(Arg(0)), Arg(1), times, static_cast<int>(Arg(3)));
      } else if (nr == __NR_utime) {
        std::optional<std::array<timespec, 2>> times;
        if (Arg(1) != 0) {
          utimbuf buffer{};
          if (!ReadMemory(Pid(), Arg(1), &buffer, sizeof buffer)) {
            ReplyError(EFAULT);
            break;
          }
          times = std::array<timespec, 2>{timespec{buffer.actime, 0}, timespec{buffer.modtime, 0}};
        }
        Utimes(AT_FDCWD, Arg(0), times, 0);
      } else if (nr == __NR_utimes) {
        auto times = ReadTimevals(Arg(1));
        if (out_.reply.kind == Reply::Kind::kError && out_.reply.err == EFAULT) break;
        Utimes(AT_FDCWD, Arg(0), times, 0);
      } else {
        auto times = ReadTimevals(Arg(2));
        if (out_.reply.kind == Reply::Kind::kError && out_.reply.err == EFAULT) break;
        Utimes(AsFd(Arg(0)), Arg(1), times, 0);
      }
      break;
    case Family::kConnect:
    case Family::kBind:
    case Family::kListen:
    case Family::kSend:
      break;  // mediated above
  }
  return Take();
}

std::optional<std::array<timespec, 2>> Call::ReadTimevals(uint64_t address) {
  if (address == 0) return std::nullopt;
  timeval tv[2];
  if (!ReadMemory(Pid(), address, tv, sizeof tv)) {
    ReplyError(EFAULT);
    return std::nullopt;
  }
  return std::array<timespec, 2>{timespec{tv[0].tv_sec, tv[0].tv_usec * 1000},
                                 timespec{tv[1].tv_sec, tv[1].tv_usec * 1000}};
}

void Call::OpenHow() {
  uint64_t size = Arg(3);
  open_how how{};
  if (size < sizeof how) return ReplyError(EINVAL);
  if (size > 4096) return ReplyError(E2BIG);
  std::vector<unsigned char> raw(size);
  if (!ReadMemory(Pid(), Arg(2), raw.data(), raw.size())) return ReplyError(EFAULT);
  for (size_t i = sizeof how; i < raw.size(); ++i) {
    if (raw[i] != 0) return ReplyError(E2BIG);  // a field this kernel interface predates
  }
  memcpy(&how, raw.data(), sizeof how);
  constexpr uint64_t kKnownResolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS |
                                     RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT |
                                     RESOLVE_CACHED;
  if (how.resolve & ~kKnownResolve) return ReplyError(EINVAL);
  if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT)) return ReplyError(EINVAL);
  ResolveOptions options;
  options.beneath = how.resolve & RESOLVE_BENEATH;
  options.in_root = how.resolve & RESOLVE_IN_ROOT;
  options.no_symlinks = how.resolve & RESOLVE_NO_SYMLINKS;
  options.no_magic_links = how.resolve & RESOLVE_NO_MAGICLINKS;
  options.no_xdev = how.resolve & RESOLVE_NO_XDEV;
  Open(AsFd(Arg(0)), Arg(1), static_cast<int>(how.flags), static_cast<mode_t>(how.mode), options);
}

void Call::Open(int dirfd, uint64_t path_address, int flags, mode_t mode,
                const ResolveOptions& resolve_flags) {
  auto path = ReadPath(path_address);
  if (!path || !StillPending()) return;
  ResolveOptions options = resolve_flags;
  bool creating = flags & O_CREAT;
  bool exclusive = creating && (flags & O_EXCL);
  options.follow_last = !(flags & O_NOFOLLOW) && !exclusive;
  auto resolved = ResolveOrReply(dirfd, *path, options);
  if (!resolved) return;

  struct stat st = resolved->last_stat;
  // Through a magic link the object exists: an O_CREAT there opens it, and is a write.
  bool exists = resolved->magic_link       ? fstat(resolved->object.Get(), &st) == 0
                : resolved->last_looked_up ? resolved->last_exists
                                           : fstatat(resolved->parent.Get(),
                                                     resolved->name.c_str(), &st,
                                                     AT_SYMLINK_NOFOLLOW) == 0;
  bool tmpfile = (flags & O_TMPFILE) == O_TMPFILE;
  // The kernel creates no regular file under a name written as a directory ("new/").
  if (creating && !exists && path->back() == '/') return ReplyError(EISDIR);
  int access = flags & O_ACCMODE;
  ActionKind kind = ActionKind::kFileRead;
  if ((creating && !exists) || tmpfile) {
    kind = ActionKind::kFileCreate;
  } else if (access != O_RDONLY || (flags & O_TRUNC)) {
    kind = ActionKind::kFileWrite;
  }
  if (!DecideFile(kind, resolved->path, static_cast<uint32_t>(flags))) return;
  if (LeftToKernel()) return;

  // The terminal named by /dev/tty is the opener's: the agent has none (its own session).
  if (resolved->path == "/dev/tty") return ReplyError(ENXIO);
  // Opening a FIFO blocks until its other end opens; the kernel does it in the agent's time.
  // An O_PATH descriptor cannot be injected (NOTIF_ADDFD refuses it) and grants no access by
  // itself: every use of it — a reopen through /proc/self/fd, a *at() call relative to it, an
  // fexecve — is mediated again on the object it really holds.
  if ((exists && !resolved->magic_link && S_ISFIFO(st.st_mode)) || (flags & O_PATH)) {
    ReplyContinue();
    return;
  }
  // O_NONBLOCK: a FIFO swapped in after the check above must not hold a worker forever; the
  // flag is taken off again unless the agent asked for it.
  int open_flags = (flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) & kOpenFlags;
  // SECURITY: decided as a read or write of an existing file, the open must not create one
  // should the name vanish meanwhile.
  if (creating && exists) {
    if (exclusive) return ReplyError(EEXIST);
    if (S_ISDIR(st.st_mode)) return ReplyError(EISDIR);
    open_flags &= ~(O_CREAT | O_EXCL);
  }
  // The agent's umask matters (and costs a read of /proc/PID/status) only when creating.
  mode_t create_mode = (creating || tmpfile) ? mode & ~view_->Status().umask : 0;
  // SECURITY: O_TRUNC would empty the file before the check on the object below; the open is
  // made without it and the truncation done once the object is known to be allowed.
  bool truncate = (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY;
  int fd = resolved->magic_link
               ? openat(resolved->parent.Get(), resolved->name.c_str(), open_flags & ~O_TRUNC,
                        create_mode)
               : OpenWithoutFollowing(resolved->parent.Get(), resolved->name,
                                      open_flags & ~O_TRUNC, create_mode);
  if (fd < 0) return ReplyError(errno);
  if (!(flags & O_NONBLOCK)) {
    // The status flags F_SETFL sets, as the open left them, but O_NONBLOCK.
    fcntl(fd, F_SETFL, open_flags & (O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME));
  }
  struct stat opened;
  if (fstat(fd, &opened) == 0 && IsHiddenObject(opened.st_dev, opened.st_ino)) {
    close(fd);
    return;
  }
  if (truncate && S_ISREG(opened.st_mode) && ftruncate(fd, 0) != 0) {
    int err = errno;
    close(fd);
    return ReplyError(err);
  }
  out_.reply.kind = Reply::Kind::kInjectFd;
  out_.reply.fd.Reset(fd);
  out_.reply.close_on_exec = flags & O_CLOEXEC;
}

void Call::Exec(int dirfd, uint64_t path_address, uint64_t argv_address, int at_flags) {
  auto path = ReadPath(path_address);
  if (!path) return;
  auto argv = ReadStringArray(Pid(), argv_address, kMaxArgs, kMaxArgLength, kMaxArgTotal);
  if (!argv) return ReplyError(argv.error().sys_errno);
  if (!StillPending()) return;
  policy::Action action;
  action.kind = ActionKind::kProcessExec;
  action.argv = std::move(*argv);
  if (path->empty() && (at_flags & AT_EMPTY_PATH)) {
    // fexecve(): the program is whatever the fd holds.
    char target[PATH_MAX];
    std::string link = "/proc/" + std::to_string(Pid()) + "/fd/" + std::to_string(dirfd);
    ssize_t len = readlink(link.c_str(), target, sizeof target - 1);
    if (len < 0) return ReplyError(EBADF);
    action.path.assign(target, static_cast<size_t>(len));
  } else {
    ResolveOptions options;
    options.follow_last = !(at_flags & AT_SYMLINK_NOFOLLOW);
    auto resolved = ResolveOrReply(dirfd, *path, options);
    if (!resolved) return;
    action.path = resolved->path;
  }
  // Read once the program is known to exist: a PATH search tries many names in vain.
  char cwd[PATH_MAX];
  ssize_t n = readlink(("/proc/" + std::to_string(Pid()) + "/cwd").c_str(), cwd, sizeof cwd - 1);
  if (n > 0) action.cwd.assign(cwd, static_cast<size_t>(n));
  if (!Decide(std::move(action), EPERM)) return;
  ReplyContinue();
}

void Call::Truncate() {
  auto path = ReadPath(Arg(0));
  if (!path || !StillPending()) return;
  auto resolved = ResolveOrReply(AT_FDCWD, *path, {});
  if (!resolved || !DecideFile(ActionKind::kFileWrite, resolved->path, O_WRONLY | O_TRUNC)) {
    return;
  }
  if (LeftToKernel()) return;
  UniqueFd fd(openat(resolved->parent.Get(), resolved->name.c_str(),
                     O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return ReplyError(errno == ELOOP ? EACCES : errno);
  struct stat opened;
  if (fstat(fd.Get(), &opened) == 0 && IsHiddenObject(opened.st_dev, opened.st_ino)) return;
  ReplyFromLastCall(ftruncate(fd.Get(), static_cast<off_t>(Arg(1))));
}

void Call::Unlink(int dirfd, uint64_t path_address, int at_flags) {
  auto path = ReadPath(path_address);
  if (!path || !StillPending()) return;
  if (at_flags & ~AT_REMOVEDIR) return ReplyError(EINVAL);
  ResolveOptions options;
  options.follow_last = false;
  auto resolved = ResolveOrReply(dirfd, *path, options);
  if (!resolved || !DecideFile(ActionKind::kFileDelete, resolved->path)) return;
  if (LeftToKernel()) return;
  if (settings_.namespace_ops) {
    int err = settings_.namespace_ops->Unlink(resolved->parent.Get(), resolved->name, at_flags);
    return err ? ReplyError(err) : ReplyValue(0);
  }
  ReplyFromLastCall(unlinkat(resolved->parent.Get(), resolved->name.c_str(), at_flags));
}

void Call::Mkdir(int dirfd, uint64_t path_address, mode_t mode) {
  auto path = ReadPath(path_address);
  if (!path || !StillPending()) return;
  ResolveOptions options;
  options.follow_last = false;
  auto resolved = ResolveOrReply(dirfd, *path, options);
  if (!resolved || !DecideFile(ActionKind::kFileCreate, resolved->path)) return;
  if (LeftToKernel()) return;
  ReplyFromLastCall(mkdirat(resolved->parent.Get(), resolved->name.c_str(), mode & ~view_->Status().umask));
}

void Call::Mknod(int dirfd, uint64_t path_address, mode_t mode, dev_t dev) {
  auto path = ReadPath(path_address);
  if (!path || !StillPending()) return;
  mode_t type = mode & S_IFMT;
  // Devices need CAP_MKNOD, which the agent never has.
  if (type == S_IFCHR || type == S_IFBLK) return ReplyError(EPERM);
  ResolveOptions options;
  options.follow_last = false;
  auto resolved = ResolveOrReply(dirfd, *path, options);
  if (!resolved || !DecideFile(ActionKind::kFileCreate, resolved->path)) return;
  if (LeftToKernel()) return;
  mode_t permissions = mode & ~S_IFMT & ~view_->Status().umask;
  ReplyFromLastCall(mknodat(resolved->parent.Get(), resolved->name.c_str(), type | permissions, dev));
}

void Call::Rename(int old_dirfd, uint64_t old_address, int new_dirfd, uint64_t new_address,
                  unsigned flags) {
  auto from = ReadPath(old_address);
  if (!from) return;
  auto to = ReadPath(new_address);
  if (!to || !StillPending()) return;
  ResolveOptions options;
  options.follow_last = false;
  auto source = ResolveOrReply(old_dirfd, *from, options);
  if (!source) return;
  auto target = ResolveOrReply(new_dirfd, *to, options);
  if (!target) return;
  policy::Action action;
  action.kind = ActionKind::kFileRename;
  action.path = source->path;
  action.to = target->path;
  if (!Decide(std::move(action), EACCES)) return;
  if (LeftToKernel()) return;
  if (settings_.namespace_ops) {
    int err = settings_.namespace_ops->Rename(source->parent.Get(), source->name, target->parent.Get(),
                                     target->name, flags);
    return err ? ReplyError(err) : ReplyValue(0);
  }
  ReplyFromLastCall(static_cast<int>(syscall(SYS_renameat2, source->parent.Get(),
                                             source->name.c_str(), target->parent.Get(),
                                             target->name.c_str(), flags)));
}

void Call::Link(int old_dirfd, uint64_t old_address, int new_dirfd, uint64_t new_address,
                int at_flags) {
  auto from = ReadPath(old_address);
  if (!from) return;
  auto to = ReadPath(new_address);
  if (!to || !StillPending()) return;
  if (at_flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return ReplyError(EINVAL);
  // Linking an open fd (AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH, which the agent lacks.
  if (from->empty()) return ReplyError(ENOENT);
  ResolveOptions source_options;
  source_options.follow_last = at_flags & AT_SYMLINK_FOLLOW;
  auto source = ResolveOrReply(old_dirfd, *from, source_options);
  if (!source) return;
  ResolveOptions target_options;
  target_options.follow_last = false;
  auto target = ResolveOrReply(new_dirfd, *to, target_options);
  if (!target) return;
  policy::Action action;
  action.kind = ActionKind::kFileLink;
  action.path = source->path;
  action.to = target->path;
  if (!Decide(std::move(action), EACCES)) return;
  // A new name for a file is a new way to read or write it: a file the agent may not read or
  // write under its own name gets no other (the link is refused as that access would be).
  for (ActionKind access : {ActionKind::kFileRead, ActionKind::kFileWrite}) {
    policy::Action reach;
    reach.kind = access;
    reach.path = source->path;
    if (!Decide(std::move(reach), EACCES)) return;
  }
  if (LeftToKernel()) return;
  // Link the object checked, held open, never a name that could be swapped meanwhile.
  UniqueFd object(openat(source->parent.Get(), source->name.c_str(),
                         O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!object) return ReplyError(errno);
  struct stat linked;
  if (fstat(object.Get(), &linked) == 0 && IsHiddenObject(linked.st_dev, linked.st_ino)) return;
  std::string via = "/proc/self/fd/" + std::to_string(object.Get());
  ReplyFromLastCall(linkat(AT_FDCWD, via.c_str(), target->parent.Get(), target->name.c_str(),
                           AT_SYMLINK_FOLLOW));
}

void Call::Symlink(uint64_t target_address, int dirfd, uint64_t path_address) {
  auto target = ReadPath(target_address);
  if (!target) return;
  auto path = ReadPath(path_address);
  if (!path || !StillPending()) return;
  ResolveOptions options;
  options.follow_last = false;
  auto resolved = ResolveOrReply(dirfd, *path, options);
  if (!resolved) return;
  policy::Action action;
  action.kind = ActionKind::kFileCreate;
  action.path = resolved->path;
  action.to = *target;
  if (!Decide(std::move(action), EACCES)) return;
  if (LeftToKernel()) return;
  ReplyFromLastCall(symlinkat(target->c_str(), resolved->parent.Get(), resolved->name.c_str()));
}

void Call::Chmod(int dirfd, uint64_t path_address, mode_t mode, int at_flags) {
  auto path = ReadPath(path_address);
  if (!path || !StillPending()) return;
  ResolveOptions options;
  options.follow_last = !(at_flags & AT_SYMLINK_NOFOLLOW);
  auto resolved = ResolveOrReply(dirfd, *path, options);
  if (!resolved || !DecideFile(ActionKind::kFileChmod, resolved->path)) return;
  if (LeftToKernel()) return;
  // Change the object held open, never a name that could be swapped for a symlink meanwhile.
  UniqueFd object(openat(resolved->parent.Get(), resolved->name.c_str(),
                         O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!object) return ReplyError(errno);
  struct stat st;
  if (fstat(object.Get(), &st) == 0 && S_ISLNK(st.st_mode)) return ReplyError(EOPNOTSUPP);
  std::string via = "/proc/self/fd/" + std::to_string(object.Get());
  ReplyFromLastCall(fchmodat(AT_FDCWD, via.c_str(), mode, 0));
}

void Call::Chown(int dirfd, uint64_t path_address, uid_t uid, gid_t gid, int at_flags) {
  auto path = ReadPath(path_address);
  if (!path || !StillPending()) return;
  // The agent's user namespace maps only its own ids: nothing else can be given away.
  if ((uid != static_cast<uid_t>(-1) && uid != getuid()) ||
      (gid != static_cast<gid_t>(-1) && gid != getgid())) {
    return ReplyError(EPERM);
  }
  ResolveOptions options;
  options.follow_last = !(at_flags & AT_SYMLINK_NOFOLLOW);
  auto resolved = ResolveOrReply(dirfd, *path, options);
  if (!resolved || !DecideFile(ActionKind::kFileChmod, resolved->path)) return;
  if (LeftToKernel()) return;
  ReplyFromLastCall(
      fchownat(resolved->parent.Get(), resolved->name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW));
}

void Call::Utimes(int dirfd, uint64_t path_address, std::optional<std::array<timespec, 2>> times,
                  int at_flags) {
  if (path_address == 0) {
    // futimens(): the fd's object was decided when it was opened.
    ReplyContinue();
    return;
  }
  auto path = ReadPath(path_address);
  if (!path || !StillPending()) return;
  ResolveOptions options;
  options.follow_last = !(at_flags & AT_SYMLINK_NOFOLLOW);
  auto resolved = ResolveOrReply(dirfd, *path, options);
  if (!resolved || !DecideFile(ActionKind::kFileChmod, resolved->path)) return;
  if (LeftToKernel()) return;
  ReplyFromLastCall(utimensat(resolved->parent.Get(), resolved->name.c_str(),
                              times ? times->data() : nullptr, AT_SYMLINK_NOFOLLOW));
}

}  // namespace

HandledCall HandleCall(const seccomp_notif& request, const CallSettings& settings) {
  const auto* entry = syscalls::FindMediated(request.data.nr);
  if (entry == nullptr) {
    HandledCall call;
    call.reply.kind = Reply::Kind::kError;
    call.reply.err = ENOSYS;
    return call;
  }
  Call call(request, settings);
  return call.Run(*entry);
}

}  // namespace aarm::supervisor
