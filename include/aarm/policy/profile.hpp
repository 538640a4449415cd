// The profile model: what the sandbox looks like and how actions are decided. Loaded from TOML
// (see man/aarm-profile.5); toml++ never leaves src/policy/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aarm/base/error.hpp"

namespace aarm::policy {

// session.default: the decision when no rule matches.
enum class DefaultDecision { kAllow, kDeny };

struct SessionSettings {
  DefaultDecision default_decision = DefaultDecision::kDeny;
  // false: where the kernel refuses user namespaces, run with Landlock + seccomp alone.
  bool require_namespaces = true;
  // true: refuse to run where the kernel has no Landlock.
  bool require_landlock = false;
};

// Paths as written in the profile, variables ({project} {home} {cwd} {tmp}) not yet expanded.
// Lists from an extended profile come first, then the profile's own; duplicates dropped.
struct FilesystemSettings {
  std::vector<std::string> read;
  std::vector<std::string> write;
  std::vector<std::string> hide;
  std::vector<std::string> readonly;
};

struct Profile {
  int version = 1;
  std::string name;         // shipped name ("default") or the path the user gave
  std::string path;         // absolute path of the profile file itself
  std::string description;
  std::vector<std::string> files;  // every file that went into it, own first, then extended ones
  SessionSettings session;
  FilesystemSettings filesystem;
  // The effective profile after `extends`, rendered as TOML. Receipts record it and its SHA-256
  // as the agent's privilege scope; `aarm profile check` prints it.
  std::string effective_toml;
};

// Loads a profile by shipped name (a file `<name>.toml` in `shipped_dir`) or by path (anything
// containing '/' or ending in ".toml"). Errors are one line: "FILE:LINE:COL: what is wrong"
// (with "did you mean 'x'?" for a misspelt key).
Result<Profile> LoadProfile(std::string_view name_or_path, const std::string& shipped_dir);

struct ProfileListing {
  std::string name;         // shipped name, or the path of a project profile
  std::string path;
  std::string description;
  bool shipped = false;
  std::string problem;      // why the profile does not load (one line); empty when it does
};

// Shipped profiles in `shipped_dir`, then the project's `.aarm/profile.toml` if it exists.
std::vector<ProfileListing> ListProfiles(const std::string& shipped_dir,
                                         const std::string& project_dir);

// Values of the path variables a profile may use.
struct PathVariables {
  std::string project;  // git top level, else cwd
  std::string home;
  std::string cwd;
  std::string tmp;      // the session's private directory, mounted at /tmp inside
};

// The project a session works on: the nearest directory at or above `cwd` (absolute) holding a
// `.git` entry (a repository or a worktree), else `cwd` itself.
std::string FindProjectDirectory(const std::string& cwd);

// Replaces {project} {home} {cwd} {tmp}, then normalises the result lexically. An unknown
// variable or a relative result is an error naming the path.
Result<std::string> ExpandPath(std::string_view path, const PathVariables& vars);

}  // namespace aarm::policy
