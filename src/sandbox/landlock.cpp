#include "landlock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aarm/base/linux_api.hpp"
#include "aarm/base/paths.hpp"

namespace aarm::sandbox {
namespace {

constexpr uint64_t kReadRights =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
// Rights that make sense on a file (not a directory) in a path-beneath rule.
constexpr uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
                                 LANDLOCK_ACCESS_FS_IOCTL_DEV;

uint64_t HandledForAbi(int abi) {
  uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // the 13 rights of ABI 1
  if (abi >= 2) rights |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
  if (abi >= 5) rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
  return rights;
}

uint64_t RightsFor(LandlockAccess access, uint64_t handled) {
  switch (access) {
    case LandlockAccess::kListDirectories:
      return LANDLOCK_ACCESS_FS_READ_DIR & handled;
    case LandlockAccess::kRead:
      return kReadRights & handled;
    case LandlockAccess::kWrite:
      return handled;
    case LandlockAccess::kDevices:
      return (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
              LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_TRUNCATE |
              LANDLOCK_ACCESS_FS_IOCTL_DEV) &
             handled;
    case LandlockAccess::kProc:
      return (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
              LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_TRUNCATE) &
             handled;
  }
  return 0;
}

}  // namespace

LandlockPlan PlanLandlock(const Spec& spec, bool namespaces, const std::string& tmp_in_view,
                          bool tmp_writable) {
  LandlockPlan plan;
  plan.abi = linux_api::LandlockAbi();
  if (plan.abi == 0) return plan;
  plan.handled_fs = HandledForAbi(plan.abi);
  if (plan.abi < 2) plan.dropped.push_back("refer (rename/link across directories)");
  if (plan.abi < 3) plan.dropped.push_back("truncate");
  if (plan.abi < 5) plan.dropped.push_back("ioctl on devices");
  if (plan.abi >= 6) {
    plan.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
  } else {
    plan.dropped.push_back("abstract unix socket and signal scoping");
  }
  // The private {tmp} is seen at `tmp_in_view`; a profile path below it is seen there too.
  auto in_view = [&](const std::string& raw) {
    std::string path = NormalizePath(raw);
    const std::string& tmp = spec.filesystem.private_tmp;
    if (!tmp.empty() && PathIsWithin(path, tmp)) return tmp_in_view + path.substr(tmp.size());
    return path;
  };
  // In the private view, listing any directory shows only what the profile let in (hidden
  // directories are empty stand-ins); on the host's own tree it would show every name.
  if (namespaces) plan.rules.push_back({"/", LandlockAccess::kListDirectories});
  for (const auto& path : spec.filesystem.read) {
    plan.rules.push_back({in_view(path), LandlockAccess::kRead});
  }
  for (const auto& path : spec.filesystem.write) {
    plan.rules.push_back({in_view(path), LandlockAccess::kWrite});
  }
  plan.rules.push_back({tmp_in_view, tmp_writable ? LandlockAccess::kWrite : LandlockAccess::kRead});
  plan.rules.push_back({"/dev", LandlockAccess::kDevices});
  // POSIX shared memory and new pseudo-terminals live in the sandbox's own /dev/shm and
  // /dev/pts instances; the host's are not the agent's to write.
  if (namespaces) plan.rules.push_back({"/dev/shm", LandlockAccess::kWrite});
  plan.rules.push_back({"/proc", LandlockAccess::kProc});
  return plan;
}

StepFailure ApplyLandlock(const LandlockPlan& plan) {
  if (plan.abi == 0) return {};
  linux_api::LandlockRulesetAttr attr{plan.handled_fs, 0, plan.scoped};
  size_t attr_size = plan.abi >= 6 ? sizeof attr : sizeof(uint64_t);
  int ruleset = linux_api::LandlockCreateRuleset(&attr, attr_size, 0);
  if (ruleset < 0) return {SetupStep::kLandlock, errno};
  for (const LandlockRule& rule : plan.rules) {
    int fd = open(rule.path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) continue;  // not in the view
    struct stat st;
    uint64_t rights = RightsFor(rule.access, plan.handled_fs);
    if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) rights &= kFileRights;
    landlock_path_beneath_attr beneath{rights, fd};
    int rc = rights == 0 ? 0 : linux_api::LandlockAddPathRule(ruleset, &beneath);
    int err = errno;
    close(fd);
    if (rc != 0) {
      close(ruleset);
      return {SetupStep::kLandlock, err};
    }
  }
  int rc = linux_api::LandlockRestrictSelf(ruleset);
  int err = errno;
  close(ruleset);
  if (rc != 0) return {SetupStep::kLandlock, err};
  return {};
}

}  // namespace aarm::sandbox
