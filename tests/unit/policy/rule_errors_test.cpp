// Every way a [[rule]] can be wrong is one line at its place in the file.
#include <catch2/catch.hpp>

#include <string>

#include "aarm/policy/profile.hpp"
#include "unit/policy/policy_test_support.hpp"

using aarm::policy::LoadProfile;
using aarm::policy::testing::ErrorFor;
using aarm::policy::testing::RulesFixture;
using aarm::policy::testing::ShippedDir;
using aarm::policy::testing::TempDir;

namespace {

// A rule on `on` with `match` and "deny", the rest of the file fine; its match is on line 6.
std::string MatchError(const TempDir& dir, const std::string& on, const std::string& match) {
  return ErrorFor(dir, "version = 1\n[[rule]]\nid = \"x\"\non = " + on +
                           "\ndecision = \"deny\"\nmatch = " + match + "\n");
}

std::string PathError(const TempDir& dir, const std::string& path) {
  return MatchError(dir, "\"file.read\"", "{ path = " + path + " }");
}

std::string ArgvError(const TempDir& dir, const std::string& argv) {
  return MatchError(dir, "\"process.exec\"", "{ argv = " + argv + " }");
}

}  // namespace

TEST_CASE("A rule needs an id, an action kind and a decision", "[policy][rules]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "version = 1\n[[rule]]\nid = \"x\"\n") == "P:2:1: [[rule]] has no 'on'");
  CHECK(ErrorFor(dir, "version = 1\n[[rule]]\non = \"file.read\"\ndecision = \"deny\"\n") ==
        "P:2:1: [[rule]] has no 'id'");
  CHECK(ErrorFor(dir, "version = 1\n[[rule]]\nid = \"x\"\non = \"file.read\"\n") ==
        "P:2:1: [[rule]] has no 'decision'");
  CHECK(ErrorFor(dir, "version = 1\n[rule]\nid = \"x\"\n") ==
        "P:2:1: rule must be written as [[rule]] tables, not a table");
  CHECK(ErrorFor(dir, "version = 1\nrule = [1]\n") ==
        "P:2:9: each [[rule]] must be a table, not an integer");
}

TEST_CASE("Rule ids are plain words, unique in a file", "[policy][rules]") {
  TempDir dir;
  const std::string rule = "on = \"file.read\"\ndecision = \"deny\"\n";
  CHECK(ErrorFor(dir, "version = 1\n[[rule]]\nid = \"x y\"\n" + rule) ==
        "P:3:6: rule.id 'x y' must be letters, digits, '-', '_' and '.', starting with a letter "
        "or digit");
  CHECK(ErrorFor(dir, "version = 1\n[[rule]]\nid = \"-x\"\n" + rule) ==
        "P:3:6: rule.id '-x' must be letters, digits, '-', '_' and '.', starting with a letter "
        "or digit");
  CHECK(ErrorFor(dir, "version = 1\n[[rule]]\nid = \"\"\n" + rule) == "P:3:6: rule.id is empty");
  CHECK(ErrorFor(dir, "version = 1\n[[rule]]\nid = 3\n" + rule) ==
        "P:3:6: rule.id must be a string, not an integer");
  const std::string path = dir.Path() + "/p.toml";
  CHECK(ErrorFor(dir, "version = 1\n[[rule]]\nid = \"x\"\n" + rule + "[[rule]]\nid = \"x\"\n" +
                          rule) ==
        "P:6:1: rule id 'x' is already used by the rule at " + path + ":2:1");
}

TEST_CASE("A rule id used again in an extending profile names both rules", "[policy][rules]") {
  auto profile = LoadProfile(RulesFixture("nested/duplicate.toml"), ShippedDir());
  REQUIRE_FALSE(profile.has_value());
  CHECK(profile.error().message ==
        RulesFixture("nested/duplicate.toml") + ":10:1: rule id 'base-no-hooks' is already used "
                                                 "by the rule at " +
            RulesFixture("base.toml") + ":14:1");
}

TEST_CASE("Unknown and planned keys of a rule", "[policy][rules]") {
  TempDir dir;
  const std::string head = "version = 1\n[[rule]]\nid = \"x\"\non = \"file.read\"\n"
                           "decision = \"deny\"\n";
  CHECK(ErrorFor(dir, head + "decison = \"deny\"\n") ==
        "P:6:1: unknown key 'decison' in [[rule]]; did you mean 'decision'?");
  CHECK(ErrorFor(dir, head + "colour = 1\n") ==
        "P:6:1: unknown key 'colour' in [[rule]] (known keys: 'id', 'on', 'match', 'decision', "
        "'reason')");
  CHECK(ErrorFor(dir, head + "when = { intent = \"x\" }\n") ==
        "P:6:1: 'rule.when' is not supported by this version of aarm yet");
  CHECK(ErrorFor(dir, head + "modify = { argv_replace = { \"--force\" = \"-f\" } }\n") ==
        "P:6:1: 'rule.modify' is not supported by this version of aarm yet");
  CHECK(ErrorFor(dir, head + "[rule.when]\nafter = \"x\"\n") ==
        "P:6:7: [rule.when] is not supported by this version of aarm yet");
  CHECK(ErrorFor(dir, head + "match = { pth = \"/x\" }\n") ==
        "P:6:11: unknown key 'pth' in [rule.match]; did you mean 'path'?");
  CHECK(ErrorFor(dir, head + "match = { host = \"x\" }\n") ==
        "P:6:18: rule.match.host does not apply to file.read (in rule.on); it applies to "
        "net.connect, net.bind, net.send");
  CHECK(ErrorFor(dir, head + "match = { port = 443 }\n") ==
        "P:6:18: rule.match.port does not apply to file.read (in rule.on); it applies to "
        "net.connect, net.bind, net.send");
  CHECK(ErrorFor(dir, head + "match = 5\n") == "P:6:9: rule.match must be a table, not an integer");
  CHECK(ErrorFor(dir, head + "reason = \"\"\n") == "P:6:10: rule.reason is empty");
  CHECK(ErrorFor(dir, head + "reason = \"a\\nb\"\n") ==
        "P:6:10: rule.reason 'a\\nb' contains a control character; it must be one line of text");
}

TEST_CASE("on: action kinds and file.*", "[policy][rules]") {
  TempDir dir;
  auto on = [&](const std::string& value) {
    return ErrorFor(dir, "version = 1\n[[rule]]\nid = \"x\"\non = " + value +
                             "\ndecision = \"deny\"\n");
  };
  CHECK(on("\"file.raed\"") == "P:4:6: rule.on 'file.raed' is not an action kind; did you mean "
                               "'file.read'?");
  CHECK(on("\"zzz\"") ==
        "P:4:6: rule.on 'zzz' is not an action kind (known: 'process.exec', 'file.read', "
        "'file.write', 'file.create', 'file.delete', 'file.rename', 'file.link', 'file.chmod', "
        "'net.connect', 'net.bind', 'net.send', 'file.*')");
  CHECK(on("\"net.conect\"") ==
        "P:4:6: rule.on 'net.conect' is not an action kind; did you mean 'net.connect'?");
  CHECK(on("[]") == "P:4:6: rule.on is an empty array");
  CHECK(on("5") == "P:4:6: rule.on must be an action kind or an array of them, not an integer");
  CHECK(on("[\"file.read\", 5]") == "P:4:20: each entry of rule.on must be a string, not an integer");
}

TEST_CASE("decision: allow, deny or forbid, the others are not built yet", "[policy][rules]") {
  TempDir dir;
  auto decision = [&](const std::string& value) {
    return ErrorFor(dir, "version = 1\n[[rule]]\nid = \"x\"\non = \"file.read\"\ndecision = " +
                             value + "\n");
  };
  for (const char* planned : {"step_up", "defer", "modify"}) {
    CHECK(decision(std::string("\"") + planned + "\"") ==
          std::string("P:5:12: rule.decision = \"") + planned +
              "\" is not supported by this version of aarm yet");
  }
  CHECK(decision("\"dny\"") == "P:5:12: rule.decision must be one of 'allow', 'deny', 'forbid', "
                               "not 'dny'; did you mean 'deny'?");
  CHECK(decision("true") == "P:5:12: rule.decision must be a string, not a boolean");
}

TEST_CASE("match keys must apply to every kind the rule is on", "[policy][rules]") {
  TempDir dir;
  CHECK(MatchError(dir, "\"file.read\"", "{ argv = [\"rm\"] }") ==
        "P:6:18: rule.match.argv does not apply to file.read (in rule.on); it applies to "
        "process.exec");
  CHECK(MatchError(dir, "\"file.*\"", "{ flags = [\"O_CREAT\"] }") ==
        "P:6:19: rule.match.flags does not apply to file.delete (in rule.on); it applies to "
        "file.read, file.write, file.create");
  CHECK(MatchError(dir, "[\"file.rename\", \"process.exec\"]", "{ to = \"/x\" }") ==
        "P:6:16: rule.match.to does not apply to process.exec (in rule.on); it applies to "
        "file.rename, file.link");
  CHECK(MatchError(dir, "\"file.chmod\"", "{ from = \"/x\" }") ==
        "P:6:18: rule.match.from does not apply to file.chmod (in rule.on); it applies to "
        "file.rename, file.link");
}

TEST_CASE("Path patterns are checked at load", "[policy][rules]") {
  TempDir dir;
  CHECK(PathError(dir, "\"*.pem\"") ==
        "P:6:18: rule.match.path '*.pem' is relative; a pattern must be absolute, start with one "
        "of {project} {home} {cwd} {tmp}, or start with '**/' ('**/*.pem' matches at any depth)");
  CHECK(PathError(dir, "\"etc/passwd\"") ==
        "P:6:18: rule.match.path 'etc/passwd' is relative; a pattern must be absolute, start "
        "with one of {project} {home} {cwd} {tmp}, or start with '**/'");
  CHECK(PathError(dir, "[\"/a\", \"/b/[x\"]") ==
        "P:6:25: rule.match.path entry '/b/[x' has a '[' that is never closed");
  CHECK(PathError(dir, "\"/a/[x/y]\"") ==
        "P:6:18: rule.match.path '/a/[x/y]' has a '[' that is never closed");
  CHECK(PathError(dir, "\"/a/b**\"") ==
        "P:6:18: rule.match.path '/a/b**' has '**' inside the segment 'b**'; '**' stands alone "
        "between slashes ('dir/**/name'), '*' matches within a segment");
  CHECK(PathError(dir, "\"**.pem\"") ==
        "P:6:18: rule.match.path '**.pem' is relative; a pattern must be absolute, start with "
        "one of {project} {home} {cwd} {tmp}, or start with '**/' ('**/**.pem' matches at any "
        "depth)");
  CHECK(PathError(dir, "\"/a/[z-a]\"") ==
        "P:6:18: rule.match.path '/a/[z-a]' has the reversed range 'z-a' in a class");
  CHECK(PathError(dir, "\"/a/*/../b\"") ==
        "P:6:18: rule.match.path '/a/*/../b' has '..' after a segment with glob characters; "
        "'..' may only follow plain names");
  CHECK(PathError(dir, "\"{hom}/x\"") ==
        "P:6:18: rule.match.path '{hom}/x' uses the unknown variable '{hom}'; did you mean "
        "'{home}'?");
  CHECK(PathError(dir, "\"/x/{home}\"") ==
        "P:6:18: rule.match.path '/x/{home}' has '{' or '}' after its start; a variable may only "
        "begin a path");
  CHECK(PathError(dir, "\"~/.ssh\"") ==
        "P:6:18: rule.match.path '~/.ssh' starts with '~', which is not expanded; write "
        "'{home}/.ssh'");
  CHECK(PathError(dir, "\"!\"") == "P:6:18: rule.match.path '!' has nothing after its '!'");
  CHECK(PathError(dir, "\"!!/x\"") ==
        "P:6:18: rule.match.path '!!/x' is relative; a pattern must be absolute, start with one "
        "of {project} {home} {cwd} {tmp}, or start with '**/'");
  CHECK(PathError(dir, "\"\"") == "P:6:18: rule.match.path '' is empty");
  CHECK(PathError(dir, "[]") == "P:6:18: rule.match.path is an empty array");
  CHECK(PathError(dir, "[\"/a\", 1]") ==
        "P:6:25: each entry of rule.match.path must be a string, not an integer");
  CHECK(PathError(dir, "{ a = 1 }") ==
        "P:6:18: rule.match.path must be a path pattern or an array of them, not a table");
  CHECK(PathError(dir, "\"/a\\u0007\"") ==
        "P:6:18: rule.match.path '/a\\x07' contains a control character");
}

TEST_CASE("argv patterns and regexes are checked at load", "[policy][rules]") {
  TempDir dir;
  CHECK(ArgvError(dir, "[\"rm\", \"re:(\"]") ==
        "P:6:25: rule.match.argv entry 're:(' is not a valid regular expression: unbalanced "
        "parentheses, or a repetition ('*', '+', '?') with nothing to repeat");
  CHECK(ArgvError(dir, "[\"re:[a\"]") ==
        "P:6:19: rule.match.argv entry 're:[a' is not a valid regular expression: a '[' that is "
        "never closed");
  CHECK(ArgvError(dir, "[\"re:*a\"]") ==
        "P:6:19: rule.match.argv entry 're:*a' is not a valid regular expression: unbalanced "
        "parentheses, or a repetition ('*', '+', '?') with nothing to repeat");
  CHECK(ArgvError(dir, "[\"re:a{3,1}\"]") ==
        "P:6:19: rule.match.argv entry 're:a{3,1}' is not a valid regular expression: an invalid "
        "count between '{' and '}'");
  CHECK(ArgvError(dir, "[\"re:\\\\1\"]") ==
        "P:6:19: rule.match.argv entry 're:\\\\1' is not a valid regular expression: a back "
        "reference to a group that does not exist");
  CHECK(ArgvError(dir, "[\"rm\", \"re:\"]") ==
        "P:6:25: rule.match.argv entry 're:' has an empty regular expression");
  CHECK(ArgvError(dir, "[\"re:" + std::string(1025, 'a') + "\"]")
            .ends_with("is a regular expression of 1025 bytes; the limit is 1024"));
  CHECK(ArgvError(dir, "\"rm\"") == "P:6:18: rule.match.argv must be an array of strings, not a "
                                    "string");
  CHECK(ArgvError(dir, "[]") == "P:6:18: rule.match.argv is an empty array");
  CHECK(ArgvError(dir, "[\"a[b\"]") ==
        "P:6:19: rule.match.argv entry 'a[b' has a '[' that is never closed");
  CHECK(ArgvError(dir, "[\"a\\tb\"]") ==
        "P:6:19: rule.match.argv entry 'a\\tb' contains a control character");
}

TEST_CASE("flags are open flag names, with one access mode", "[policy][rules]") {
  TempDir dir;
  auto flags = [&](const std::string& value) {
    return MatchError(dir, "\"file.write\"", "{ flags = " + value + " }");
  };
  CHECK(flags("[\"O_CRAET\"]") ==
        "P:6:20: rule.match.flags: unknown open flag 'O_CRAET'; did you mean 'O_CREAT'?");
  CHECK(flags("[\"O_WRONLY\", \"O_BOGUS_FLAG_X\"]") ==
        "P:6:32: rule.match.flags: unknown open flag 'O_BOGUS_FLAG_X'");
  CHECK(flags("[\"O_RDONLY\", \"O_WRONLY\"]") ==
        "P:6:32: rule.match.flags: 'O_RDONLY' and 'O_WRONLY' cannot both be the access mode");
  CHECK(flags("\"O_CREAT\"") ==
        "P:6:19: rule.match.flags must be an array of strings, not a string");
  CHECK(flags("[]") == "P:6:19: rule.match.flags is an empty array");
}
