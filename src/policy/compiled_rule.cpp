#include "compiled_rule.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "aarm/policy/display_text.hpp"
#include "key_suggestions.hpp"
#include "path_variables.hpp"
#include "profile_source.hpp"

namespace aarm::policy::detail {
namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();

uint32_t KindBit(ActionKind kind) { return 1u << static_cast<unsigned>(kind); }

std::string_view Basename(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// libstdc++ reports a repetition of nothing ("*a") as unbalanced parentheses, and an unknown
// "[[:name:]]" as a collating error: the wording covers what the codes are used for.
std::string_view RegexProblem(std::regex_constants::error_type code) {
  namespace rc = std::regex_constants;
  switch (code) {
    case rc::error_collate:
    case rc::error_ctype: return "an unknown character class or collating element";
    case rc::error_escape: return "an invalid escape or a trailing backslash";
    case rc::error_backref: return "a back reference to a group that does not exist";
    case rc::error_brack: return "a '[' that is never closed";
    case rc::error_paren:
      return "unbalanced parentheses, or a repetition ('*', '+', '?') with nothing to repeat";
    case rc::error_brace: return "a '{' that is never closed";
    case rc::error_badbrace: return "an invalid count between '{' and '}'";
    case rc::error_range: return "an invalid character range";
    case rc::error_badrepeat: return "a repetition ('*', '+', '?', '{') with nothing to repeat";
    default: return "too complex";
  }
}

// Either of two answers, where "cannot tell" (nullopt) is a third answer.
std::optional<bool> AnyOf(std::optional<bool> a, std::optional<bool> b) {
  if (a == true || b == true) return true;
  if (!a || !b) return std::nullopt;
  return false;
}

}  // namespace

bool MatchKeyApplies(std::string_view key, ActionKind kind) {
  if (key == "path") return true;
  if (key == "from" || key == "to") {
    return kind == ActionKind::kFileRename || kind == ActionKind::kFileLink;
  }
  if (key == "argv") return kind == ActionKind::kProcessExec;
  if (key == "flags") {
    return kind == ActionKind::kFileRead || kind == ActionKind::kFileWrite ||
           kind == ActionKind::kFileCreate;
  }
  if (key == "host" || key == "port") return IsNetworkAction(kind);
  return false;
}

Result<PathPattern> PathPattern::Compile(std::string_view text, const PathVariables& vars,
                                         std::string_view subject) {
  PathPattern pattern;
  std::string_view glob = text;
  if (glob.starts_with('!')) {
    pattern.negated_ = true;
    glob.remove_prefix(1);
    if (glob.empty()) return Fail(fmt::format("{} has nothing after its '!'", subject));
  }
  auto expanded = ExpandPattern(glob, vars, subject);
  if (!expanded) return tl::unexpected(expanded.error());
  auto compiled = PathGlob::Compile(*expanded);
  if (!compiled) return Fail(fmt::format("{} {}", subject, compiled.error().message));
  pattern.glob_ = std::move(*compiled);
  return pattern;
}

Result<ArgvElement> ArgvElement::Compile(std::string_view text, std::string_view subject) {
  ArgvElement element;
  if (text == "**") return element;
  if (!text.starts_with(kRegexPrefix)) {
    auto glob = TextGlob::Compile(text);
    if (!glob) return Fail(fmt::format("{} {}", subject, glob.error().message));
    element.kind_ = Kind::kGlob;
    element.glob_ = std::move(*glob);
    return element;
  }
  const std::string_view source = text.substr(kRegexPrefix.size());
  if (source.empty()) return Fail(fmt::format("{} has an empty regular expression", subject));
  if (source.size() > kMaxRegexLength) {
    return Fail(fmt::format("{} is a regular expression of {} bytes; the limit is {}", subject,
                            source.size(), kMaxRegexLength));
  }
  try {
    element.regex_ = std::regex(source.begin(), source.end(),
                                std::regex::ECMAScript | std::regex::nosubs);
  } catch (const std::regex_error& e) {
    return Fail(fmt::format("{} is not a valid regular expression: {}", subject,
                            RegexProblem(e.code())));
  }
  element.kind_ = Kind::kRegex;
  return element;
}

std::optional<bool> ArgvElement::Matches(std::string_view text) const {
  switch (kind_) {
    case Kind::kAnyElements: return true;
    case Kind::kGlob: return glob_.Matches(text);
    case Kind::kRegex: break;
  }
  if (text.size() > kMaxRegexInput) return std::nullopt;
  try {
    return std::regex_search(text.begin(), text.end(), regex_);
  } catch (const std::regex_error&) {
    return std::nullopt;  // the library's own complexity or stack limit
  }
}

bool OpenFlagsCondition::Matches(uint32_t flags) const {
  if (access_mode && (flags & O_ACCMODE) != *access_mode) return false;
  return (flags & required) == required;
}

tl::expected<OpenFlagsCondition, FlagsProblem> CompileOpenFlags(
    const std::vector<std::string>& names) {
  OpenFlagsCondition condition;
  std::optional<size_t> access_entry;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    const auto value = OpenFlagValue(name);
    if (!value) {
      std::string what = "unknown open flag " + QuoteForDisplay(name);
      if (auto near = NearestKey(name, OpenFlagNames())) {
        what += fmt::format("; did you mean '{}'?", *near);
      }
      return tl::unexpected(FlagsProblem{i, what});
    }
    if (name == "O_RDONLY" || name == "O_WRONLY" || name == "O_RDWR") {
      if (access_entry && names[*access_entry] != name) {
        return tl::unexpected(FlagsProblem{
            i, fmt::format("'{}' and '{}' cannot both be the access mode", names[*access_entry],
                           name)});
      }
      access_entry = i;
      condition.access_mode = *value;
    } else {
      condition.required |= *value;
    }
  }
  return condition;
}

Result<CompiledRule> CompiledRule::Compile(const RuleSpec& spec, const PathVariables& vars) {
  CompiledRule rule;
  rule.id_ = spec.id;
  rule.reason_ = spec.reason;
  rule.decision_ = spec.decision;
  for (ActionKind kind : spec.on) rule.kinds_ |= KindBit(kind);

  const auto located = [](const RulePattern& pattern, const Error& error) {
    return ErrorAt(pattern.where, error.message);
  };
  for (const auto& [key, patterns, compiled] :
       {std::tuple{"path", &spec.match.path, &rule.path_},
        std::tuple{"from", &spec.match.from, &rule.from_},
        std::tuple{"to", &spec.match.to, &rule.to_}}) {
    for (const RulePattern& pattern : *patterns) {
      auto path = PathPattern::Compile(
          pattern.text, vars,
          fmt::format("rule.match.{} entry {}", key, QuoteForDisplay(pattern.text)));
      if (!path) return tl::unexpected(located(pattern, path.error()));
      compiled->push_back(std::move(*path));
    }
  }
  for (const RulePattern& pattern : spec.match.argv) {
    auto element = ArgvElement::Compile(
        pattern.text, "rule.match.argv entry " + QuoteForDisplay(pattern.text));
    if (!element) return tl::unexpected(located(pattern, element.error()));
    rule.argv_.push_back(std::move(*element));
  }
  if (!spec.match.flags.empty()) {
    auto flags = CompileOpenFlags(spec.match.flags);
    if (!flags) {
      return tl::unexpected(ErrorAt(spec.where, "rule.match.flags: " + flags.error().what));
    }
    rule.flags_ = *flags;
  }
  for (const RulePattern& pattern : spec.match.host) {
    auto host = HostPattern::Compile(pattern.text);
    if (!host) {
      return tl::unexpected(ErrorAt(
          pattern.where, fmt::format("rule.match.host entry {} {}", QuoteForDisplay(pattern.text),
                                     host.error().message)));
    }
    rule.host_.push_back(std::move(*host));
  }
  rule.port_ = spec.match.port;
  return rule;
}

bool CompiledRule::Matches(const Action& action, const MatchSubject& subject,
                           bool& doubted) const {
  if (!(kinds_ & KindBit(action.kind))) return false;
  if (IsNetworkAction(action.kind)) {
    // A unix socket has a path and no host or port; any other socket the reverse.
    const bool unix_socket = action.protocol == "unix";
    if (unix_socket ? !(host_.empty() && port_.empty()) : !path_.empty()) return false;
    if (!port_.empty() &&
        std::none_of(port_.begin(), port_.end(),
                     [&action](const PortRange& range) { return PortInRange(range, action.port); })) {
      return false;
    }
    if (!host_.empty() && !HostMatches(subject)) return false;
  }
  const std::string_view path = subject.path;
  const std::string_view to = subject.to;
  const bool two_sided =
      action.kind == ActionKind::kFileRename || action.kind == ActionKind::kFileLink;
  auto any = [](const std::vector<PathPattern>& patterns, std::string_view text) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [text](const PathPattern& pattern) { return pattern.Matches(text); });
  };
  if (!path_.empty() && !any(path_, path) && !(two_sided && any(path_, to))) return false;
  if (!from_.empty() && !any(from_, path)) return false;
  if (!to_.empty() && !any(to_, to)) return false;
  if (flags_ && !flags_->Matches(action.open_flags)) return false;
  if (!argv_.empty() && !ArgvMatches(action, doubted)) return false;
  return true;
}

// A name pattern is no match for an action whose name is unknown (a connection to a bare
// address), but in a rule that denies a negated one is: "not github.com" holds for a name
// nobody knows, and an agent must not escape the rule by connecting without a name. An address
// pattern cannot be decided before the name is resolved, and does not match then: the caller
// decides again with the address.
bool CompiledRule::HostMatches(const MatchSubject& subject) const {
  const bool denies = decision_ != RuleDecision::kAllow;
  return std::any_of(host_.begin(), host_.end(), [&](const HostPattern& pattern) {
    if (pattern.IsAddress()) return subject.address && pattern.MatchesAddress(*subject.address);
    if (subject.name.empty()) return pattern.Negated() && denies;
    return pattern.MatchesName(subject.name);
  });
}

NameMatch CompiledRule::MatchesName(std::string_view name) const {
  if (!(kinds_ & KindBit(ActionKind::kNetConnect)) || !path_.empty()) return NameMatch::kNever;
  if (!host_.empty() &&
      std::none_of(host_.begin(), host_.end(),
                   [name](const HostPattern& pattern) { return pattern.MatchesName(name); })) {
    return NameMatch::kNever;
  }
  return port_.empty() ? NameMatch::kAlways : NameMatch::kSometimes;
}

bool CompiledRule::NamesAddress(const IpAddress& address) const {
  return std::any_of(host_.begin(), host_.end(),
                     [&address](const HostPattern& pattern) { return pattern.Names(address); });
}

// argv[0] names the program, but the agent chooses it freely: execve("/usr/bin/rm", ["ls"]) runs
// rm. A rule that denies matches when the pattern names either argv[0] or the program executed,
// so renaming argv[0] does not escape it. A rule that allows looks only at the program executed
// (argv[0] when that is unknown), so naming argv[0] after an allowed program earns nothing. Each
// is compared by basename and by full path.
std::optional<bool> CompiledRule::ProgramMatches(const ArgvElement& element,
                                                 const Action& action) const {
  auto by_name = [&element](std::string_view name) {
    return AnyOf(element.Matches(name), element.Matches(Basename(name)));
  };
  const std::string_view argv0 = action.argv.empty() ? std::string_view() : action.argv[0];
  if (decision_ == RuleDecision::kAllow) {
    return by_name(action.path.empty() ? argv0 : std::string_view(action.path));
  }
  const std::optional<bool> named = by_name(argv0);
  return action.path.empty() ? named : AnyOf(named, by_name(action.path));
}

bool CompiledRule::ArgvMatches(const Action& action, bool& doubted) const {
  // The kernel runs a program given an empty argv with argv = [""].
  const size_t count = std::max<size_t>(action.argv.size(), 1);
  const bool denies = decision_ != RuleDecision::kAllow;
  bool doubt_seen = false;
  auto element_matches = [&](size_t p, size_t t) {
    std::optional<bool> result = t == 0 ? ProgramMatches(argv_[p], action)
                                        : argv_[p].Matches(action.argv[t]);
    if (result) return *result;
    doubt_seen = true;
    return denies;
  };
  // Greedy, like the globs: `**` is the star, each other element matches exactly one argument.
  const size_t n = argv_.size();
  size_t p = 0;
  size_t t = 0;
  size_t star_p = kNone;
  size_t star_t = 0;
  while (t < count) {
    if (p < n && argv_[p].AnyElements()) {
      star_p = p++;
      star_t = t;
      continue;
    }
    if (p < n && element_matches(p, t)) {
      ++p;
      ++t;
      continue;
    }
    if (star_p == kNone) return false;
    p = star_p + 1;
    t = ++star_t;
  }
  while (p < n && argv_[p].AnyElements()) ++p;
  if (p != n) return false;
  if (doubt_seen && denies) doubted = true;
  return true;
}

}  // namespace aarm::policy::detail
