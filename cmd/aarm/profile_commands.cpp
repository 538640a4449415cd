// aarm profile list | check | explain: which profiles there are, whether one loads and what it
// grants, and how it decides one action.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "aarm/base/paths.hpp"
#include "aarm/policy/action.hpp"
#include "aarm/policy/display_text.hpp"
#include "aarm/policy/engine.hpp"
#include "aarm/policy/host_name.hpp"
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

// "unix:PATH" is a unix socket's path; "unix:@NAME" (or "unix:@") an abstract socket.
constexpr std::string_view kUnixPrefix = "unix:";

std::string NetworkUsage(ActionKind kind) {
  if (kind == ActionKind::kNetConnect) {
    return "net.connect HOST:PORT [ADDRESS], ADDRESS:PORT, [IPV6]:PORT or unix:PATH";
  }
  if (kind == ActionKind::kNetSend) return "net.send ADDRESS:PORT, [IPV6]:PORT or unix:PATH";
  return "net.bind ADDRESS[:PORT], [IPV6][:PORT] or unix:PATH";
}

std::optional<uint16_t> ParsePort(std::string_view text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

struct HostPort {
  std::string host;
  std::optional<uint16_t> port;
};

// "HOST", "HOST:PORT", "[IPV6]", "[IPV6]:PORT", or an IPv6 address without brackets or port.
Result<HostPort> SplitHostPort(std::string_view text) {
  std::string_view host = text;
  std::optional<std::string_view> port;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Fail(QuoteForDisplay(text) + " has a '[' that is never closed");
    }
    host = text.substr(1, close - 1);
    if (host.find(':') == std::string_view::npos || !policy::CanonicalAddress(host)) {
      return Fail(QuoteForDisplay(text) + " has brackets around something that is not an IPv6 "
                                          "address");
    }
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) {
        return Fail(QuoteForDisplay(text) + " has something other than ':PORT' after its ']'");
      }
      port = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const size_t colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  HostPort out{std::string(host), std::nullopt};
  if (port) {
    out.port = ParsePort(*port);
    if (!out.port) {
      return Fail(fmt::format("{} has the port {}, which is not a number from 0 to 65535",
                              QuoteForDisplay(text), QuoteForDisplay(*port)));
    }
  }
  return out;
}

// What the command line gives explain: the action decided first and, for a connection to a
// name, the address given for it.
struct ExplainedAction {
  policy::Action action;
  std::string address;  // canonical; empty when none was given
};

// The destination of a net.* action, as the supervisor would see it: a unix socket's path, an
// address, or (net.connect) a name the proxy is asked for, with the address it resolved to.
Result<ExplainedAction> ParseNetworkAction(ActionKind kind, const std::vector<std::string>& objects,
                                           const std::string& cwd) {
  const std::string name(policy::ActionKindName(kind));
  ExplainedAction explained;
  policy::Action& action = explained.action;
  action.kind = kind;
  if (objects.empty() || objects.size() > 2) {
    return Fail(fmt::format("{} needs {}", name, NetworkUsage(kind)));
  }
  const std::string_view destination = objects[0];
  if (destination.starts_with(kUnixPrefix)) {
    if (objects.size() > 1) return Fail(fmt::format("{} needs {}", name, NetworkUsage(kind)));
    const std::string_view socket = destination.substr(kUnixPrefix.size());
    if (socket.empty()) {
      return Fail("unix: needs a socket's path (unix:/run/app.sock) or an abstract name "
                  "(unix:@NAME)");
    }
    action.protocol = "unix";
    // An abstract socket has no path; its name decides nothing.
    if (!socket.starts_with('@')) action.path = NormalizePath(std::string(socket), cwd);
    return explained;
  }
  auto split = SplitHostPort(destination);
  if (!split) return tl::unexpected(split.error());
  action.protocol = kind == ActionKind::kNetSend ? "udp" : "tcp";
  if (auto address = policy::CanonicalAddress(split->host)) {
    action.address = std::move(*address);
  } else if (auto host = policy::NormalizeHostName(split->host)) {
    if (kind != ActionKind::kNetConnect) {
      return Fail(fmt::format("{} takes an address, not a name: the supervisor decides {} by "
                              "the address alone ({})",
                              name, kind == ActionKind::kNetBind ? "a bind" : "a datagram",
                              NetworkUsage(kind)));
    }
    action.host = std::move(*host);
  } else {
    return Fail(QuoteForDisplay(split->host) + " is not a host name or an IP address");
  }
  if (split->port) {
    action.port = *split->port;
  } else if (kind != ActionKind::kNetBind) {
    return Fail(fmt::format("{} needs a port: {}", name, NetworkUsage(kind)));
  }
  if (objects.size() == 2) {
    if (action.host.empty()) return Fail(fmt::format("{} needs {}", name, NetworkUsage(kind)));
    auto address = policy::CanonicalAddress(objects[1]);
    if (!address) {
      return Fail(fmt::format("{} is not an IP address (the address {} resolves to)",
                              QuoteForDisplay(objects[1]), QuoteForDisplay(action.host)));
    }
    explained.address = std::move(*address);
  }
  return explained;
}

// "KIND OBJECT..." from the command line: the action the supervisor would build.
Result<ExplainedAction> ParseExplainedAction(const std::vector<std::string>& words,
                                             const std::string& cwd) {
  if (words.empty()) return Fail("no action given: write KIND OBJECT... after '--'");
  const auto kind = policy::ParseActionKind(words[0]);
  if (!kind) {
    return Fail(fmt::format("{} is not an action kind ({})", QuoteForDisplay(words[0]),
                            KnownKinds()));
  }
  const std::string name(policy::ActionKindName(*kind));
  const std::vector<std::string> objects(words.begin() + 1, words.end());
  if (policy::IsNetworkAction(*kind)) return ParseNetworkAction(*kind, objects, cwd);
  ExplainedAction explained;
  policy::Action& action = explained.action;
  action.kind = *kind;
  if (*kind == ActionKind::kProcessExec) {
    if (objects.empty()) return Fail("process.exec needs the command: process.exec ARGV...");
    action.argv = objects;
    action.path = ResolveProgram(objects[0], cwd);
    action.cwd = cwd;
    return explained;
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
  if (!TakesFlags(*kind)) return explained;
  if (objects.size() == 1) {
    action.open_flags = DefaultFlags(*kind);
    return explained;
  }
  for (size_t i = 1; i < objects.size(); ++i) {
    const auto flag = policy::OpenFlagValue(objects[i]);
    if (!flag) return Fail(QuoteForDisplay(objects[i]) + " is not an open flag (O_WRONLY, ...)");
    action.open_flags |= *flag;
  }
  return explained;
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

// "address 64:ff9b::a9fe:a9fe (169.254.169.254 through NAT64)"; addresses are canonical, so
// they need no quoting.
std::string DescribeAddress(const std::string& address) {
  std::string out = "address " + address;
  if (const auto embedded = policy::FindEmbeddedIpv4(address)) {
    out += fmt::format(" ({} through {})", embedded->ipv4, embedded->via);
  }
  return out;
}

std::string DescribeDestination(const policy::Action& action) {
  if (action.protocol == "unix") {
    return action.path.empty() ? "abstract unix socket"
                               : "unix socket " + QuoteForDisplay(action.path);
  }
  std::string out;
  if (!action.host.empty()) out = "host " + QuoteForDisplay(action.host);
  if (!action.address.empty()) out += (out.empty() ? "" : " ") + DescribeAddress(action.address);
  return out + " port " + std::to_string(action.port);
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
  if (policy::IsNetworkAction(action.kind)) return out + " " + DescribeDestination(action);
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
  patterns("host", rule.match.host);
  if (!rule.match.port.empty()) {
    out += "; port";
    for (const policy::PortRange& range : rule.match.port) {
      out += range.first == range.last ? fmt::format(" {}", range.first)
                                       : fmt::format(" {}-{}", range.first, range.last);
    }
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

// Whether the kernel would need to write where the action's path is. Connecting or sending to a
// unix socket does not (a read-only mount leaves sockets usable); binding one creates its file.
bool Writes(const policy::Action& action) {
  switch (action.kind) {
    case ActionKind::kFileRead:
    case ActionKind::kProcessExec:
    case ActionKind::kNetConnect:
    case ActionKind::kNetSend:
      return false;
    case ActionKind::kNetBind:
      return true;
    default:
      return !(TakesFlags(action.kind) && (action.open_flags & O_ACCMODE) == O_RDONLY &&
               !(action.open_flags & (O_CREAT | O_TRUNC)));
  }
}

std::string DescribeView(const std::string& path, const policy::Action& action,
                         const policy::Profile& profile, const policy::PathVariables& vars) {
  using Access = Placement::Access;
  const Placement placement = Place(path, profile, vars);
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
             (Writes(action) ? ": the kernel refuses this, whatever the rules decide" : "");
    case Access::kWritable:
      return shown + " is writable in the sandbox's view (" + placement.entry + ")";
  }
  return shown;
}

// Everything explain prints a decision against.
struct ExplainContext {
  const policy::Profile& profile;
  const policy::PathVariables& vars;
  const policy::Engine& engine;
};

std::string DescribeVerdict(const policy::Decision& decision) {
  return fmt::format("{}{}", decision.verdict == policy::Verdict::kAllow ? "allow" : "deny",
                     decision.forbidden ? " (forbidden: nothing overrides it, not even --audit)"
                                        : "");
}

// What the engine decides itself, by id, when no rule of the profile does.
struct BuiltinRule {
  std::string_view id;
  std::string_view what;
};
constexpr std::string_view kForbiddenAddress =
    "a forbidden address, reachable only where a rule, an allow entry or a pinned name names it";
constexpr std::string_view kGuardedPaths = "nothing at or below these paths may be changed";
constexpr std::array<BuiltinRule, 9> kBuiltinRules = {{
    {"network.mode", "[network] mode = \"none\": the sandbox has no network"},
    {"network.metadata", kForbiddenAddress},
    {"network.link-local", kForbiddenAddress},
    {"network.host-loopback", kForbiddenAddress},
    {"network.allow", "an entry of [network] allow"},
    {"network.default", "[network] default: no rule or allow entry matches"},
    {"network.unix-socket", "a unix socket no rule decides"},
    {"filesystem.readonly", kGuardedPaths},
    {"filesystem.hide", kGuardedPaths},
}};

// The entries of [filesystem] `key` that hold the action's path or its destination.
std::string GuardingEntries(std::string_view key, const std::vector<std::string>& entries,
                            const policy::Action& action, const policy::PathVariables& vars) {
  std::string out = fmt::format("filesystem.{}", key);
  for (const std::string& written : entries) {
    const auto root = policy::ExpandPath(written, vars);
    if (!root) continue;
    if (PathIsWithin(action.path, *root) ||
        (IsTwoSided(action.kind) && PathIsWithin(action.to, *root))) {
      out += " " + QuoteForDisplay(written);
    }
  }
  return out;
}

// The `rule:` line and, where there is one, the `match:` line for what decided.
std::pair<std::string, std::string> DescribeDecider(const policy::Decision& decision,
                                                    const policy::Action& action,
                                                    const ExplainContext& context) {
  const policy::Profile& profile = context.profile;
  if (decision.rule.empty()) return {"none matches; session.default decides", ""};
  // A rule of the profile may take an id the engine uses too; it decides only actions it is on.
  const auto rule = std::find_if(profile.rules.begin(), profile.rules.end(),
                                 [&](const policy::RuleSpec& r) {
                                   return r.id == decision.rule &&
                                          std::find(r.on.begin(), r.on.end(), action.kind) !=
                                              r.on.end();
                                 });
  if (rule != profile.rules.end()) {
    return {fmt::format("{} at {} ({})", EscapeForDisplay(rule->id),
                        policy::FormatLocation(rule->where),
                        policy::RuleDecisionName(rule->decision)),
            DescribeMatch(*rule)};
  }
  const auto builtin = std::find_if(kBuiltinRules.begin(), kBuiltinRules.end(),
                                    [&](const BuiltinRule& b) { return b.id == decision.rule; });
  if (builtin == kBuiltinRules.end()) return {EscapeForDisplay(decision.rule) + " (built-in)", ""};
  std::string what(builtin->what);
  std::string match;
  if (decision.rule == "network.default") {
    what = fmt::format("[network] default = \"{}\": no rule or allow entry matches",
                       profile.network.default_decision == policy::DefaultDecision::kAllow
                           ? "allow"
                           : "deny");
  } else if (decision.rule == "network.allow") {
    // The engine gives the entry as written as the reason.
    for (const policy::RulePattern& entry : profile.network.allow) {
      if (entry.text != decision.reason) continue;
      match = "allow entry " + QuoteForDisplay(entry.text);
      if (entry.where.line != 0) match += " at " + policy::FormatLocation(entry.where);
      break;
    }
  } else if (decision.rule == "filesystem.readonly") {
    what = "[filesystem] readonly: " + what;
    match = GuardingEntries("readonly", profile.filesystem.readonly, action, context.vars);
  } else if (decision.rule == "filesystem.hide") {
    what = "[filesystem] hide: " + what;
    match = GuardingEntries("hide", profile.filesystem.hide, action, context.vars);
  }
  return {fmt::format("{} (built-in: {})", decision.rule, what), match};
}

void PrintDecision(const policy::Decision& decision, const policy::Action& action,
                   const ExplainContext& context) {
  const auto [rule, match] = DescribeDecider(decision, action, context);
  fmt::print("decision:  {}\n", DescribeVerdict(decision));
  fmt::print("rule:      {}\n", rule);
  if (!match.empty()) fmt::print("match:     {}\n", match);
  fmt::print("reason:    {}\n", EscapeForDisplay(decision.reason));
}

// A connection to a name through the proxy: decided by the name before it is looked up (a name
// denied is never looked up), then again with the address it resolved to, which decides.
void ExplainConnectionByName(const ExplainedAction& explained, const ExplainContext& context) {
  const policy::Action& by_name = explained.action;
  const policy::Decision first = context.engine.Decide(by_name);
  fmt::print("step 1:    by the name, before it is looked up\n");
  PrintDecision(first, by_name, context);
  if (first.verdict == policy::Verdict::kDeny) {
    fmt::print("step 2:    none: a name denied is never looked up\n");
    fmt::print("outcome:   {}\n", DescribeVerdict(first));
    return;
  }
  const auto pinned = context.engine.PinnedAddress(by_name.host);
  std::string source = "the address given";
  if (pinned && explained.address.empty()) {
    source = "which [network] hosts pins the name to";
  } else if (pinned && *pinned != explained.address) {
    source += fmt::format(" (the sandbox's resolver answers the name with {}, which [network] "
                          "hosts pins it to)",
                          *pinned);
  }
  policy::Action by_address = by_name;
  by_address.address = explained.address.empty() ? pinned.value_or("") : explained.address;
  if (by_address.address.empty()) {
    fmt::print("step 2:    the address the name resolves to is decided next, the built-in "
               "forbidden addresses with it; give one after the name to see it: net.connect "
               "{}:{} ADDRESS\n",
               EscapeForDisplay(by_name.host), by_name.port);
    fmt::print("outcome:   allow by the name; the address it resolves to decides\n");
    return;
  }
  const policy::Decision second = context.engine.Decide(by_address);
  fmt::print("step 2:    with the {}, {}\n", DescribeAddress(by_address.address), source);
  PrintDecision(second, by_address, context);
  fmt::print("outcome:   {}\n", DescribeVerdict(second));
}

std::string DescribeNetworkMode(policy::NetworkMode mode) {
  switch (mode) {
    case policy::NetworkMode::kNone:
      return "mode none: the sandbox has no network; only unix sockets are decided";
    case policy::NetworkMode::kProxy:
      return "mode proxy: connections go through the supervisor, by name where the agent gives "
             "one";
    case policy::NetworkMode::kHost:
      return "mode host: the agent looks names up itself, and a connection is decided by its "
             "address alone";
  }
  return std::string(policy::NetworkModeName(mode));
}

int ExplainCommand(const std::string& name_or_path, const std::vector<std::string>& words) {
  std::array<char, 4096> cwd_buffer;
  if (!::getcwd(cwd_buffer.data(), cwd_buffer.size())) {
    PrintError(Error{"cannot determine the current directory", errno});
    return kUsageOrIo;
  }
  const std::string cwd = cwd_buffer.data();
  auto explained = ParseExplainedAction(words, cwd);
  if (!explained) {
    PrintError(explained.error().message);
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
  const ExplainContext context{*profile, vars, *engine};
  policy::Action& action = explained->action;
  const bool network = policy::IsNetworkAction(action.kind);
  const policy::NetworkMode mode = profile->network.mode;

  fmt::print("action:    {}\n", DescribeAction(action));
  if (action.host.empty()) {
    PrintDecision(engine->Decide(action), action, context);
  } else if (mode != policy::NetworkMode::kHost) {
    ExplainConnectionByName(*explained, context);
  } else if (!explained->address.empty()) {
    // No proxy and no resolver of the sandbox's own: the agent connects to the address.
    action.host.clear();
    action.address = explained->address;
    fmt::print("by:        the {} alone\n", DescribeAddress(action.address));
    PrintDecision(engine->Decide(action), action, context);
  } else {
    fmt::print("decision:  by the address alone, which is not known here; give it after the "
               "name: net.connect {}:{} ADDRESS\n",
               EscapeForDisplay(action.host), action.port);
  }
  std::vector<std::string> objects;
  if (!action.path.empty()) objects.push_back(action.path);
  if (IsTwoSided(action.kind)) objects.push_back(action.to);
  for (const std::string& object : objects) {
    fmt::print("view:      {}\n", DescribeView(object, action, *profile, vars));
  }
  if (network) fmt::print("network:   {}\n", DescribeNetworkMode(mode));
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
                   "[O_FLAG...], file.delete|chmod PATH, file.rename|link PATH TO, net.connect "
                   "HOST:PORT [ADDRESS], net.connect|send ADDRESS:PORT, net.bind "
                   "ADDRESS[:PORT]; [IPV6]:PORT for IPv6, unix:PATH for a unix socket")
      ->required();
  explain->callback([&exit_status, explained_profile, action_words] {
    exit_status = ExplainCommand(*explained_profile, *action_words);
  });
}

}  // namespace aarm::cli
