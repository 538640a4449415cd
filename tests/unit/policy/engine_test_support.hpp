// Engines built from rules written in the test, and actions to decide with them.
#pragma once

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "aarm/policy/engine.hpp"
#include "aarm/policy/profile.hpp"

namespace aarm::policy::testing {

inline const PathVariables kTestVariables{"/work/project", "/home/user", "/work/project/src",
                                          "/tmp"};

inline std::vector<RulePattern> Patterns(std::initializer_list<std::string> texts) {
  std::vector<RulePattern> patterns;
  for (const std::string& text : texts) patterns.push_back({text, {"/test.toml", 1, 1}});
  return patterns;
}

inline RuleSpec MakeRule(std::string id, std::vector<ActionKind> on, RuleMatch match,
                         RuleDecision decision, std::string reason = "") {
  RuleSpec rule;
  rule.id = std::move(id);
  rule.on = std::move(on);
  rule.match = std::move(match);
  rule.decision = decision;
  rule.reason = std::move(reason);
  rule.where = {"/test.toml", 1, 1};
  return rule;
}

inline Engine MustCompile(const Profile& profile, const PathVariables& vars = kTestVariables) {
  auto engine = Engine::Compile(profile, vars);
  if (!engine) FAIL(engine.error().message);
  return std::move(*engine);
}

inline Engine EngineWith(std::vector<RuleSpec> rules,
                         DefaultDecision default_decision = DefaultDecision::kDeny,
                         const PathVariables& vars = kTestVariables) {
  Profile profile;
  profile.session.default_decision = default_decision;
  profile.rules = std::move(rules);
  return MustCompile(profile, vars);
}

inline Action FileAction(ActionKind kind, std::string path, uint32_t flags = 0) {
  Action action;
  action.kind = kind;
  action.path = std::move(path);
  action.open_flags = flags;
  return action;
}

inline Action TwoSided(ActionKind kind, std::string path, std::string to) {
  Action action = FileAction(kind, std::move(path));
  action.to = std::move(to);
  return action;
}

inline Action Exec(std::string path, std::vector<std::string> argv) {
  Action action;
  action.kind = ActionKind::kProcessExec;
  action.path = std::move(path);
  action.argv = std::move(argv);
  action.cwd = "/work/project";
  return action;
}

}  // namespace aarm::policy::testing
