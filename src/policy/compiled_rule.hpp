// A [[rule]] compiled for matching: its patterns parsed and its variables expanded once. The
// loader compiles every pattern too, with placeholder variables, so that a bad glob or regex is
// reported at load with its place in the file.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "aarm/base/error.hpp"
#include "aarm/policy/action.hpp"
#include "aarm/policy/profile.hpp"
#include "glob.hpp"
#include "network_patterns.hpp"

namespace aarm::policy::detail {

// An argv element written "re:REGEX" is a regular expression (ECMAScript, searched for anywhere
// in the element: anchor it with ^ and $).
inline constexpr std::string_view kRegexPrefix = "re:";

// std::regex backtracks recursively, one stack frame or more per character: a long enough
// argument would exhaust the stack of the thread deciding. Longer arguments are not given to a
// regex; a rule that would need the answer is taken to match if it denies and not to match if
// it allows.
inline constexpr size_t kMaxRegexInput = 1024;
// Compiling recurses over the expression too; no argument pattern needs to be longer.
inline constexpr size_t kMaxRegexLength = 1024;

// The keys of `match`, and which action kinds each applies to.
inline constexpr std::array<std::string_view, 7> kMatchKeys = {"path", "from", "to",  "argv",
                                                               "flags", "host", "port"};
bool MatchKeyApplies(std::string_view key, ActionKind kind);

// One entry of match.path, match.from or match.to: a glob, negated by a leading '!'.
class PathPattern {
 public:
  // `text` as written, with its '!' and variables; errors begin with `subject`.
  static Result<PathPattern> Compile(std::string_view text, const PathVariables& vars,
                                     std::string_view subject);
  bool Matches(std::string_view path) const { return glob_.Matches(path) != negated_; }

 private:
  bool negated_ = false;
  PathGlob glob_;
};

// One entry of match.argv.
class ArgvElement {
 public:
  static Result<ArgvElement> Compile(std::string_view text, std::string_view subject);

  // `**`: any number of elements.
  bool AnyElements() const { return kind_ == Kind::kAnyElements; }

  // Whether the element matches `text`; nullopt when `text` is too long for the regex.
  std::optional<bool> Matches(std::string_view text) const;

 private:
  enum class Kind { kAnyElements, kGlob, kRegex };
  Kind kind_ = Kind::kAnyElements;
  TextGlob glob_;
  std::regex regex_;
};

// match.flags: an access mode (O_RDONLY, O_WRONLY, O_RDWR) and flags that must all be present.
struct OpenFlagsCondition {
  std::optional<uint32_t> access_mode;
  uint32_t required = 0;
  bool Matches(uint32_t flags) const;
};

// Names to a condition; errors ("unknown open flag 'O_CRAET'; did you mean 'O_CREAT'?") are
// about entry `index` of the list.
struct FlagsProblem {
  size_t index;
  std::string what;
};
tl::expected<OpenFlagsCondition, FlagsProblem> CompileOpenFlags(
    const std::vector<std::string>& names);

// An action as rules see it, prepared once per decision.
struct MatchSubject {
  std::string_view path;  // normalised
  std::string_view to;    // normalised
  // net.*: the host name (NormalizeHostName), empty when none is known; the address, when known.
  std::string_view name;
  std::optional<IpAddress> address;
};

// Whether a rule on net.connect could match a connection to a name, before its address is known.
enum class NameMatch {
  kNever,
  kSometimes,  // on some ports only
  kAlways,     // on every port, whatever the address
};

class CompiledRule {
 public:
  static Result<CompiledRule> Compile(const RuleSpec& spec, const PathVariables& vars);

  // `doubted` is set when the rule matched only because a regex could not examine an argument.
  bool Matches(const Action& action, const MatchSubject& subject, bool& doubted) const;

  // How the rule stands to a net.connect to `name` (normalised) by TCP or UDP. Address patterns
  // are not taken to match a name: whatever it resolves to, the name alone is no reason.
  NameMatch MatchesName(std::string_view name) const;

  // An address pattern of match.host, not negated, holds `address`: the rule names it.
  bool NamesAddress(const IpAddress& address) const;

  const std::string& Id() const { return id_; }
  const std::string& Reason() const { return reason_; }
  RuleDecision Decision() const { return decision_; }

 private:
  bool ArgvMatches(const Action& action, bool& doubted) const;
  bool HostMatches(const MatchSubject& subject) const;
  std::optional<bool> ProgramMatches(const ArgvElement& element, const Action& action) const;

  std::string id_;
  std::string reason_;
  RuleDecision decision_ = RuleDecision::kDeny;
  uint32_t kinds_ = 0;  // bit per ActionKind
  std::vector<PathPattern> path_;
  std::vector<PathPattern> from_;
  std::vector<PathPattern> to_;
  std::vector<ArgvElement> argv_;
  std::optional<OpenFlagsCondition> flags_;
  std::vector<HostPattern> host_;
  std::vector<PortRange> port_;
};

}  // namespace aarm::policy::detail
