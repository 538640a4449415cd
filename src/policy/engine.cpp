#include "aarm/policy/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "aarm/base/paths.hpp"
#include "compiled_rule.hpp"

namespace aarm::policy {

struct Engine::Compiled {
  std::vector<detail::CompiledRule> forbid;  // checked first, in order
  std::vector<detail::CompiledRule> others;  // then these, in order
  Verdict default_verdict = Verdict::kDeny;
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
std::string_view Normalized(const std::string& path, std::string& storage) {
  if (path.empty() || path.front() != '/' || !NeedsNormalizing(path)) return path;
  storage = NormalizePath(path);
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
  return Engine(std::move(compiled));
}

Decision Engine::Decide(const Action& action) const {
  std::string path_storage;
  std::string to_storage;
  const std::string_view path = Normalized(action.path, path_storage);
  const std::string_view to = Normalized(action.to, to_storage);
  for (const detail::CompiledRule& rule : compiled_->forbid) {
    bool doubted = false;
    if (rule.Matches(action, path, to, doubted)) {
      return Decision{Verdict::kDeny, true, rule.Id(), ReasonFor(rule, doubted)};
    }
  }
  for (const detail::CompiledRule& rule : compiled_->others) {
    bool doubted = false;
    if (rule.Matches(action, path, to, doubted)) {
      const Verdict verdict =
          rule.Decision() == RuleDecision::kAllow ? Verdict::kAllow : Verdict::kDeny;
      return Decision{verdict, false, rule.Id(), ReasonFor(rule, doubted)};
    }
  }
  return Decision{compiled_->default_verdict, false, "", "session default"};
}

}  // namespace aarm::policy
