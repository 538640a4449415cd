// A throw-away world for one end-to-end test: a temporary directory under /tmp holding a git
// project, a home directory, a directory outside everything the profile grants, and the
// profile itself; plus the commands that run aarm-run and the probe inside it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace aarm::testing {

// The directory of the running test binary; aarm-run and probes/ are built next to it.
std::string BinDir();
std::string AarmRunPath();
std::string ProbePath();

// The Landlock ABI of the running kernel (0: none).
int LandlockAbi();

std::string ReadFileText(const std::string& path);
// Creates the missing directories above `path` too.
void WriteFileText(const std::string& path, const std::string& text);
bool PathExists(const std::string& path);  // lstat: a dangling symlink exists

// [filesystem] and [session] of a test profile. The defaults show the system read-only, the
// probe's directory, and make the project and {tmp} writable.
struct ProfileSpec {
  std::vector<std::string> read = {"/usr", "/etc", "/lib", "/lib64", "/bin", "/sbin"};
  std::vector<std::string> write = {"{project}", "{tmp}"};
  std::vector<std::string> hide;
  std::vector<std::string> readonly;
  std::optional<bool> require_namespaces;
};

std::string ProfileToml(const ProfileSpec& spec);

// One [[rule]] of a test profile: `patterns` under the match key `key` (path, from, to or
// argv); no key matches every action of the kinds in `on`.
struct TestRule {
  std::string id;
  std::vector<std::string> on;
  std::string key;
  std::vector<std::string> patterns;
  std::string decision;  // allow, deny or forbid
};

// The rules as TOML, in order, to append to ProfileToml().
std::string RulesToml(const std::vector<TestRule>& rules);

class Workspace {
 public:
  // Creates <tmp>/{project/.git, home, outside, sessions} and writes ProfileToml(spec).
  explicit Workspace(const ProfileSpec& spec = {});
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace();

  const std::string& Root() const { return root_; }
  std::string Project(const std::string& relative = "") const;
  std::string Home(const std::string& relative = "") const;
  std::string Outside(const std::string& relative = "") const;
  std::string ProfilePath() const { return root_ + "/profile.toml"; }

  void WriteProfile(const std::string& toml) const;

  // aarm-run -p <profile> [aarm_options...] -- command..., from the project directory with a
  // clean environment whose HOME is Home().
  ProcessOptions AarmRun(const std::vector<std::string>& command,
                         const std::vector<std::string>& aarm_options = {}) const;
  ProcessResult Run(const std::vector<std::string>& command,
                    const std::vector<std::string>& aarm_options = {}) const;
  // The probe inside the sandbox: Run({probe, args...}).
  ProcessResult Probe(const std::vector<std::string>& args) const;
  // The probe's one-line answer, without the newline (empty when it printed nothing).
  std::string ProbeLine(const std::vector<std::string>& args) const;

  // The environment the sandbox starts with.
  std::vector<std::string> Environment() const;

 private:
  std::string root_;
};

// The first line of `text`, without its newline.
std::string FirstLine(const std::string& text);

}  // namespace aarm::testing
