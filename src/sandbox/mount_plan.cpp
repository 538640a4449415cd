#include "mount_plan.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "aarm/base/linux_api.hpp"
#include "aarm/base/paths.hpp"

namespace aarm::sandbox {
namespace {

// Precedence for the same path: the more restrictive entry wins.
enum class Want { kRead = 0, kWrite = 1, kReadonly = 2, kHide = 3 };

constexpr size_t kMaxScratchPathLength = 256;

bool IsReserved(const std::string& path) {
  // The sandbox builds these itself; a profile cannot replace them with host directories.
  // Paths below /tmp (a project checked out there) are bound on top of the private /tmp.
  return PathIsWithin(path, "/proc") || PathIsWithin(path, "/dev") || path == "/tmp";
}

std::string RealPath(const std::string& path) {
  char buffer[PATH_MAX];
  if (realpath(path.c_str(), buffer) == nullptr) return {};
  return buffer;
}

}  // namespace

Result<MountPlan> PlanMounts(const Spec& spec) {
  MountPlan plan;
  plan.staging_root = spec.scratch_dir + "/root";
  plan.standins = spec.scratch_dir + "/standins";
  plan.empty_file = plan.standins + "/file";
  plan.empty_dir = plan.standins + "/dir";
  plan.private_tmp = spec.filesystem.private_tmp;
  plan.cwd = spec.cwd;
  if (plan.staging_root.size() > kMaxScratchPathLength) {
    return Fail("scratch directory path is too long: " + spec.scratch_dir);
  }

  std::map<std::string, Want> wanted;
  auto want = [&](const std::string& path, Want w) {
    auto [it, inserted] = wanted.emplace(path, w);
    if (!inserted && w > it->second) it->second = w;
  };
  auto add_all = [&](const std::vector<std::string>& paths, Want w) -> Result<void> {
    for (const auto& raw : paths) {
      std::string path = NormalizePath(raw);
      if (path.size() >= PATH_MAX - plan.staging_root.size() - 1) {
        return Fail("profile path is too long (" + std::to_string(path.size()) + " bytes)");
      }
      if (IsReserved(path) ||
          (!plan.private_tmp.empty() && PathIsWithin(path, plan.private_tmp))) {
        plan.notes.push_back(path + ": built by the sandbox itself, not bound from the host");
        continue;
      }
      want(path, w);
      // An entry reached through a symlink applies at its real path too: a symlinked entry
      // shows as the link with its target bound (merged /usr, a project reached through a
      // link), and below a symlinked directory (a home under /home -> /usr/home) the real path
      // is the only place the view holds the object. Hidden paths hide the target too.
      std::string real = RealPath(path);
      if (!real.empty() && real != path && !IsReserved(real)) want(real, w);
    }
    return Result<void>{};
  };
  if (auto r = add_all(spec.filesystem.read, Want::kRead); !r) return tl::unexpected(r.error());
  if (auto r = add_all(spec.filesystem.write, Want::kWrite); !r) return tl::unexpected(r.error());
  if (auto r = add_all(spec.filesystem.readonly, Want::kReadonly); !r) {
    return tl::unexpected(r.error());
  }
  if (auto r = add_all(spec.filesystem.hide, Want::kHide); !r) return tl::unexpected(r.error());
  if (auto r = add_all(spec.protected_paths, Want::kHide); !r) return tl::unexpected(r.error());

  // std::map orders "/a" before "/a/b": every parent is mounted before what lies inside it.
  std::vector<std::string> visible;  // read/write roots mounted so far
  std::vector<std::string> writable;  // the write roots among them
  std::vector<std::string> hidden;
  for (const auto& [path, w] : wanted) {
    auto inside = [&](const std::vector<std::string>& roots) {
      return std::any_of(roots.begin(), roots.end(),
                         [&](const std::string& root) { return PathIsWithin(path, root); });
    };
    if (inside(hidden)) continue;  // below a hidden path: stays hidden
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) {
      plan.notes.push_back(path + ": does not exist, left out of the view");
      continue;
    }
    // Below a symlinked directory the staging path would follow the link out of the staging
    // root, and the mount would land on the host's tree instead of the view: the real path,
    // wanted as well, carries the entry.
    std::string parent = path.substr(0, path.rfind('/'));
    if (!parent.empty() && RealPath(parent) != parent) {
      plan.notes.push_back(path + ": reached through a symlink, applied at its real path");
      continue;
    }
    std::string target = plan.staging_root + path;
    if (S_ISLNK(st.st_mode)) {
      if (w == Want::kRead || w == Want::kWrite) {
        char link[PATH_MAX];
        ssize_t n = readlink(path.c_str(), link, sizeof link - 1);
        if (n < 0) return FailErrno("cannot read symlink " + path);
        link[n] = '\0';
        plan.ops.push_back({MountKind::kSymlink, link, target, false});
      }
      continue;
    }
    bool is_dir = S_ISDIR(st.st_mode);
    switch (w) {
      case Want::kRead:
        plan.ops.push_back({MountKind::kReadOnly, path, target, is_dir});
        visible.push_back(path);
        break;
      case Want::kWrite:
        plan.ops.push_back({MountKind::kReadWrite, path, target, is_dir});
        visible.push_back(path);
        writable.push_back(path);
        break;
      case Want::kReadonly:
        if (!inside(visible)) {
          plan.notes.push_back(path + ": not inside a read or write path, nothing to protect");
          continue;
        }
        plan.ops.push_back({MountKind::kCarveOut, path, target, is_dir});
        break;
      case Want::kHide:
        hidden.push_back(path);
        if (!inside(visible)) continue;  // not visible anyway
        plan.ops.push_back({is_dir ? MountKind::kHideDir : MountKind::kHideFile, path, target,
                            is_dir});
        break;
    }
  }

  // SECURITY: a carve-out or hidden path is a mount point, which cannot be renamed or removed,
  // but inside a write path a directory above it could be: moving .git aside carries the
  // read-only hooks along, and a new .git/hooks the agent writes takes their place on the host.
  // Each directory between the write root and the protected path is bound onto itself, so it
  // is a mount point as well.
  std::set<std::string> pins;
  for (const MountOp& op : plan.ops) {
    if (op.kind != MountKind::kCarveOut && op.kind != MountKind::kHideFile &&
        op.kind != MountKind::kHideDir) {
      continue;
    }
    std::string root;  // the innermost visible root holding the protected path
    for (const auto& candidate : visible) {
      if (PathIsWithin(op.host_path, candidate) && candidate.size() > root.size()) root = candidate;
    }
    if (std::find(writable.begin(), writable.end(), root) == writable.end()) continue;
    for (std::string dir = op.host_path.substr(0, op.host_path.rfind('/'));
         dir.size() > root.size(); dir = dir.substr(0, dir.rfind('/'))) {
      pins.insert(dir);
    }
  }
  for (const auto& dir : pins) {
    plan.ops.push_back({MountKind::kPin, dir, plan.staging_root + dir, true});
  }

  if (!spec.network.resolv_conf.empty()) {
    // The sandbox's resolver replaces the host's, at the file /etc/resolv.conf leads to (a
    // systemd-resolved link included) when the view holds it.
    std::string real = RealPath("/etc/resolv.conf");
    auto inside = [&](const std::vector<std::string>& roots) {
      return std::any_of(roots.begin(), roots.end(),
                         [&](const std::string& root) { return PathIsWithin(real, root); });
    };
    if (real.empty() || !inside(visible) || inside(hidden)) {
      plan.notes.push_back("/etc/resolv.conf: not in the view, the sandbox's resolver is not "
                           "advertised there");
    } else {
      plan.resolv_conf = spec.scratch_dir + "/resolv.conf";
      plan.ops.push_back({MountKind::kReadOnly, plan.resolv_conf, plan.staging_root + real, false});
    }
  }
  return plan;
}

// ---- Between clone and exec: no allocation, failures reported as {step, errno}. ----
// PlanMounts keeps the staging root short, so the fixed suffixes below always fit PATH_MAX.
#pragma GCC diagnostic ignored "-Wformat-truncation"
namespace {

struct MountAttr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};
constexpr uint64_t kMountAttrReadOnly = 0x1;
constexpr uint64_t kMountAttrNoSuid = 0x2;
constexpr uint64_t kMountAttrNoDev = 0x4;
constexpr unsigned kAtRecursive = 0x8000;

int SetMountAttributes(const char* path, uint64_t attrs) {
  MountAttr attr{attrs, 0, 0, 0};
  return static_cast<int>(
      syscall(SYS_mount_setattr, AT_FDCWD, path, kAtRecursive, &attr, sizeof attr));
}

// mkdir -p for every component of `path` below the staging root.
int MakeParents(const char* path) {
  char buffer[PATH_MAX];
  size_t len = strnlen(path, sizeof buffer);
  if (len >= sizeof buffer) return ENAMETOOLONG;
  memcpy(buffer, path, len + 1);
  for (size_t i = 1; i < len; ++i) {
    if (buffer[i] != '/') continue;
    buffer[i] = '\0';
    struct stat st;
    if (stat(buffer, &st) != 0 && mkdir(buffer, 0755) != 0 && errno != EEXIST) return errno;
    buffer[i] = '/';
  }
  return 0;
}

int MakeMountPoint(const char* path, bool is_directory) {
  if (int err = MakeParents(path)) return err;
  struct stat st;
  if (stat(path, &st) == 0) return 0;
  if (is_directory) return (mkdir(path, 0755) == 0 || errno == EEXIST) ? 0 : errno;
  int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

StepFailure Failed(SetupStep step) { return StepFailure{step, errno}; }
StepFailure FailedWith(SetupStep step, int err) { return StepFailure{step, err}; }

StepFailure BindWithAttributes(const char* source, const char* target, bool is_dir,
                               uint64_t attrs, SetupStep step) {
  if (int err = MakeMountPoint(target, is_dir)) return FailedWith(SetupStep::kCreateMountPoint, err);
  if (mount(source, target, nullptr, MS_BIND | MS_REC, nullptr) != 0) return Failed(step);
  if (SetMountAttributes(target, attrs) != 0) return Failed(SetupStep::kRemountReadOnly);
  return {};
}

// Joins a staging root and a fixed suffix into `out` without allocating.
bool Join(char (&out)[PATH_MAX], const std::string& root, const char* suffix) {
  int n = snprintf(out, sizeof out, "%s%s", root.c_str(), suffix);
  return n > 0 && static_cast<size_t>(n) < sizeof out;
}

StepFailure BuildDev(const MountPlan& plan) {
  char dev[PATH_MAX];
  if (!Join(dev, plan.staging_root, "/dev")) return FailedWith(SetupStep::kMountDev, ENAMETOOLONG);
  if (int err = MakeMountPoint(dev, true)) return FailedWith(SetupStep::kMountDev, err);
  if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") != 0) {
    return Failed(SetupStep::kMountDev);
  }
  static constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};
  for (const char* device : kDevices) {
    char host[PATH_MAX];
    char target[PATH_MAX];
    snprintf(host, sizeof host, "/dev/%s", device);
    snprintf(target, sizeof target, "%s/%s", dev, device);
    if (int err = MakeMountPoint(target, false)) return FailedWith(SetupStep::kMountDev, err);
    if (mount(host, target, nullptr, MS_BIND, nullptr) != 0) return Failed(SetupStep::kMountDev);
  }
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/pts", dev);
  if (mkdir(path, 0755) != 0 ||
      mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0) {
    return Failed(SetupStep::kMountDev);
  }
  snprintf(path, sizeof path, "%s/ptmx", dev);
  if (symlink("pts/ptmx", path) != 0) return Failed(SetupStep::kMountDev);
  snprintf(path, sizeof path, "%s/shm", dev);
  if (mkdir(path, 01777) != 0 ||
      mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
    return Failed(SetupStep::kMountDev);
  }
  static constexpr const char* kLinks[][2] = {{"fd", "/proc/self/fd"},
                                              {"stdin", "/proc/self/fd/0"},
                                              {"stdout", "/proc/self/fd/1"},
                                              {"stderr", "/proc/self/fd/2"}};
  for (const auto& link : kLinks) {
    snprintf(path, sizeof path, "%s/%s", dev, link[0]);
    if (symlink(link[1], path) != 0) return Failed(SetupStep::kMountDev);
  }
  // Nothing new may appear in /dev itself; pts and shm stay writable.
  if (mount(nullptr, dev, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
            nullptr) != 0) {
    return Failed(SetupStep::kMountDev);
  }
  return {};
}

}  // namespace

StepFailure BuildFilesystemView(const MountPlan& plan) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return Failed(SetupStep::kMakeMountsPrivate);
  }
  if (mount("tmpfs", plan.staging_root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
    return Failed(SetupStep::kMountStagingRoot);
  }
  // Stand-ins for hidden paths: an empty file and an empty directory, both read-only.
  if (mount("tmpfs", plan.standins.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
            "mode=0755,size=4k") != 0) {
    return Failed(SetupStep::kHidePath);
  }
  int fd = open(plan.empty_file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0444);
  if (fd < 0) return Failed(SetupStep::kHidePath);
  close(fd);
  if (mkdir(plan.empty_dir.c_str(), 0555) != 0) return Failed(SetupStep::kHidePath);

  constexpr uint64_t kReadOnly = kMountAttrReadOnly | kMountAttrNoSuid | kMountAttrNoDev;
  constexpr uint64_t kReadWrite = kMountAttrNoSuid | kMountAttrNoDev;
  // The private /tmp first: profile paths below the host's /tmp are then bound on top of it.
  char tmp[PATH_MAX];
  if (!Join(tmp, plan.staging_root, "/tmp")) return FailedWith(SetupStep::kMountTmp, ENAMETOOLONG);
  if (auto failure = BindWithAttributes(plan.private_tmp.c_str(), tmp, true, kReadWrite,
                                        SetupStep::kMountTmp);
      failure.failed()) {
    return failure;
  }
  for (const MountOp& op : plan.ops) {
    const char* target = op.staging_target.c_str();
    StepFailure failure;
    switch (op.kind) {
      case MountKind::kReadOnly:
      case MountKind::kCarveOut:
        failure = BindWithAttributes(op.host_path.c_str(), target, op.is_directory, kReadOnly,
                                     SetupStep::kBindMount);
        break;
      case MountKind::kReadWrite:
        failure = BindWithAttributes(op.host_path.c_str(), target, op.is_directory, kReadWrite,
                                     SetupStep::kBindMount);
        break;
      case MountKind::kHideFile:
        failure = BindWithAttributes(plan.empty_file.c_str(), target, false, kReadOnly,
                                     SetupStep::kHidePath);
        break;
      case MountKind::kHideDir:
        failure = BindWithAttributes(plan.empty_dir.c_str(), target, true, kReadOnly,
                                     SetupStep::kHidePath);
        break;
      case MountKind::kPin:
        // After everything below it: the recursive bind carries the carve-outs along.
        if (mount(target, target, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
          failure = Failed(SetupStep::kBindMount);
        }
        break;
      case MountKind::kSymlink:
        if (int err = MakeParents(target)) {
          failure = FailedWith(SetupStep::kCreateMountPoint, err);
        } else if (symlink(op.host_path.c_str(), target) != 0 && errno != EEXIST) {
          failure = Failed(SetupStep::kCreateMountPoint);
        }
        break;
    }
    if (failure.failed()) return failure;
  }

  // Only now: the profile's paths below /tmp needed their mount points created in it first.
  // The remount touches the /tmp mount alone; what is bound inside keeps its own flags.
  if (!plan.tmp_writable &&
      mount(nullptr, tmp, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
            nullptr) != 0) {
    return Failed(SetupStep::kMountTmp);
  }
  char path[PATH_MAX];
  if (!Join(path, plan.staging_root, "/proc")) return FailedWith(SetupStep::kMountProc, ENAMETOOLONG);
  if (int err = MakeMountPoint(path, true)) return FailedWith(SetupStep::kMountProc, err);
  if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return Failed(SetupStep::kMountProc);
  }
  // SECURITY: writing most of /proc/sys takes uid 0 and no capability (the kernel checks the
  // file's mode against the caller's uid), and the settings there are the host's:
  // kernel.core_pattern makes the host's root run a program. An agent started by root is uid 0,
  // so these entries are read-only in the view, as container runtimes make them.
  static constexpr const char* kHostSettings[] = {"/sys", "/sysrq-trigger", "/irq", "/bus", "/fs"};
  for (const char* entry : kHostSettings) {
    char setting[PATH_MAX];
    snprintf(setting, sizeof setting, "%s%s", path, entry);
    struct stat st;
    if (lstat(setting, &st) != 0) continue;  // not in this kernel
    if (mount(setting, setting, nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
        SetMountAttributes(setting, kReadOnly) != 0) {
      return Failed(SetupStep::kMountProc);
    }
  }
  if (auto failure = BuildDev(plan); failure.failed()) return failure;

  // pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only the
  // view. The host's tree, the staging directory and the stand-ins' source are gone from sight.
  if (chdir(plan.staging_root.c_str()) != 0) return Failed(SetupStep::kPivotRoot);
  if (linux_api::PivotRoot(".", ".") != 0) return Failed(SetupStep::kPivotRoot);
  if (umount2(".", MNT_DETACH) != 0) return Failed(SetupStep::kPivotRoot);
  if (chdir("/") != 0) return Failed(SetupStep::kPivotRoot);
  if (mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
            nullptr) != 0) {
    return Failed(SetupStep::kRemountReadOnly);
  }
  return {};
}

}  // namespace aarm::sandbox
