#include "aarm/base/paths.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace aarm {

Result<std::string> SelfExecutableDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return FailErrno("cannot read /proc/self/exe", ec.value());
  return exe.parent_path().string();
}

Result<std::string> ShippedProfileDir() {
  if (const char* dir = std::getenv("AARM_PROFILE_DIR"); dir && *dir) return std::string(dir);
  auto exe_dir = SelfExecutableDir();
  if (!exe_dir) return tl::unexpected(exe_dir.error());
  return NormalizePath(*exe_dir + "/../share/aarm/profiles");
}

std::string HomeDirectory() {
  if (const char* home = std::getenv("HOME"); home && *home == '/') return NormalizePath(home);
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/";
}

static std::string XdgDir(const char* variable, const char* fallback_below_home) {
  if (const char* dir = std::getenv(variable); dir && *dir == '/') return NormalizePath(dir);
  return HomeDirectory() + "/" + fallback_below_home;
}

std::string XdgConfigHome() { return XdgDir("XDG_CONFIG_HOME", ".config"); }
std::string XdgStateHome() { return XdgDir("XDG_STATE_HOME", ".local/state"); }

std::string NormalizePath(const std::string& path, const std::string& base) {
  std::string joined = (!path.empty() && path[0] == '/') ? path : base + "/" + path;
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < joined.size()) {
    size_t j = joined.find('/', i);
    if (j == std::string::npos) j = joined.size();
    std::string part = joined.substr(i, j - i);
    if (part.empty() || part == ".") {
      // skip
    } else if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(std::move(part));
    }
    i = j + 1;
  }
  std::string out;
  for (const auto& part : parts) out += "/" + part;
  return out.empty() ? "/" : out;
}

bool PathIsWithin(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  if (path.size() < dir.size() || path.compare(0, dir.size(), dir) != 0) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

}  // namespace aarm
