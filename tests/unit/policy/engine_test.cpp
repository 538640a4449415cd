// Engine::Decide: argv and flags matching, rename and link, and the order rules are taken in.
#include <fcntl.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "aarm/policy/engine.hpp"
#include "unit/policy/engine_test_support.hpp"

using aarm::policy::Action;
using aarm::policy::ActionKind;
using aarm::policy::Decision;
using aarm::policy::DefaultDecision;
using aarm::policy::Engine;
using aarm::policy::RuleDecision;
using aarm::policy::RuleMatch;
using aarm::policy::Verdict;
using namespace aarm::policy::testing;
using Argv = std::vector<std::string>;

namespace {

RuleMatch ArgvMatch(std::initializer_list<std::string> argv) {
  RuleMatch match;
  match.argv = Patterns(argv);
  return match;
}

RuleMatch PathMatch(std::initializer_list<std::string> path) {
  RuleMatch match;
  match.path = Patterns(path);
  return match;
}

// A deny rule on process.exec with `pattern`, under a default that allows.
Engine DenyExec(std::initializer_list<std::string> pattern) {
  return EngineWith(
      {MakeRule("r", {ActionKind::kProcessExec}, ArgvMatch(pattern), RuleDecision::kDeny)},
      DefaultDecision::kAllow);
}

bool Denied(const Engine& engine, const Action& action) {
  return engine.Decide(action).verdict == Verdict::kDeny;
}

}  // namespace

TEST_CASE("argv: recursive rm, as in PROFILE.md", "[policy][engine]") {
  const Engine engine = DenyExec({"rm", "re:^-[a-zA-Z]*r", "**"});
  CHECK(Denied(engine, Exec("/usr/bin/rm", {"rm", "-rf", "/"})));
  CHECK(Denied(engine, Exec("/usr/bin/rm", {"rm", "-r", "dir"})));
  CHECK(Denied(engine, Exec("/usr/bin/rm", {"rm", "-fr"})));
  CHECK(Denied(engine, Exec("/usr/bin/rm", {"/usr/bin/rm", "-Rfr", "a", "b"})));
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/rm", {"rm", "-f", "x"})));
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/rm", {"rm"})));
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/rm", {"rm", "x", "-r"})));  // second element only
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/rmdir", {"rmdir", "-r"})));
}

TEST_CASE("argv: ** anywhere, as in a force push", "[policy][engine]") {
  const Engine engine = DenyExec({"git", "push", "**", "--force", "**"});
  CHECK(Denied(engine, Exec("/usr/bin/git", {"git", "push", "--force"})));
  CHECK(Denied(engine, Exec("/usr/bin/git", {"git", "push", "origin", "main", "--force"})));
  CHECK(Denied(engine, Exec("/usr/bin/git", {"git", "push", "--force", "origin", "main"})));
  CHECK(Denied(engine, Exec("/usr/bin/git", {"git", "push", "-v", "--force", "-q", "x"})));
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/git", {"git", "push", "origin"})));
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/git", {"git", "pull", "--force"})));
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/git", {"git", "push", "--force-with-lease"})));
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/git", {"git", "-C", "x", "push", "--force"})));
}

TEST_CASE("argv: elements are globs in which '/' is an ordinary character", "[policy][engine]") {
  const Engine engine = DenyExec({"curl", "https://*.example.com/*"});
  CHECK(Denied(engine, Exec("/usr/bin/curl", {"curl", "https://api.example.com/v1/x"})));
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/curl", {"curl", "https://example.org/"})));
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/curl", {"curl", "-v", "https://a.example.com/"})));

  const Engine literal = DenyExec({"find", "**", "[*][*]"});
  CHECK(Denied(literal, Exec("/usr/bin/find", {"find", ".", "**"})));
  CHECK_FALSE(Denied(literal, Exec("/usr/bin/find", {"find", ".", "x"})));

  const Engine empty = DenyExec({"ssh", ""});
  CHECK(Denied(empty, Exec("/usr/bin/ssh", {"ssh", ""})));
  CHECK_FALSE(Denied(empty, Exec("/usr/bin/ssh", {"ssh", "host"})));
}

TEST_CASE("argv: a regex is searched for, anchored only where it says", "[policy][engine]") {
  const Engine engine = DenyExec({"**", "re:token=[0-9a-f]{8}"});
  CHECK(Denied(engine, Exec("/usr/bin/env", {"env", "x", "--token=deadbeef"})));
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/env", {"env", "--token=deadbee"})));
  const Engine anchored = DenyExec({"**", "re:^--token$"});
  CHECK(Denied(anchored, Exec("/usr/bin/env", {"env", "--token"})));
  CHECK_FALSE(Denied(anchored, Exec("/usr/bin/env", {"env", "--token=x"})));
}

TEST_CASE("argv[0]: by basename or full path, of argv[0] or of the program", "[policy][engine]") {
  const Engine by_name = DenyExec({"rm", "**"});
  CHECK(Denied(by_name, Exec("/usr/bin/rm", {"rm"})));
  CHECK(Denied(by_name, Exec("/usr/bin/rm", {"/usr/bin/rm"})));
  CHECK(Denied(by_name, Exec("", {"./rm"})));
  // A deny rule is not escaped by renaming argv[0], nor by a multi-call binary.
  CHECK(Denied(by_name, Exec("/usr/bin/rm", {"ls"})));
  CHECK(Denied(by_name, Exec("/usr/bin/busybox", {"rm", "-rf", "/"})));
  CHECK_FALSE(Denied(by_name, Exec("/usr/bin/ls", {"ls"})));
  CHECK_FALSE(Denied(by_name, Exec("/usr/bin/xrm", {"xrm"})));

  const Engine by_path = DenyExec({"/usr/bin/rm", "**"});
  CHECK(Denied(by_path, Exec("/usr/bin/rm", {"rm"})));
  CHECK(Denied(by_path, Exec("", {"/usr/bin/rm"})));
  CHECK_FALSE(Denied(by_path, Exec("", {"rm"})));
  CHECK_FALSE(Denied(by_path, Exec("/opt/bin/rm", {"rm"})));

  const Engine by_regex = DenyExec({"re:^python[0-9.]*$", "**"});
  CHECK(Denied(by_regex, Exec("/usr/bin/python3.12", {"python3", "-c", "x"})));
  CHECK_FALSE(Denied(by_regex, Exec("/usr/bin/pythonista", {"pythonista"})));
}

TEST_CASE("argv[0]: an allow rule looks at the program that runs", "[policy][engine]") {
  const Engine engine = EngineWith(
      {MakeRule("ls", {ActionKind::kProcessExec}, ArgvMatch({"ls", "**"}), RuleDecision::kAllow)});
  CHECK(engine.Decide(Exec("/usr/bin/ls", {"ls", "-l"})).verdict == Verdict::kAllow);
  CHECK(engine.Decide(Exec("/usr/bin/ls", {"anything"})).verdict == Verdict::kAllow);
  CHECK(engine.Decide(Exec("/tmp/evil", {"ls"})).verdict == Verdict::kDeny);
  CHECK(engine.Decide(Exec("/usr/bin/busybox", {"ls"})).verdict == Verdict::kDeny);
  CHECK(engine.Decide(Exec("", {"ls"})).verdict == Verdict::kAllow);  // the program unknown
}

TEST_CASE("argv: an empty argv is the kernel's [\"\"]", "[policy][engine]") {
  const Engine engine = DenyExec({"rm", "**"});
  CHECK(Denied(engine, Exec("/usr/bin/rm", {})));
  CHECK_FALSE(Denied(engine, Exec("/usr/bin/ls", {})));
  CHECK(Denied(DenyExec({""}), Exec("", {})));
}

TEST_CASE("argv: a regex never sees an argument longer than 1024 bytes", "[policy][engine]") {
  // Long enough to exhaust a thread's stack in std::regex.
  const std::string huge(200000, 'a');
  const Engine deny = DenyExec({"**", "re:(a|b)*c"});
  const Decision denied = deny.Decide(Exec("/usr/bin/echo", {"echo", huge}));
  CHECK(denied.verdict == Verdict::kDeny);
  CHECK(denied.reason == "denied by rule 'r' (an argument longer than the 1024 bytes a regex "
                         "examines counts as matching)");
  CHECK_FALSE(Denied(deny, Exec("/usr/bin/echo", {"echo", std::string(1024, 'a')})));
  CHECK(Denied(deny, Exec("/usr/bin/echo", {"echo", std::string(1024, 'a') + "c"})));

  const Engine allow = EngineWith({MakeRule("a", {ActionKind::kProcessExec},
                                            ArgvMatch({"echo", "re:.*"}), RuleDecision::kAllow)});
  CHECK(allow.Decide(Exec("/usr/bin/echo", {"echo", huge})).verdict == Verdict::kDeny);
  CHECK(allow.Decide(Exec("/usr/bin/echo", {"echo", "short"})).verdict == Verdict::kAllow);
  // Globs have no such limit.
  const Engine glob = DenyExec({"echo", "*a"});
  CHECK(Denied(glob, Exec("/usr/bin/echo", {"echo", huge})));
}

TEST_CASE("argv: ** against many arguments stays fast", "[policy][engine]") {
  const Engine engine = DenyExec({"**", "x", "**", "x", "**", "x", "**", "y"});
  Argv argv(20000, "x");
  argv[0] = "prog";
  CHECK_FALSE(Denied(engine, Exec("/bin/prog", argv)));
  argv.back() = "y";
  CHECK(Denied(engine, Exec("/bin/prog", argv)));
}

TEST_CASE("flags: all listed must be present, O_RDONLY is the access mode", "[policy][engine]") {
  auto engine_for = [](std::initializer_list<std::string> flags) {
    RuleMatch match;
    match.flags = flags;
    return EngineWith({MakeRule("f", {ActionKind::kFileRead, ActionKind::kFileWrite,
                                      ActionKind::kFileCreate},
                                match, RuleDecision::kDeny)},
                      DefaultDecision::kAllow);
  };
  auto denied = [](const Engine& engine, ActionKind kind, uint32_t flags) {
    return engine.Decide(FileAction(kind, "/f", flags)).verdict == Verdict::kDeny;
  };
  const Engine read_only = engine_for({"O_RDONLY"});
  CHECK(denied(read_only, ActionKind::kFileRead, O_RDONLY));
  CHECK(denied(read_only, ActionKind::kFileRead, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  CHECK_FALSE(denied(read_only, ActionKind::kFileWrite, O_WRONLY));
  CHECK_FALSE(denied(read_only, ActionKind::kFileWrite, O_RDWR));

  const Engine create_trunc = engine_for({"O_CREAT", "O_TRUNC"});
  CHECK(denied(create_trunc, ActionKind::kFileCreate, O_WRONLY | O_CREAT | O_TRUNC));
  CHECK_FALSE(denied(create_trunc, ActionKind::kFileCreate, O_WRONLY | O_CREAT));
  CHECK_FALSE(denied(create_trunc, ActionKind::kFileWrite, O_WRONLY | O_TRUNC));

  const Engine write_append = engine_for({"O_WRONLY", "O_APPEND"});
  CHECK(denied(write_append, ActionKind::kFileWrite, O_WRONLY | O_APPEND));
  CHECK_FALSE(denied(write_append, ActionKind::kFileWrite, O_RDWR | O_APPEND));

  const Engine tmpfile = engine_for({"O_TMPFILE"});
  CHECK(denied(tmpfile, ActionKind::kFileCreate, O_RDWR | O_TMPFILE));
  CHECK_FALSE(denied(tmpfile, ActionKind::kFileRead, O_RDONLY | O_DIRECTORY));
}

TEST_CASE("rename and link: path matches either side, from and to one each", "[policy][engine]") {
  for (ActionKind kind : {ActionKind::kFileRename, ActionKind::kFileLink}) {
    const Engine either = EngineWith(
        {MakeRule("p", {kind}, PathMatch({"/secret/**"}), RuleDecision::kDeny)},
        DefaultDecision::kAllow);
    CHECK(Denied(either, TwoSided(kind, "/secret/a", "/work/a")));
    CHECK(Denied(either, TwoSided(kind, "/work/a", "/secret/a")));
    CHECK_FALSE(Denied(either, TwoSided(kind, "/work/a", "/work/b")));

    RuleMatch sides;
    sides.from = Patterns({"/work/**"});
    sides.to = Patterns({"/secret/**"});
    const Engine directed =
        EngineWith({MakeRule("d", {kind}, sides, RuleDecision::kDeny)}, DefaultDecision::kAllow);
    CHECK(Denied(directed, TwoSided(kind, "/work/a", "/secret/a")));
    CHECK_FALSE(Denied(directed, TwoSided(kind, "/secret/a", "/work/a")));
    CHECK_FALSE(Denied(directed, TwoSided(kind, "/work/a", "/work/b")));
  }
  // Other kinds have one path: `to` (a symlink's target for file.create) plays no part.
  const Engine created = EngineWith(
      {MakeRule("c", {ActionKind::kFileCreate}, PathMatch({"/secret/**"}), RuleDecision::kDeny)},
      DefaultDecision::kAllow);
  CHECK_FALSE(Denied(created, TwoSided(ActionKind::kFileCreate, "/work/link", "/secret/x")));
}

TEST_CASE("A rule decides only the kinds it is on", "[policy][engine]") {
  const Engine engine = EngineWith(
      {MakeRule("w", {ActionKind::kFileWrite, ActionKind::kFileDelete}, PathMatch({"/etc/**"}),
                RuleDecision::kDeny)},
      DefaultDecision::kAllow);
  CHECK(Denied(engine, FileAction(ActionKind::kFileWrite, "/etc/passwd")));
  CHECK(Denied(engine, FileAction(ActionKind::kFileDelete, "/etc/passwd")));
  CHECK_FALSE(Denied(engine, FileAction(ActionKind::kFileRead, "/etc/passwd")));
  CHECK_FALSE(Denied(engine, FileAction(ActionKind::kFileChmod, "/etc/passwd")));
  const Engine any = EngineWith(
      {MakeRule("x", {ActionKind::kProcessExec}, RuleMatch{}, RuleDecision::kDeny)},
      DefaultDecision::kAllow);
  CHECK(Denied(any, Exec("/bin/true", {"true"})));
  CHECK_FALSE(Denied(any, FileAction(ActionKind::kFileRead, "/bin/true")));
}

TEST_CASE("Precedence: forbid first, then the first match, then the default", "[policy][engine]") {
  const auto write = [](const char* path) { return FileAction(ActionKind::kFileWrite, path); };
  const Engine engine = EngineWith(
      {
          MakeRule("allow-project", {ActionKind::kFileWrite}, PathMatch({"/work/project/**"}),
                   RuleDecision::kAllow, "the project is the agent's"),
          MakeRule("deny-git", {ActionKind::kFileWrite}, PathMatch({"/work/project/.git/**"}),
                   RuleDecision::kDeny),
          MakeRule("no-hooks", {ActionKind::kFileWrite},
                   PathMatch({"/work/project/.git/hooks/**"}), RuleDecision::kForbid,
                   "hooks run outside the sandbox"),
          MakeRule("deny-etc", {ActionKind::kFileWrite}, PathMatch({"/etc/**"}),
                   RuleDecision::kDeny),
      },
      DefaultDecision::kAllow);

  const Decision hook = engine.Decide(write("/work/project/.git/hooks/pre-commit"));
  CHECK(hook.verdict == Verdict::kDeny);
  CHECK(hook.forbidden);
  CHECK(hook.rule == "no-hooks");
  CHECK(hook.reason == "hooks run outside the sandbox");

  // The earlier allow wins over the later deny: first match.
  const Decision git = engine.Decide(write("/work/project/.git/config"));
  CHECK(git.verdict == Verdict::kAllow);
  CHECK_FALSE(git.forbidden);
  CHECK(git.rule == "allow-project");
  CHECK(git.reason == "the project is the agent's");

  const Decision etc = engine.Decide(write("/etc/hosts"));
  CHECK(etc.verdict == Verdict::kDeny);
  CHECK_FALSE(etc.forbidden);
  CHECK(etc.rule == "deny-etc");
  CHECK(etc.reason == "denied by rule 'deny-etc'");

  const Decision other = engine.Decide(write("/srv/x"));
  CHECK(other.verdict == Verdict::kAllow);
  CHECK(other.rule.empty());
  CHECK(other.reason == "session default");

  const Engine strict = EngineWith({}, DefaultDecision::kDeny);
  const Decision nothing = strict.Decide(write("/srv/x"));
  CHECK(nothing.verdict == Verdict::kDeny);
  CHECK_FALSE(nothing.forbidden);
  CHECK(nothing.rule.empty());
  CHECK(nothing.reason == "session default");
}

TEST_CASE("Generated reasons name the rule and its decision", "[policy][engine]") {
  const Engine engine = EngineWith(
      {MakeRule("a", {ActionKind::kFileRead}, PathMatch({"/a"}), RuleDecision::kAllow),
       MakeRule("f", {ActionKind::kFileRead}, PathMatch({"/f"}), RuleDecision::kForbid)});
  CHECK(engine.Decide(FileAction(ActionKind::kFileRead, "/a")).reason == "allowed by rule 'a'");
  CHECK(engine.Decide(FileAction(ActionKind::kFileRead, "/f")).reason == "forbidden by rule 'f'");
}

TEST_CASE("Compile reports a variable without a value at the pattern's place", "[policy][engine]") {
  aarm::policy::Profile profile;
  RuleMatch match;
  match.path = {{"{tmp}/x", {"/p/profile.toml", 7, 21}}};
  profile.rules = {MakeRule("t", {ActionKind::kFileRead}, match, RuleDecision::kDeny)};
  aarm::policy::PathVariables vars = kTestVariables;
  vars.tmp.clear();
  auto engine = Engine::Compile(profile, vars);
  REQUIRE_FALSE(engine.has_value());
  CHECK(engine.error().message ==
        "/p/profile.toml:7:21: rule.match.path entry '{tmp}/x': {tmp} has no absolute value ('')");
}
