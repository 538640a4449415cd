#include "session_directory.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <utility>
#include <vector>

namespace aarm::run {
namespace {

std::string BaseDirectory() {
  for (const char* variable : {"XDG_RUNTIME_DIR", "TMPDIR"}) {
    const char* dir = std::getenv(variable);
    if (dir && *dir == '/' && access(dir, W_OK | X_OK) == 0) return dir;
  }
  return "/tmp";
}

}  // namespace

Result<SessionDirectory> SessionDirectory::Create() {
  std::string pattern = BaseDirectory() + "/aarm-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    return FailErrno("cannot create the session directory " + pattern);
  }
  SessionDirectory dir(buffer.data());
  // /tmp inside is world-writable and sticky, as programs expect; the session directory
  // around it is 0700, so no other user reaches it.
  if (mkdir(dir.PrivateTmp().c_str(), 0700) != 0 || chmod(dir.PrivateTmp().c_str(), 01777) != 0) {
    return FailErrno("cannot create " + dir.PrivateTmp());
  }
  return dir;
}

SessionDirectory::SessionDirectory(SessionDirectory&& other) noexcept
    : path_(std::exchange(other.path_, {})) {}

SessionDirectory::~SessionDirectory() {
  if (path_.empty()) return;
  // remove_all does not follow symlinks: a link the agent left in /tmp cannot redirect it.
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace aarm::run
