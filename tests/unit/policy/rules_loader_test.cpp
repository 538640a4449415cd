// [[rule]]s as loaded: their order across extends, what is kept of each, and the round trip
// through the effective profile.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "aarm/policy/engine.hpp"
#include "aarm/policy/profile.hpp"
#include "unit/policy/engine_test_support.hpp"
#include "unit/policy/policy_test_support.hpp"

using aarm::policy::ActionKind;
using aarm::policy::LoadProfile;
using aarm::policy::Profile;
using aarm::policy::RuleDecision;
using aarm::policy::RuleSpec;
using aarm::policy::Verdict;
using namespace aarm::policy::testing;
using Strings = std::vector<std::string>;

namespace {

Strings Ids(const Profile& profile) {
  Strings ids;
  for (const RuleSpec& rule : profile.rules) ids.push_back(rule.id);
  return ids;
}

Strings Texts(const std::vector<aarm::policy::RulePattern>& patterns) {
  Strings texts;
  for (const auto& pattern : patterns) texts.push_back(pattern.text);
  return texts;
}

}  // namespace

TEST_CASE("A profile's own rules come before those it extends", "[policy][rules]") {
  const Profile child = MustLoad(RulesFixture("child.toml"));
  CHECK(Ids(child) == Strings{"child-deny-env", "child-recursive-rm", "base-allow-project",
                              "base-no-hooks"});
  const RuleSpec& env = child.rules[0];
  CHECK(env.where.file == RulesFixture("child.toml"));
  CHECK(env.where.line == 5);
  CHECK(env.where.column == 1);
  CHECK(env.on == std::vector<ActionKind>{ActionKind::kFileRead});
  CHECK(Texts(env.match.path) == Strings{"**/.env"});
  CHECK(env.match.path[0].where.line == 8);
  CHECK(env.match.path[0].where.column == 18);
  CHECK(env.decision == RuleDecision::kDeny);
  CHECK(env.reason == "environment files hold secrets");

  const RuleSpec& hooks = child.rules[3];
  CHECK(hooks.where.file == RulesFixture("base.toml"));
  CHECK(hooks.where.line == 14);
  CHECK(hooks.decision == RuleDecision::kForbid);
}

TEST_CASE("on = \"file.*\" is every file kind", "[policy][rules]") {
  const Profile base = MustLoad(RulesFixture("base.toml"));
  CHECK(base.rules[0].on ==
        std::vector<ActionKind>{ActionKind::kFileRead, ActionKind::kFileWrite,
                                ActionKind::kFileCreate, ActionKind::kFileDelete,
                                ActionKind::kFileRename, ActionKind::kFileLink,
                                ActionKind::kFileChmod});
  TempDir dir;
  const Profile mixed = MustLoad(dir.Write(
      "p.toml", "version = 1\n[[rule]]\nid = \"m\"\non = [\"file.read\", \"process.exec\", "
                "\"file.*\", \"file.read\"]\ndecision = \"deny\"\n"));
  CHECK(mixed.rules[0].on.size() == 8);
  CHECK(mixed.rules[0].on[0] == ActionKind::kFileRead);
  CHECK(mixed.rules[0].on[1] == ActionKind::kProcessExec);
}

TEST_CASE("Every key of a rule is kept", "[policy][rules]") {
  const Profile profile = MustLoad(RulesFixture("all_keys.toml"));
  REQUIRE(profile.rules.size() == 4);
  const RuleSpec& rename = profile.rules[1];
  CHECK(Texts(rename.match.path) == Strings{"{project}/**", "{tmp}/**"});
  CHECK(Texts(rename.match.from) == Strings{"{project}/**"});
  CHECK(Texts(rename.match.to) == Strings{"!{project}/**"});
  const RuleSpec& push = profile.rules[2];
  CHECK(Texts(push.match.argv) == Strings{"git", "push", "**", "--force", "**"});
  const RuleSpec& logs = profile.rules[3];
  CHECK(logs.match.flags == Strings{"O_WRONLY", "O_TRUNC"});
  CHECK(logs.reason == "caf\xc3\xa9 logs \"rotate\"");
  CHECK(logs.decision == RuleDecision::kAllow);
}

TEST_CASE("Rules round-trip through the effective profile", "[policy][rules]") {
  TempDir dir;
  for (const std::string& source :
       {RulesFixture("child.toml"), RulesFixture("all_keys.toml")}) {
    INFO(source);
    const Profile original = MustLoad(source);
    const Profile reloaded = MustLoad(dir.Write("effective.toml", original.effective_toml));
    CHECK(reloaded.effective_toml == original.effective_toml);
    REQUIRE(reloaded.rules.size() == original.rules.size());
    for (size_t i = 0; i < original.rules.size(); ++i) {
      const RuleSpec& a = original.rules[i];
      const RuleSpec& b = reloaded.rules[i];
      CHECK(a.id == b.id);
      CHECK(a.on == b.on);
      CHECK(Texts(a.match.path) == Texts(b.match.path));
      CHECK(Texts(a.match.from) == Texts(b.match.from));
      CHECK(Texts(a.match.to) == Texts(b.match.to));
      CHECK(Texts(a.match.argv) == Texts(b.match.argv));
      CHECK(a.match.flags == b.match.flags);
      CHECK(a.decision == b.decision);
      CHECK(a.reason == b.reason);
      CHECK(b.where.file == dir.Path() + "/effective.toml");
    }
  }
}

TEST_CASE("A loaded profile decides as its rules say", "[policy][rules]") {
  const Profile child = MustLoad(RulesFixture("child.toml"));
  const auto engine = MustCompile(child);
  auto decide = [&](const aarm::policy::Action& action) { return engine.Decide(action); };

  const auto env = decide(FileAction(ActionKind::kFileRead, "/work/project/.env"));
  CHECK(env.verdict == Verdict::kDeny);
  CHECK(env.rule == "child-deny-env");

  const auto source = decide(FileAction(ActionKind::kFileRead, "/work/project/src/main.c"));
  CHECK(source.verdict == Verdict::kAllow);
  CHECK(source.rule == "base-allow-project");

  // The base's forbid beats the base's earlier allow.
  const auto hook = decide(FileAction(ActionKind::kFileWrite, "/work/project/.git/hooks/x"));
  CHECK(hook.verdict == Verdict::kDeny);
  CHECK(hook.forbidden);
  CHECK(hook.rule == "base-no-hooks");

  const auto rm = decide(Exec("/usr/bin/rm", {"rm", "-rf", "/work/project"}));
  CHECK(rm.verdict == Verdict::kDeny);
  CHECK(rm.rule == "child-recursive-rm");

  const auto other = decide(FileAction(ActionKind::kFileRead, "/etc/hostname"));
  CHECK(other.verdict == Verdict::kDeny);
  CHECK(other.rule.empty());
  CHECK(other.reason == "session default");
}
