// aarm profile list | check | explain: which profiles there are, whether one loads and what it
// grants, and how it decides one action.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "aarm/base/paths.hpp"
#include "aarm/policy/action.hpp"
#include "aarm/policy/display_text.hpp"
#include "aarm/policy/engine.hpp"
#include "aarm/policy/profile.hpp"
#include "commands.hpp"

namespace aarm::cli {
namespace {

using policy::ActionKind;
using policy::EscapeForDisplay;
using policy::QuoteForDisplay;

// The shipped profiles' directory; nullopt, once the reason is printed, when it cannot be found.
std::optional<std::string> LocateShippedProfiles() {
  auto shipped_dir = ShippedProfileDir();
  if (!shipped_dir) {
    Error error = shipped_dir.error();
    error.message = "cannot locate the shipped profiles: " + error.message;
    PrintError(error);
    return std::nullopt;
  }
  return std::move(*shipped_dir);
}

int ListProfilesCommand() {
  auto shipped_dir = LocateShippedProfiles();
  if (!shipped_dir) return kUsageOrIo;
  std::array<char, 4096> cwd;
  if (!::getcwd(cwd.data(), cwd.size())) {
    PrintError(Error{"cannot determine the current directory", errno});
    return kUsageOrIo;
  }
  const auto listings =
      policy::ListProfiles(*shipped_dir, policy::FindProjectDirectory(cwd.data()));

  struct Row {
    std::string name, description, path;
  };
  std::vector<Row> rows = {{"NAME", "DESCRIPTION", "PATH"}};
  for (const auto& listing : listings) {
    rows.push_back({EscapeForDisplay(listing.name),
                    listing.problem.empty()
                        ? EscapeForDisplay(listing.description)
                        : "(does not load; run 'aarm profile check " +
                              EscapeForDisplay(listing.path) + "')",
                    EscapeForDisplay(listing.path)});
  }
  size_t name_width = 0;
  size_t description_width = 0;
  for (const Row& row : rows) {
    name_width = std::max(name_width, row.name.size());
    description_width = std::max(description_width, row.description.size());
  }
  for (const Row& row : rows) {
    fmt::print("{:<{}}  {:<{}}  {}\n", row.name, name_width, row.description, description_width,
               row.path);
  }
  return kOk;
}

// Loads a profile for check and explain; on failure prints why and gives the exit status.
tl::expected<policy::Profile, int> LoadForCommand(const std::string& name_or_path) {
  auto shipped_dir = LocateShippedProfiles();
  if (!shipped_dir) return tl::unexpected(kUsageOrIo);
  auto profile = policy::LoadProfile(name_or_path, *shipped_dir);
  if (!profile) {
    PrintError(profile.error().Describe());
    return tl::unexpected(kCheckFailed);
  }
  return std::move(*profile);
}

int CheckProfileCommand(const std::string& name_or_path) {
  auto profile = LoadForCommand(name_or_path);
  if (!profile) return profile.error();
  std::string files;
  for (const std::string& file : profile->files) {
    files += (files.empty() ? "" : ", ") + EscapeForDisplay(file);
  }
  fmt::print("ok: {} ({})\n{}", EscapeForDisplay(profile->name), files, profile->effective_toml);
  return kOk;
}

// --- explain -----------------------------------------------------------------------------------

std::string CanonicalOrSelf(const std::string& path) {
  std::error_code ec;
  const auto canonical = std::filesystem::canonical(path, ec);
  return ec ? path : canonical.string();
}

// The program execve would run for `name`, as the supervisor reports it: absolute, symlinks
// resolved. Empty when $PATH holds no such program.
std::string ResolveProgram(const std::string& name, const std::string& cwd) {
  if (name.find('/') != std::string::npos) return CanonicalOrSelf(NormalizePath(name, cwd));
  const char* search = std::getenv("PATH");
  std::string dirs = search && *search ? search : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, colon - start);
    start = colon + 1;
    const std::string candidate = NormalizePath((dir.empty() ? "." : dir) + "/" + name, cwd);
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return CanonicalOrSelf(candidate);
    }
  }
  return "";
}

std::string KnownKinds() {
  std::string out;
  for (ActionKind kind : policy::AllActionKinds()) {
    out += (out.empty() ? "" : ", ") + std::string(policy::ActionKindName(kind));
  }
  return out;
}

bool IsTwoSided(ActionKind kind) {
  return kind == ActionKind::kFileRename || kind == ActionKind::kFileLink;
}

bool TakesFlags(ActionKind kind) {
  return kind == ActionKind::kFileRead || kind == ActionKind::kFileWrite ||
         kind == ActionKind::kFileCreate;
}

// What open(2) would most plainly be called with for each kind, when no flags are given.
uint32_t DefaultFlags(ActionKind kind) {
  if (kind == ActionKind::kFileWrite) return O_WRONLY;
  if (kind == ActionKind::kFileCreate) return O_WRONLY | O_CREAT;
  return O_RDONLY;
}

// "KIND OBJECT..." from the command line: the action the supervisor would build.
Result<policy::Action> ParseExplainedAction(const std::vector<std::string>& words,
                                            const std::string& cwd) {
  if (words.empty()) return Fail("no action given: write KIND OBJECT... after '--'");
  const auto kind = policy::ParseActionKind(words[0]);
  if (!kind) {
    return Fail(fmt::format("{} is not an action kind ({})", QuoteForDisplay(words[0]),
                            KnownKinds()));
  }
  const std::string name(policy::ActionKindName(*kind));
  const std::vector<std::string> objects(words.begin() + 1, words.end());
  policy::Action action;
  action.kind = *kind;
  if (*kind == ActionKind::kProcessExec) {
    if (objects.empty()) return Fail("process.exec needs the command: process.exec ARGV...");
    action.argv = objects;
    action.path = ResolveProgram(objects[0], cwd);
    action.cwd = cwd;
    return action;
  }
  const size_t paths = IsTwoSided(*kind) ? 2 : 1;
  if (objects.size() < paths || (objects.size() > paths && !TakesFlags(*kind))) {
    return Fail(fmt::format("{} needs {}", name,
                            IsTwoSided(*kind) ? "two paths: " + name + " PATH TO"
                            : TakesFlags(*kind) ? "a path and optional open flags: " + name +
                                                      " PATH [O_FLAG...]"
                                                : "one path: " + name + " PATH"));
  }
  action.path = NormalizePath(objects[0], cwd);
  if (paths == 2) action.to = NormalizePath(objects[1], cwd);
  if (!TakesFlags(*kind)) return action;
  if (objects.size() == 1) {
    action.open_flags = DefaultFlags(*kind);
    return action;
  }
  for (size_t i = 1; i < objects.size(); ++i) {
    const auto flag = policy::OpenFlagValue(objects[i]);
    if (!flag) return Fail(QuoteForDisplay(objects[i]) + " is not an open flag (O_WRONLY, ...)");
    action.open_flags |= *flag;
  }
  return action;
}

std::string DescribeFlags(uint32_t flags) {
  std::string out;
  for (std::string_view name : policy::OpenFlagNames()) {
    const uint32_t value = *policy::OpenFlagValue(name);
    const bool access = name == "O_RDONLY" || name == "O_WRONLY" || name == "O_RDWR";
    const bool present =
        access ? (flags & O_ACCMODE) == value : value != 0 && (flags & value) == value;
    // O_TMPFILE includes O_DIRECTORY; naming both would say the same twice.
    if (present && !(name == "O_DIRECTORY" && (flags & O_TMPFILE) == O_TMPFILE)) {
      out += (out.empty() ? "" : "|") + std::string(name);
    }
  }
  return out;
}

std::string DescribeAction(const policy::Action& action) {
  std::string out(policy::ActionKindName(action.kind));
  if (action.kind == ActionKind::kProcessExec) {
    out += " " + (action.path.empty() ? std::string("(not found in $PATH)")
                                      : QuoteForDisplay(action.path));
    out += " argv";
    for (const std::string& arg : action.argv) out += " " + QuoteForDisplay(arg);
    return out;
  }
  out += " " + QuoteForDisplay(action.path);
  if (IsTwoSided(action.kind)) out += " to " + QuoteForDisplay(action.to);
  if (TakesFlags(action.kind)) out += " flags " + DescribeFlags(action.open_flags);
  return out;
}

std::string DescribeMatch(const policy::RuleSpec& rule) {
  std::string out = "on";
  for (ActionKind kind : rule.on) out += " " + std::string(policy::ActionKindName(kind));
  auto patterns = [&out](std::string_view key, const std::vector<policy::RulePattern>& list) {
    if (list.empty()) return;
    out += fmt::format("; {}", key);
    for (const auto& pattern : list) out += " " + QuoteForDisplay(pattern.text);
  };
  patterns("path", rule.match.path);
  patterns("from", rule.match.from);
  patterns("to", rule.match.to);
  patterns("argv", rule.match.argv);
  if (!rule.match.flags.empty()) {
    out += "; flags";
    for (const auto& flag : rule.match.flags) out += " " + flag;
  }
  return out;
}

// Where a path falls in the sandbox's view of the file tree: the most specific entry of
// [filesystem] that holds it, a hidden path hiding everything below it.
struct Placement {
  enum class Access { kOutside, kReadOnly, kWritable, kHidden } access = Access::kOutside;
  std::string entry;  // "filesystem.read '/etc'"
};

Placement Place(const std::string& path, const policy::Profile& profile,
                const policy::PathVariables& vars) {
  using Access = Placement::Access;
  struct Entry {
    std::string root;
    Access access;
    std::string label;
  };
  // The sandbox always gives the agent its private /tmp; entries in list order, so that for the
  // same path readonly wins over write and write over read.
  std::vector<Entry> entries = {{"/tmp", Access::kWritable, "the session's private /tmp"}};
  for (const auto& [key, list, access] :
       {std::tuple{"read", &profile.filesystem.read, Access::kReadOnly},
        std::tuple{"write", &profile.filesystem.write, Access::kWritable},
        std::tuple{"readonly", &profile.filesystem.readonly, Access::kReadOnly},
        std::tuple{"hide", &profile.filesystem.hide, Access::kHidden}}) {
    for (const std::string& written : *list) {
      auto expanded = policy::ExpandPath(written, vars);
      if (expanded) {
        entries.push_back(
            {*expanded, access, fmt::format("filesystem.{} {}", key, QuoteForDisplay(written))});
      }
    }
  }
  Placement placement;
  size_t depth = 0;
  for (const Entry& entry : entries) {
    if (!PathIsWithin(path, entry.root)) continue;
    if (entry.access == Access::kHidden) return {Access::kHidden, entry.label};
    if (entry.root.size() + 1 >= depth) {
      depth = entry.root.size() + 1;
      placement = {entry.access, entry.label};
    }
  }
  return placement;
}

std::string DescribeView(const std::string& path, const policy::Action& action,
                         const policy::Profile& profile, const policy::PathVariables& vars) {
  using Access = Placement::Access;
  const Placement placement = Place(path, profile, vars);
  const bool writes = action.kind != ActionKind::kFileRead &&
                      action.kind != ActionKind::kProcessExec &&
                      !(TakesFlags(action.kind) && (action.open_flags & O_ACCMODE) == O_RDONLY &&
                        !(action.open_flags & (O_CREAT | O_TRUNC)));
  const std::string shown = QuoteForDisplay(path);
  switch (placement.access) {
    case Access::kOutside:
      return shown + " is outside the sandbox's view: the agent cannot reach it, whatever the "
                     "rules decide";
    case Access::kHidden:
      return shown + " is hidden (" + placement.entry +
             "): the agent sees an empty read-only stand-in, whatever the rules decide";
    case Access::kReadOnly:
      return shown + " is read-only in the sandbox's view (" + placement.entry + ")" +
             (writes ? ": the kernel refuses this, whatever the rules decide" : "");
    case Access::kWritable:
      return shown + " is writable in the sandbox's view (" + placement.entry + ")";
  }
  return shown;
}

int ExplainCommand(const std::string& name_or_path, const std::vector<std::string>& words) {
  std::array<char, 4096> cwd_buffer;
  if (!::getcwd(cwd_buffer.data(), cwd_buffer.size())) {
    PrintError(Error{"cannot determine the current directory", errno});
    return kUsageOrIo;
  }
  const std::string cwd = cwd_buffer.data();
  auto action = ParseExplainedAction(words, cwd);
  if (!action) {
    PrintError(action.error().message);
    return kUsageOrIo;
  }
  auto profile = LoadForCommand(name_or_path);
  if (!profile) return profile.error();
  // The agent's view: the project, home and cwd where they are on the host; its private
  // directory mounted at /tmp.
  const policy::PathVariables vars{policy::FindProjectDirectory(cwd), CanonicalOrSelf(HomeDirectory()),
                                   cwd, "/tmp"};
  auto engine = policy::Engine::Compile(*profile, vars);
  if (!engine) {
    PrintError(engine.error().Describe());
    return kCheckFailed;
  }
  const policy::Decision decision = engine->Decide(*action);

  fmt::print("action:    {}\n", DescribeAction(*action));
  fmt::print("decision:  {}{}\n", decision.verdict == policy::Verdict::kAllow ? "allow" : "deny",
             decision.forbidden ? " (forbidden: nothing overrides it, not even --audit)" : "");
  const auto rule = std::find_if(profile->rules.begin(), profile->rules.end(),
                                 [&](const policy::RuleSpec& r) { return r.id == decision.rule; });
  if (decision.rule.empty() || rule == profile->rules.end()) {
    fmt::print("rule:      none matches; session.default decides\n");
  } else {
    fmt::print("rule:      {} at {} ({})\n", EscapeForDisplay(rule->id),
               policy::FormatLocation(rule->where), policy::RuleDecisionName(rule->decision));
    fmt::print("match:     {}\n", DescribeMatch(*rule));
  }
  fmt::print("reason:    {}\n", EscapeForDisplay(decision.reason));
  std::vector<std::string> objects;
  if (!action->path.empty()) objects.push_back(action->path);
  if (IsTwoSided(action->kind)) objects.push_back(action->to);
  for (const std::string& object : objects) {
    fmt::print("view:      {}\n", DescribeView(object, *action, *profile, vars));
  }
  fmt::print("variables: {{project}}={} {{home}}={} {{cwd}}={} {{tmp}}={}\n",
             EscapeForDisplay(vars.project), EscapeForDisplay(vars.home),
             EscapeForDisplay(vars.cwd), EscapeForDisplay(vars.tmp));
  return kOk;
}

}  // namespace

void RegisterProfileCommands(CLI::App& app, int& exit_status) {
  CLI::App* profile = app.add_subcommand("profile", "List, check and explain profiles");
  profile->require_subcommand(1);

  CLI::App* list = profile->add_subcommand(
      "list", "Shipped profiles, then the project's .aarm/profile.toml if there is one");
  list->callback([&exit_status] { exit_status = ListProfilesCommand(); });

  CLI::App* check = profile->add_subcommand(
      "check", "Validate a profile and print the effective profile after 'extends'");
  auto name_or_path = std::make_shared<std::string>();
  check->add_option("PROFILE", *name_or_path, "A shipped profile's name or a TOML file")
      ->required();
  check->callback([&exit_status, name_or_path] {
    exit_status = CheckProfileCommand(*name_or_path);
  });

  CLI::App* explain = profile->add_subcommand(
      "explain",
      "How a profile decides one action: aarm profile explain PROFILE -- KIND OBJECT...");
  auto explained_profile = std::make_shared<std::string>();
  auto action_words = std::make_shared<std::vector<std::string>>();
  explain->add_option("PROFILE", *explained_profile, "A shipped profile's name or a TOML file")
      ->required();
  explain
      ->add_option("ACTION", *action_words,
                   "The action after '--': process.exec ARGV..., file.read|write|create PATH "
                   "[O_FLAG...], file.delete|chmod PATH, file.rename|link PATH TO")
      ->required();
  explain->callback([&exit_status, explained_profile, action_words] {
    exit_status = ExplainCommand(*explained_profile, *action_words);
  });
}

}  // namespace aarm::cli
