#include <sys/stat.h>

#include <string>

#include "aarm/base/paths.hpp"
#include "aarm/run/run.hpp"

namespace aarm::run {

std::string FindProjectRoot(const std::string& cwd) {
  std::string dir = NormalizePath(cwd);
  for (;;) {
    struct stat st;
    // A .git file marks a worktree or submodule; either is a project top level.
    if (lstat((dir + "/.git").c_str(), &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
      return dir;
    }
    if (dir == "/") return NormalizePath(cwd);
    dir = NormalizePath(dir + "/..");
  }
}

}  // namespace aarm::run
