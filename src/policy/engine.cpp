#include "aarm/policy/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "aarm/base/paths.hpp"
#include "aarm/policy/display_text.hpp"
#include "compiled_rule.hpp"
#include "label_index.hpp"
#include "network_patterns.hpp"
#include "profile_source.hpp"

namespace aarm::policy {

struct Engine::Compiled {
  std::vector<detail::CompiledRule> forbid;  // checked first, in order
  std::vector<detail::CompiledRule> others;  // then these, in order
  Verdict default_verdict = Verdict::kDeny;
  NetworkMode network_mode = NetworkMode::kNone;
  std::vector<detail::AllowEntry> network_allow;
  Verdict network_default = Verdict::kDeny;
  std::vector<std::pair<std::string, detail::IpAddress>> pinned;  // lower-case names
  std::vector<std::string> write_paths;                           // expanded
  std::vector<std::string> hidden_paths;                          // expanded
  std::vector<std::string> read_paths;                            // expanded
  std::vector<std::string> readonly_paths;                        // expanded
  detail::LabelIndex labels;
  bool count_public_reads = true;  // session.record_reads = "sensitive"

  Decision DecideNetwork(const Action& action, const detail::MatchSubject& subject) const;
  Decision DecideUnixSocket(const Action& action, const detail::MatchSubject& subject) const;
  std::optional<Decision> DecideByRules(const Action& action,
                                        const detail::MatchSubject& subject) const;
  std::optional<Decision> BuiltinForbidden(const Action& action,
                                           const detail::MatchSubject& subject) const;
  const detail::IpAddress* Pinned(std::string_view name) const;
};

namespace {

// Whether NormalizePath would change an absolute `path`: an empty segment ("//", a trailing
// '/'), "." or "..".
bool NeedsNormalizing(std::string_view path) {
  if (path.size() <= 1) return false;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, slash - start);
    if (segment.empty() || segment == "." || segment == "..") return true;
    start = slash + 1;
  }
  return false;
}

// The supervisor hands over resolved absolute paths, normally normalised already (then no copy
// is made); normalising makes a rule's view of a path independent of how it was spelt. Anything
// not absolute is left alone and matches no pattern but negated ones.
std::string_view Normalized(std::string_view path, std::string& storage) {
  if (path.empty() || path.front() != '/' || !NeedsNormalizing(path)) return path;
  storage = NormalizePath(std::string(path));
  return storage;
}


std::string ReasonFor(const detail::CompiledRule& rule, bool doubted) {
  std::string reason = rule.Reason();
  if (reason.empty()) {
    std::string_view verb = "denied";
    if (rule.Decision() == RuleDecision::kAllow) verb = "allowed";
    if (rule.Decision() == RuleDecision::kForbid) verb = "forbidden";
    reason = fmt::format("{} by rule '{}'", verb, rule.Id());
  }
  if (doubted) {
    reason += fmt::format(" (an argument longer than the {} bytes a regex examines counts as "
                          "matching)",
                          detail::kMaxRegexInput);
  }
  return reason;
}

}  // namespace

Engine::Engine(std::unique_ptr<Compiled> compiled) : compiled_(std::move(compiled)) {}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

// [filesystem] readonly and hide hold for names that do not exist yet too: the mount view can
// only protect what exists when the session starts (a stand-in cannot be mounted on nothing),
// so creating, changing, removing or renaming anything at or below those paths is forbidden
// as if by a forbid rule (`.envrc`, `.aarm/profile.toml`, `~/.ssh/authorized_keys`).
std::vector<RuleSpec> FilesystemGuards(const Profile& profile) {
  const std::vector<ActionKind> mutations = {ActionKind::kFileWrite,  ActionKind::kFileCreate,
                                             ActionKind::kFileDelete, ActionKind::kFileRename,
                                             ActionKind::kFileLink,   ActionKind::kFileChmod};
  std::vector<RuleSpec> guards;
  auto guard = [&](const std::vector<std::string>& paths, const char* id, const char* reason) {
    if (paths.empty()) return;
    RuleSpec spec;
    spec.id = id;
    spec.on = mutations;
    spec.decision = RuleDecision::kForbid;
    spec.reason = reason;
    spec.where = SourceLocation{profile.path, 0, 0};
    for (const auto& path : paths) {
      spec.match.path.push_back(RulePattern{path + "/**", spec.where});
    }
    guards.push_back(std::move(spec));
  };
  guard(profile.filesystem.readonly, "filesystem.readonly", "kept read-only by [filesystem] readonly");
  guard(profile.filesystem.hide, "filesystem.hide", "hidden by [filesystem] hide");
  return guards;
}

namespace {

struct ForbiddenRange {
  const char* range;
  const char* rule;
  const char* reason;
};

// Addresses no connection from the sandbox should reach unless the profile names them: the
// cloud metadata service hands out the host's credentials, link-local addresses reach the
// local segment's devices, and loopback or unspecified addresses reach the host's own services
// (the sandbox's own loopback stays inside its namespace: no decision is asked for it). First
// match wins.
constexpr std::array<ForbiddenRange, 8> kForbiddenRanges = {{
    {"169.254.169.254/32", "network.metadata", "the cloud metadata service"},
    {"fd00:ec2::254/128", "network.metadata", "the cloud metadata service"},
    {"169.254.0.0/16", "network.link-local", "a link-local address"},
    {"fe80::/10", "network.link-local", "a link-local address"},
    {"127.0.0.0/8", "network.host-loopback", "the host's own loopback (its local services)"},
    {"::1/128", "network.host-loopback", "the host's own loopback (its local services)"},
    {"0.0.0.0/8", "network.host-loopback", "an unspecified address (the host itself)"},
    {"::/128", "network.host-loopback", "an unspecified address (the host itself)"},
}};

struct ForbiddenMatch {
  const char* rule;
  const char* reason;
};

std::optional<ForbiddenMatch> ForbiddenAddress(const detail::IpAddress& address) {
  static const std::vector<detail::AddressRange> ranges = [] {
    std::vector<detail::AddressRange> parsed;
    for (const ForbiddenRange& range : kForbiddenRanges) {
      parsed.push_back(*detail::ParseAddressRange(range.range));
    }
    return parsed;
  }();
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].Contains(address)) {
      return ForbiddenMatch{kForbiddenRanges[i].rule, kForbiddenRanges[i].reason};
    }
  }
  return std::nullopt;
}

bool EntryPortMatches(const detail::AllowEntry& entry, uint16_t port) {
  return !entry.port || detail::PortInRange(*entry.port, port);
}

bool EntryMatches(const detail::AllowEntry& entry, const Action& action,
                  const detail::MatchSubject& subject) {
  if (!EntryPortMatches(entry, action.port)) return false;
  if (entry.host.IsAddress()) return subject.address && entry.host.MatchesAddress(*subject.address);
  return !subject.name.empty() && entry.host.MatchesName(subject.name);
}

// The destination of a connection or a datagram; a bind names an address of the sandbox's own.
bool HasDestination(ActionKind kind) { return kind != ActionKind::kNetBind; }

}  // namespace

Result<Engine> Engine::Compile(const Profile& profile, const PathVariables& variables) {
  auto compiled = std::make_unique<Compiled>();
  compiled->default_verdict = profile.session.default_decision == DefaultDecision::kAllow
                                  ? Verdict::kAllow
                                  : Verdict::kDeny;
  for (const RuleSpec& spec : FilesystemGuards(profile)) {
    auto rule = detail::CompiledRule::Compile(spec, variables);
    if (!rule) return tl::unexpected(rule.error());
    compiled->forbid.push_back(std::move(*rule));
  }
  for (const RuleSpec& spec : profile.rules) {
    auto rule = detail::CompiledRule::Compile(spec, variables);
    if (!rule) return tl::unexpected(rule.error());
    (spec.decision == RuleDecision::kForbid ? compiled->forbid : compiled->others)
        .push_back(std::move(*rule));
  }

  const NetworkSettings& network = profile.network;
  compiled->network_mode = network.mode;
  compiled->network_default =
      network.default_decision == DefaultDecision::kAllow ? Verdict::kAllow : Verdict::kDeny;
  for (const RulePattern& text : network.allow) {
    auto entry = detail::ParseAllowEntry(text.text);
    if (!entry) {
      return tl::unexpected(detail::ErrorAt(
          text.where, fmt::format("network.allow entry {} {}", QuoteForDisplay(text.text),
                                  entry.error().message)));
    }
    compiled->network_allow.push_back(std::move(*entry));
  }
  for (const auto& [name, address] : network.hosts) {
    auto normalized = detail::NormalizeHostName(name);
    auto parsed = detail::ParseAddress(address);
    if (!normalized || !parsed) {
      return tl::unexpected(detail::ErrorAt(
          network.where, fmt::format("network.hosts entry {} = {} needs a host name and an IP "
                                     "address",
                                     QuoteForDisplay(name), QuoteForDisplay(address))));
    }
    compiled->pinned.emplace_back(std::move(*normalized), *parsed);
  }
  for (const auto& [key, paths, expanded_paths] :
       {std::tuple{"write", &profile.filesystem.write, &compiled->write_paths},
        std::tuple{"hide", &profile.filesystem.hide, &compiled->hidden_paths},
        std::tuple{"read", &profile.filesystem.read, &compiled->read_paths},
        std::tuple{"readonly", &profile.filesystem.readonly, &compiled->readonly_paths}}) {
    for (const std::string& path : *paths) {
      auto expanded = ExpandPath(path, variables);
      if (!expanded) {
        return tl::unexpected(
            detail::ErrorAt(SourceLocation{profile.path, 0, 0},
                            fmt::format("filesystem.{} {}", key, expanded.error().message)));
      }
      expanded_paths->push_back(std::move(*expanded));
    }
  }
  auto labels =
      detail::LabelIndex::Compile(profile.labels, profile.session.unclassified, variables);
  if (!labels) return tl::unexpected(labels.error());
  compiled->labels = std::move(*labels);
  compiled->count_public_reads = profile.session.record_reads == RecordReads::kSensitive;
  return Engine(std::move(compiled));
}

std::string_view Engine::LabelOf(std::string_view path) const {
  std::string storage;
  return compiled_->labels.LabelOf(Normalized(path, storage));
}

bool Engine::IsCountedRead(const Action& action) const {
  return action.kind == ActionKind::kFileRead && compiled_->count_public_reads &&
         LabelOf(action.path) == kPublicLabel;
}

std::optional<Decision> Engine::Compiled::DecideByRules(
    const Action& action, const detail::MatchSubject& subject) const {
  for (const detail::CompiledRule& rule : others) {
    bool doubted = false;
    if (rule.Matches(action, subject, doubted)) {
      const Verdict verdict =
          rule.Decision() == RuleDecision::kAllow ? Verdict::kAllow : Verdict::kDeny;
      return Decision{verdict, false, rule.Id(), ReasonFor(rule, doubted)};
    }
  }
  return std::nullopt;
}

const detail::IpAddress* Engine::Compiled::Pinned(std::string_view name) const {
  for (const auto& [pinned_name, address] : pinned) {
    if (pinned_name == name) return &address;
  }
  return nullptr;
}

// A forbidden address is reachable only where the profile names it: as the address a pinned
// name stands for, in an allow rule's address pattern (the rule matching the action), or in an
// allow entry's address.
std::optional<Decision> Engine::Compiled::BuiltinForbidden(
    const Action& action, const detail::MatchSubject& subject) const {
  if (!HasDestination(action.kind) || !subject.address) return std::nullopt;
  const detail::IpAddress& address = *subject.address;
  const auto forbidden = ForbiddenAddress(address);
  if (!forbidden) return std::nullopt;
  if (!subject.name.empty()) {
    if (const detail::IpAddress* pinned_address = Pinned(subject.name);
        pinned_address && *pinned_address == address) {
      return std::nullopt;
    }
  }
  for (const detail::CompiledRule& rule : others) {
    bool doubted = false;
    if (rule.Decision() == RuleDecision::kAllow && rule.NamesAddress(address) &&
        rule.Matches(action, subject, doubted)) {
      return std::nullopt;
    }
  }
  for (const detail::AllowEntry& entry : network_allow) {
    if (entry.host.Names(address) && EntryPortMatches(entry, action.port)) return std::nullopt;
  }
  return Decision{Verdict::kDeny, true, forbidden->rule,
                  fmt::format("{} is {}; a rule or pinned host must name it",
                              detail::FormatAddress(address), forbidden->reason)};
}

Decision Engine::Compiled::DecideUnixSocket(const Action& action,
                                            const detail::MatchSubject& subject) const {
  if (auto decided = DecideByRules(action, subject)) return *decided;
  if (action.path.empty()) {
    // An abstract socket lives in a network namespace: the sandbox's own, unless it shares
    // the host's.
    if (network_mode != NetworkMode::kHost) {
      return Decision{Verdict::kAllow, false, "network.unix-socket",
                      "an abstract unix socket of the sandbox's own network namespace"};
    }
    return Decision{Verdict::kDeny, false, "network.unix-socket",
                    "an abstract unix socket of the host (D-Bus, X11) needs a rule allowing it"};
  }
  // The socket is the agent's own when the view's innermost entry holding it is a write path
  // (as the view itself decides: hide over readonly over write over read for the same path).
  // A host socket bound read-only into a write path, or under a read path nested in one, is not.
  const std::string path(subject.path);
  size_t innermost = 0;
  bool writable = false;
  for (const auto& [dirs, grants_write] :
       {std::pair{&read_paths, false}, std::pair{&write_paths, true},
        std::pair{&readonly_paths, false}, std::pair{&hidden_paths, false}}) {
    for (const std::string& dir : *dirs) {
      if (PathIsWithin(path, dir) && dir.size() + 1 >= innermost) {
        innermost = dir.size() + 1;
        writable = grants_write;
      }
    }
  }
  if (writable) {
    return Decision{Verdict::kAllow, false, "network.unix-socket",
                    "a socket inside the paths the sandbox may write"};
  }
  return Decision{Verdict::kDeny, false, "network.unix-socket",
                  "a host service's socket (docker.sock, D-Bus, ssh-agent, X11) needs a rule "
                  "allowing its path"};
}

Decision Engine::Compiled::DecideNetwork(const Action& action,
                                         const detail::MatchSubject& subject) const {
  if (auto forbidden = BuiltinForbidden(action, subject)) return *forbidden;
  if (auto decided = DecideByRules(action, subject)) return *decided;
  if (HasDestination(action.kind)) {
    for (const detail::AllowEntry& entry : network_allow) {
      if (EntryMatches(entry, action, subject)) {
        return Decision{Verdict::kAllow, false, "network.allow", entry.text};
      }
    }
  }
  return Decision{network_default, false, "network.default",
                  "no rule or [network] allow entry matches"};
}

Decision Engine::Decide(const Action& action) const {
  std::string path_storage;
  std::string to_storage;
  detail::MatchSubject subject;
  subject.path = Normalized(action.path, path_storage);
  subject.to = Normalized(action.to, to_storage);
  std::optional<std::string> name;
  const bool network = IsNetworkAction(action.kind);
  if (network) {
    name = detail::NormalizeHostName(action.host);
    if (name) subject.name = *name;
    subject.address = detail::ParseAddress(action.address);
    // A bare address given as the host is the address, not a name.
    if (!subject.address && action.address.empty()) {
      subject.address = detail::ParseAddress(action.host);
    }
  }
  const bool unix_socket = network && action.protocol == "unix";
  // The sandbox has no network to reach: no rule can give it one.
  if (network && !unix_socket && compiled_->network_mode == NetworkMode::kNone) {
    return Decision{Verdict::kDeny, true, "network.mode", "network mode none"};
  }
  for (const detail::CompiledRule& rule : compiled_->forbid) {
    bool doubted = false;
    if (rule.Matches(action, subject, doubted)) {
      return Decision{Verdict::kDeny, true, rule.Id(), ReasonFor(rule, doubted)};
    }
  }
  if (unix_socket) return compiled_->DecideUnixSocket(action, subject);
  if (network) return compiled_->DecideNetwork(action, subject);
  if (auto decided = compiled_->DecideByRules(action, subject)) return *decided;
  return Decision{compiled_->default_verdict, false, "", "session default"};
}

std::optional<std::string> Engine::PinnedAddress(std::string_view name) const {
  const auto normalized = detail::NormalizeHostName(name);
  if (!normalized) return std::nullopt;
  const detail::IpAddress* address = compiled_->Pinned(*normalized);
  if (!address) return std::nullopt;
  return detail::FormatAddress(*address);
}

bool Engine::CouldConnectTo(std::string_view name) const {
  const Compiled& c = *compiled_;
  if (c.network_mode == NetworkMode::kNone) return false;
  const auto normalized = detail::NormalizeHostName(name);
  if (!normalized) return false;
  for (const detail::CompiledRule& rule : c.forbid) {
    if (rule.MatchesName(*normalized) == detail::NameMatch::kAlways) return false;
  }
  // The first rule that could match decides for the name if it matches every connection to it.
  for (const detail::CompiledRule& rule : c.others) {
    const detail::NameMatch match = rule.MatchesName(*normalized);
    if (match == detail::NameMatch::kNever) continue;
    if (rule.Decision() == RuleDecision::kAllow) return true;
    if (match == detail::NameMatch::kAlways) return false;
  }
  for (const detail::AllowEntry& entry : c.network_allow) {
    if (!entry.host.IsAddress() && entry.host.MatchesName(*normalized)) return true;
  }
  return c.Pinned(*normalized) != nullptr || c.network_default == Verdict::kAllow;
}

}  // namespace aarm::policy
