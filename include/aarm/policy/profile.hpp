// The profile model: what the sandbox looks like and how actions are decided. Loaded from TOML
// (see man/aarm-profile.5); toml++ never leaves src/policy/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aarm/base/error.hpp"
#include "aarm/policy/action.hpp"

namespace aarm::policy {

// session.default: the decision when no rule matches.
enum class DefaultDecision { kAllow, kDeny };

// session.record_reads: which allowed reads get a receipt of their own. kSensitive: reads of
// data labelled `public` are only counted (in `summary` records and session.end).
enum class RecordReads { kAll, kSensitive };

// "all", "sensitive".
std::string_view RecordReadsName(RecordReads record_reads);

// The one special label: reads of it are only counted (session.record_reads = "sensitive").
inline constexpr std::string_view kPublicLabel = "public";
// The label of data no [[label]] covers, unless session.unclassified names another.
inline constexpr std::string_view kSecretLabel = "secret";

struct SessionSettings {
  DefaultDecision default_decision = DefaultDecision::kDeny;
  // false: where the kernel refuses user namespaces, run with Landlock + seccomp alone.
  bool require_namespaces = true;
  // true: refuse to run where the kernel has no Landlock.
  bool require_landlock = false;
  RecordReads record_reads = RecordReads::kSensitive;
  // The label of data no [[label]] covers: "public", "secret" or a label the profile declares.
  std::string unclassified = std::string(kSecretLabel);
};

// Paths as written in the profile, variables ({project} {home} {cwd} {tmp}) not yet expanded.
// Lists from an extended profile come first, then the profile's own; duplicates dropped.
struct FilesystemSettings {
  std::vector<std::string> read;
  std::vector<std::string> write;
  std::vector<std::string> hide;
  std::vector<std::string> readonly;
};

// Where something was written in a profile file, for errors found after loading.
struct SourceLocation {
  std::string file;   // absolute path
  uint32_t line = 0;  // 1-based; 0 when unknown
  uint32_t column = 0;
};

// "FILE:LINE:COL", the file name escaped for display.
std::string FormatLocation(const SourceLocation& where);

// One pattern of a rule's `match`, as written (variables not yet expanded).
struct RulePattern {
  std::string text;
  SourceLocation where;
};

// A port or an inclusive range of them ("8000-8999").
struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  bool operator==(const PortRange&) const = default;
};

// [network] mode: none — the sandbox has no network; proxy — connections go through the
// supervisor, decided by host name and port; host — decided by address.
enum class NetworkMode { kNone, kProxy, kHost };

// "none", "proxy", "host".
std::string_view NetworkModeName(NetworkMode mode);

struct NetworkSettings {
  NetworkMode mode = NetworkMode::kNone;  // a profile that says nothing has no network
  bool mode_set = false;                  // some file of the profile wrote `mode`
  // "host[:port]" entries as written ("github.com:443", "*.example.org", "[::1]:8080",
  // "10.0.0.0/8:5432"): the extended profile's first, then the profile's own; duplicates dropped.
  std::vector<RulePattern> allow;
  // A net.* action no rule and no allow entry decides; never session.default.
  DefaultDecision default_decision = DefaultDecision::kDeny;
  // Pinned names, lower case, to a canonical numeric address (see Action::address); a profile's
  // own entries replace those of the profile it extends.
  std::vector<std::pair<std::string, std::string>> hosts;
  SourceLocation where;  // the [network] table of the most extending file with one; line 0: none
};

// A rule's `match`; a key left out (an empty list) places no condition. Every key given must
// hold. See docs/profiles.md for the pattern syntax.
struct RuleMatch {
  std::vector<RulePattern> path;   // any of them matches the path (either side of rename/link)
  std::vector<RulePattern> from;   // any of them matches the path (rename/link)
  std::vector<RulePattern> to;     // any of them matches `to` (rename/link)
  std::vector<RulePattern> argv;   // element-wise: globs, "re:REGEX", "**" (process.exec)
  std::vector<std::string> flags;  // open flag names, all present (file.read/write/create)
  // net.*: any of them matches: a glob on the host name (case-insensitive, '.' separates
  // labels), or a CIDR range or literal address matched against Action::address; '!' negates.
  std::vector<RulePattern> host;
  std::vector<PortRange> port;     // net.*: any of them contains Action::port
};

enum class RuleDecision { kAllow, kDeny, kForbid };

// "allow", "deny", "forbid".
std::string_view RuleDecisionName(RuleDecision decision);

struct RuleSpec {
  std::string id;                // unique within the effective profile
  std::vector<ActionKind> on;    // "file.*" written in the profile is stored as every file kind
  RuleMatch match;
  RuleDecision decision = RuleDecision::kDeny;
  std::string reason;            // empty when the profile gives none
  SourceLocation where;          // the rule's [[rule]] header
};

// A [[label]]: a class of data, named by the paths that hold it. A name declared again (in the
// same file or across `extends`) is one label: its paths are merged, the extending file's first.
struct LabelSpec {
  std::string name;                // letters, digits, '-' and '_', starting with a letter
  std::vector<RulePattern> paths;  // globs as in rule.match.path; may be empty
  SourceLocation where;            // the first [[label]] header that declares it
};

struct Profile {
  int version = 1;
  std::string name;         // shipped name ("default") or the path the user gave
  std::string path;         // absolute path of the profile file itself
  std::string description;
  std::vector<std::string> files;  // every file that went into it, own first, then extended ones
  SessionSettings session;
  FilesystemSettings filesystem;
  NetworkSettings network;
  // In order of precedence: the profile's own rules as written, then those of the profile it
  // extends (recursively).
  std::vector<RuleSpec> rules;
  // Each label once, in order of declaration: the profile's own, then those it extends that it
  // does not declare itself.
  std::vector<LabelSpec> labels;
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
