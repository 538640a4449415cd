#include "user_namespace.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "aarm/base/unique_fd.hpp"

namespace aarm::sandbox {
namespace {

Result<void> WriteProcFile(const std::string& path, const std::string& text) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return FailErrno("cannot open " + path);
  if (write(fd.Get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return FailErrno("cannot write " + path);
  }
  return {};
}

std::string ReadFirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

Result<void> WriteIdMaps(pid_t child, uid_t uid, gid_t gid) {
  std::string proc = "/proc/" + std::to_string(child);
  if (auto r = WriteProcFile(proc + "/setgroups", "deny"); !r) return r;
  if (auto r = WriteProcFile(proc + "/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n");
      !r) {
    return r;
  }
  return WriteProcFile(proc + "/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n");
}

std::string UserNamespaceRefusalHint() {
  if (ReadFirstLine("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1") {
    return "AppArmor restricts unprivileged user namespaces (Ubuntu 23.10+): allow aarm-run with "
           "an AppArmor profile granting 'userns', or run 'sysctl "
           "kernel.apparmor_restrict_unprivileged_userns=0'";
  }
  if (ReadFirstLine("/proc/sys/kernel/unprivileged_userns_clone") == "0") {
    return "run 'sysctl kernel.unprivileged_userns_clone=1'";
  }
  if (ReadFirstLine("/proc/sys/user/max_user_namespaces") == "0") {
    return "run 'sysctl user.max_user_namespaces=15000'";
  }
  return "a seccomp profile around this process blocks them (Docker's default does): run the "
         "container with --security-opt seccomp=unconfined, or set "
         "[session] require_namespaces = false to run with Landlock and seccomp alone";
}

}  // namespace aarm::sandbox
