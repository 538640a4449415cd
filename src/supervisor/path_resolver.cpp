#include "path_resolver.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>

#include "aarm/base/paths.hpp"

namespace aarm::supervisor {
namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's own limit

std::string LastField(const std::string& line) {
  auto pos = line.find_last_of(" \t");
  return pos == std::string::npos ? line : line.substr(pos + 1);
}

Result<std::string> ReadLink(int dirfd, const char* name) {
  char buffer[PATH_MAX];
  ssize_t n = readlinkat(dirfd, name, buffer, sizeof buffer);
  if (n < 0) return FailErrno("readlink");
  if (n == sizeof buffer) return FailErrno("symlink too long", ENAMETOOLONG);
  return std::string(buffer, static_cast<size_t>(n));
}

// SECURITY: the path of the object an fd of ours holds. Reading the agent's link again instead
// (/proc/PID/cwd, /proc/PID/fd/N) would name whatever the agent put there after we opened it.
Result<std::string> PathOfHeld(int fd) {
  return ReadLink(AT_FDCWD, ("/proc/self/fd/" + std::to_string(fd)).c_str());
}

std::deque<std::string> SplitComponents(const std::string& path) {
  std::deque<std::string> parts;
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

// /proc/N/fd/M, /proc/N/task/T/fd/M, /proc/N/{cwd,root,exe}: links the kernel resolves to
// an object, not to a path.
bool IsMagicLink(const std::string& parent, const std::string& name) {
  auto parts = SplitComponents(parent);
  if (parts.empty() || parts[0] != "proc") return false;
  if (parts.size() >= 2 && parts.back() == "fd") return true;
  if (parts.size() >= 2 && parts.size() <= 4 &&
      (name == "cwd" || name == "root" || name == "exe")) {
    return true;
  }
  return false;
}

// The kernel lets a process follow another's /proc magic links only if it could ptrace it. Every
// agent process holds no capabilities; a process that holds some (the sandbox's init) is out of
// the agent's reach, so its links are too.
bool AgentMayFollowLinksOf(const AgentView& view, const std::string& proc_dir) {
  auto parts = SplitComponents(proc_dir);
  if (parts.size() < 2) return false;
  const std::string& pid = parts[1];
  if (pid == view.Status().ns_tgid) return true;
  int fd = openat(view.root, ("proc/" + pid + "/status").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[4096];
  ssize_t n = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (n <= 0) return false;
  buffer[n] = '\0';
  const char* caps = strstr(buffer, "CapPrm:");
  if (caps == nullptr) return false;
  return strtoull(caps + 7, nullptr, 16) == 0;
}

// The mount an fd (or `name` below it) is on; 0 when unknown.
uint64_t MountId(int dirfd, const char* name) {
  struct statx stx {};
  if (statx(dirfd, name, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) != 0) return 0;
  return (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
}

struct Walker {
  const AgentView& view;
  const ResolveOptions& options;
  UniqueFd dir;
  std::string canonical;  // of `dir`
  int root_fd = -1;       // what "/" means (the agent's root, or the start for in_root)
  std::string root_path = "/";
  uint64_t start_mount = 0;  // for no_xdev

  // RESOLVE_NO_XDEV: every step must stay on the mount the lookup started on.
  Result<void> CheckMount(int dirfd, const char* name) {
    if (!options.no_xdev) return {};
    uint64_t mount = MountId(dirfd, name);
    if (start_mount == 0) {
      start_mount = mount;
      return {};
    }
    if (mount != start_mount) return FailErrno("crossing a mount", EXDEV);
    return {};
  }

  Result<void> ResetToRoot() {
    if (options.beneath) return FailErrno("absolute path beneath", EXDEV);
    dir.Reset(openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return FailErrno("agent root");
    canonical = root_path;
    return CheckMount(dir.Get(), "");
  }

  Result<void> Parent() {
    if (canonical == root_path) {
      if (options.beneath) return FailErrno(".. beneath", EXDEV);
      return {};
    }
    UniqueFd up(openat(dir.Get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!up) return FailErrno("..");
    // SECURITY: the held directory may have been moved since it was entered; its ".." is then
    // elsewhere than the text says, and the name the decision sees must be where it really is.
    auto where = PathOfHeld(up.Get());
    if (!where || where->empty() || (*where)[0] != '/') return FailErrno("directory gone", ENOENT);
    dir = std::move(up);
    canonical = NormalizePath(*where);
    if (!PathIsWithin(canonical, root_path)) return FailErrno(".. escaped the start", EXDEV);
    return CheckMount(dir.Get(), "");
  }

  Result<void> Enter(const std::string& name) {
    UniqueFd next(openat(dir.Get(), name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!next) return FailErrno(name);
    dir = std::move(next);
    canonical = canonical == "/" ? "/" + name : canonical + "/" + name;
    return CheckMount(dir.Get(), "");
  }
};

// The directory a relative path starts from, as the agent has it: its cwd or `dirfd`, held
// open, with its canonical path.
struct StartDirectory {
  UniqueFd fd;
  std::string canonical;
};

Result<StartDirectory> OpenStartDirectory(const AgentView& view, int dirfd) {
  std::string link = "/proc/" + std::to_string(view.pid) + "/" +
                     (dirfd == AT_FDCWD ? std::string("cwd") : "fd/" + std::to_string(dirfd));
  StartDirectory start;
  start.fd.Reset(open(link.c_str(), O_PATH | O_CLOEXEC));
  if (!start.fd) return FailErrno("bad directory fd", dirfd == AT_FDCWD ? ENOENT : EBADF);
  struct stat st;
  if (fstat(start.fd.Get(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailErrno("not a directory", ENOTDIR);
  }
  auto where = PathOfHeld(start.fd.Get());
  // An unreachable or deleted directory has no path in the agent's view.
  if (!where || where->empty() || (*where)[0] != '/') return FailErrno("directory gone", ENOENT);
  start.canonical = NormalizePath(*where);
  return start;
}

bool IsUnderProc(const std::string& canonical) {
  return canonical == "/proc" || canonical.rfind("/proc/", 0) == 0;
}

// Most paths hold no symlink, no "." or "..", and nothing under /proc: their canonical form is
// their text, and the kernel can walk to their parent in one openat2 that refuses any symlink
// on the way (RESOLVE_NO_SYMLINKS). nullopt: the path is not of that kind (a symlink was met,
// or a component needs the walker's care), and the walker must resolve it.
std::optional<Result<ResolvedPath>> ResolveWithoutSymlinks(const AgentView& view, int dirfd,
                                                           const std::string& path,
                                                           const ResolveOptions& options) {
  if (options.beneath || options.in_root || options.no_xdev) return std::nullopt;
  std::deque<std::string> parts = SplitComponents(path);
  if (parts.empty()) return std::nullopt;
  for (const std::string& part : parts) {
    if (part == "." || part == ".." || part.size() > NAME_MAX) return std::nullopt;
  }
  UniqueFd start_fd;  // empty: the start is the agent's root, which the view holds
  int start = view.root;
  std::string canonical;
  if (path[0] == '/') {
    canonical = "/";
  } else {
    auto opened = OpenStartDirectory(view, dirfd);
    if (!opened) return tl::unexpected(opened.error());
    start_fd = std::move(opened->fd);
    start = start_fd.Get();
    canonical = std::move(opened->canonical);
  }
  std::string name = std::move(parts.back());
  parts.pop_back();
  std::string below;
  for (const std::string& part : parts) {
    below += below.empty() ? part : "/" + part;
    canonical += canonical == "/" ? part : "/" + part;
  }
  if (IsUnderProc(canonical)) return std::nullopt;  // "self", magic links: the walker's care

  ResolvedPath out;
  if (below.empty()) {
    out.parent = start_fd ? std::move(start_fd) : UniqueFd(fcntl(start, F_DUPFD_CLOEXEC, 0));
    if (!out.parent) return std::nullopt;
  } else {
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH;
    out.parent.Reset(static_cast<int>(
        syscall(SYS_openat2, start, below.c_str(), &how, sizeof how)));
    if (!out.parent) {
      // Lookup stopped at a missing or non-directory component, before any symlink: the
      // kernel would answer the agent the same. Anything else is the walker's to explain.
      if (errno == ENOENT || errno == ENOTDIR) return FailErrno(path);
      return std::nullopt;
    }
  }
  struct stat st;
  bool exists = fstatat(out.parent.Get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (!exists && errno != ENOENT) return FailErrno(name);
  bool trailing_slash = path.back() == '/';
  if (exists && S_ISLNK(st.st_mode) && (options.follow_last || trailing_slash)) {
    return std::nullopt;
  }
  if (trailing_slash && exists && !S_ISDIR(st.st_mode)) {
    return FailErrno(name, ENOTDIR);
  }
  out.path = canonical == "/" ? "/" + name : canonical + "/" + name;
  out.name = std::move(name);
  out.last_looked_up = true;
  out.last_exists = exists;
  if (exists) out.last_stat = st;
  return out;
}

}  // namespace

Result<AgentView> OpenAgentView(pid_t pid) {
  AgentView view;
  view.pid = pid;
  std::string proc = "/proc/" + std::to_string(pid);
  view.owned_root.Reset(open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!view.owned_root) return FailErrno("cannot open " + proc + "/root");
  view.root = view.owned_root.Get();
  return view;
}

Result<AgentView> OpenAgentView(pid_t pid, SharedAgentRoot& shared_root,
                                const std::function<bool()>& still_the_caller) {
  AgentView view;
  view.pid = pid;
  view.root = shared_root.Get(pid, still_the_caller);
  if (view.root < 0) return FailErrno("cannot open /proc/" + std::to_string(pid) + "/root");
  return view;
}

SharedAgentRoot::~SharedAgentRoot() {
  if (int fd = fd_.load(); fd >= 0) close(fd);
}

int SharedAgentRoot::Get(pid_t pid, const std::function<bool()>& still_the_caller) {
  if (int fd = fd_.load(std::memory_order_acquire); fd >= 0) return fd;
  std::lock_guard lock(open_mutex_);
  if (int fd = fd_.load(std::memory_order_relaxed); fd >= 0) return fd;
  UniqueFd root(open(("/proc/" + std::to_string(pid) + "/root").c_str(),
                     O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root || !still_the_caller()) return -1;
  int fd = root.Release();
  fd_.store(fd, std::memory_order_release);
  return fd;
}

const AgentStatus& AgentView::Status() const {
  if (status_) return *status_;
  AgentStatus status;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("NStgid:", 0) == 0) status.ns_tgid = LastField(line);
    if (line.rfind("NSpid:", 0) == 0) status.ns_tid = LastField(line);
    if (line.rfind("Umask:", 0) == 0) {
      status.umask = static_cast<mode_t>(std::stoul(LastField(line), nullptr, 8));
    }
  }
  // A vanished process: names nothing, so /proc/self of it resolves nowhere.
  if (status.ns_tgid.empty()) status.ns_tgid = status.ns_tid = "0";
  status_ = std::move(status);
  return *status_;
}

Result<ResolvedPath> Resolve(const AgentView& view, int dirfd, const std::string& path,
                             const ResolveOptions& options) {
  if (path.empty()) return FailErrno("empty path", ENOENT);
  if (path.size() >= PATH_MAX) return FailErrno("path too long", ENAMETOOLONG);
  UniqueFd start_root;
  if (auto fast = ResolveWithoutSymlinks(view, dirfd, path, options)) return std::move(*fast);
  Walker walker{view, options, UniqueFd(), {}, view.root, "/"};
  if (path[0] == '/' && !options.in_root && !options.beneath) {
    if (auto r = walker.ResetToRoot(); !r) return tl::unexpected(r.error());
  } else if (path[0] == '/' && options.beneath) {
    return FailErrno("absolute path beneath", EXDEV);
  } else {
    auto start = OpenStartDirectory(view, dirfd);
    if (!start) return tl::unexpected(start.error());
    walker.dir = std::move(start->fd);
    walker.canonical = std::move(start->canonical);
    if (auto r = walker.CheckMount(walker.dir.Get(), ""); !r) return tl::unexpected(r.error());
    if (options.in_root || options.beneath) {
      walker.root_fd = walker.dir.Get();
      walker.root_path = walker.canonical;
      // The walker replaces `dir` as it goes; keep the root open separately.
      start_root.Reset(dup(walker.dir.Get()));
      walker.root_fd = start_root.Get();
    }
  }

  std::deque<std::string> pending = SplitComponents(path);
  bool trailing_slash = path.back() == '/';
  int symlinks = 0;
  while (!pending.empty()) {
    std::string name = std::move(pending.front());
    pending.pop_front();
    bool last = pending.empty();
    if (name == ".") {
      if (last) break;
      continue;
    }
    if (name == "..") {
      if (auto r = walker.Parent(); !r) return tl::unexpected(r.error());
      continue;
    }
    if (name.size() > NAME_MAX) return FailErrno("name too long", ENAMETOOLONG);
    // The agent's /proc belongs to its PID namespace, where "self" is the agent, not us.
    if (walker.canonical == "/proc" && name == "self") name = view.Status().ns_tgid;
    if (walker.canonical == "/proc" && name == "thread-self") {
      pending.push_front(view.Status().ns_tid);
      pending.push_front("task");
      name = view.Status().ns_tgid;
    }
    struct stat st;
    bool exists = fstatat(walker.dir.Get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && errno != ENOENT) return FailErrno(name);
    if (exists && S_ISLNK(st.st_mode) && (!last || options.follow_last || trailing_slash)) {
      if (options.no_symlinks) return FailErrno("symlink", ELOOP);
      if (IsMagicLink(walker.canonical, name)) {
        if (options.no_magic_links || options.beneath || options.in_root) {
          return FailErrno("magic link", ELOOP);
        }
        if (!AgentMayFollowLinksOf(view, walker.canonical)) return FailErrno(name, EACCES);
        if (!last) {
          // A path through a magic link to a directory (/proc/self/cwd/x): continue from the
          // directory it points at, which is in the agent's view.
          UniqueFd next(openat(walker.dir.Get(), name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
          if (!next) return FailErrno(name);
          auto target = PathOfHeld(next.Get());
          if (!target) return tl::unexpected(target.error());
          walker.dir = std::move(next);
          walker.canonical = (*target)[0] == '/' ? NormalizePath(*target) : *target;
          continue;
        }
        // The object is taken now and reopened later through our own link to it, so that the
        // agent cannot put another object behind its link between the decision and the open.
        UniqueFd object(openat(walker.dir.Get(), name.c_str(), O_PATH | O_CLOEXEC));
        if (!object) return FailErrno(name);
        auto target = PathOfHeld(object.Get());
        if (!target) return tl::unexpected(target.error());
        ResolvedPath out;
        out.parent.Reset(open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!out.parent) return FailErrno("/proc/self/fd");
        out.name = std::to_string(object.Get());
        out.object = std::move(object);
        out.path = (*target)[0] == '/' ? NormalizePath(*target) : *target;
        out.magic_link = true;
        return out;
      }
      if (++symlinks > kMaxSymlinks) return FailErrno("too many symlinks", ELOOP);
      auto target = ReadLink(walker.dir.Get(), name.c_str());
      if (!target) return tl::unexpected(target.error());
      if (target->empty()) return FailErrno("empty symlink", ENOENT);
      auto parts = SplitComponents(*target);
      if (trailing_slash && last) parts.push_back(".");
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.push_front(*it);
      if ((*target)[0] == '/') {
        if (auto r = walker.ResetToRoot(); !r) return tl::unexpected(r.error());
      }
      if (pending.empty()) break;  // a link to "/"
      continue;
    }
    if (last) {
      if (exists && !S_ISLNK(st.st_mode)) {
        if (auto r = walker.CheckMount(walker.dir.Get(), name.c_str()); !r) {
          return tl::unexpected(r.error());
        }
      }
      ResolvedPath out;
      out.path = walker.canonical == "/" ? "/" + name : walker.canonical + "/" + name;
      out.parent = std::move(walker.dir);
      out.name = name;
      out.last_looked_up = true;
      out.last_exists = exists;
      if (exists) out.last_stat = st;
      if (trailing_slash && exists && !S_ISDIR(st.st_mode)) return FailErrno(name, ENOTDIR);
      return out;
    }
    if (!exists) return FailErrno(name, ENOENT);
    if (!S_ISDIR(st.st_mode)) return FailErrno(name, ENOTDIR);
    if (auto r = walker.Enter(name); !r) return tl::unexpected(r.error());
  }
  // The path named a directory itself ("/", ".", "a/.."): its parent holds it as ".".
  ResolvedPath out;
  out.path = walker.canonical;
  out.parent = std::move(walker.dir);
  out.name = ".";
  return out;
}

}  // namespace aarm::supervisor
