// Path and argv-element globs, through the engine: a rule on file.read allows what its pattern
// matches, and the default denies the rest.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "aarm/policy/engine.hpp"
#include "unit/policy/engine_test_support.hpp"

using aarm::policy::ActionKind;
using aarm::policy::PathVariables;
using aarm::policy::RuleDecision;
using aarm::policy::RuleMatch;
using aarm::policy::Verdict;
using namespace aarm::policy::testing;

namespace {

bool PathMatches(const std::string& pattern, const std::string& path,
                 const PathVariables& vars = kTestVariables) {
  RuleMatch match;
  match.path = Patterns({pattern});
  auto engine = EngineWith({MakeRule("r", {ActionKind::kFileRead}, match, RuleDecision::kAllow)},
                           aarm::policy::DefaultDecision::kDeny, vars);
  return engine.Decide(FileAction(ActionKind::kFileRead, path)).verdict == Verdict::kAllow;
}

struct Case {
  const char* pattern;
  const char* path;
  bool matches;
};

void CheckTable(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO("pattern " << c.pattern << " against " << c.path);
    CHECK(PathMatches(c.pattern, c.path) == c.matches);
  }
}

}  // namespace

TEST_CASE("Literal patterns match only the same path", "[policy][glob]") {
  CheckTable({
      {"/etc/passwd", "/etc/passwd", true},
      {"/etc/passwd", "/etc/passwd2", false},
      {"/etc/passwd", "/etc", false},
      {"/etc/passwd", "/etc/passwd/x", false},
      {"/etc/passwd", "/ETC/passwd", false},
      {"/", "/", true},
      {"/", "/etc", false},
      {"/etc/", "/etc", true},  // written with a trailing slash, normalised away
  });
}

TEST_CASE("* and ? stay within one segment, and match dot files", "[policy][glob]") {
  CheckTable({
      {"/etc/*", "/etc/passwd", true},
      {"/etc/*", "/etc/.hidden", true},
      {"/etc/*", "/etc", false},
      {"/etc/*", "/etc/ssl/certs", false},
      {"/*", "/", false},
      {"/*", "/etc", true},
      {"/etc/*.conf", "/etc/a.conf", true},
      {"/etc/*.conf", "/etc/.conf", true},
      {"/etc/*.conf", "/etc/a.conf.bak", false},
      {"/etc/*.conf", "/etc/sub/a.conf", false},
      {"/etc/a*b*c", "/etc/abc", true},
      {"/etc/a*b*c", "/etc/aXbYbZc", true},
      {"/etc/a*b*c", "/etc/aXbYc/d", false},
      {"/etc/?asswd", "/etc/passwd", true},
      {"/etc/?sswd", "/etc/passwd", false},
      {"/etc/pass?d", "/etc/pass/d", false},
      {"/srv/caf?", "/srv/caf\xc3\xa9", true},  // one character, two bytes
      {"/srv/caf??", "/srv/caf\xc3\xa9", false},
  });
}

TEST_CASE("Character classes", "[policy][glob]") {
  CheckTable({
      {"/dev/tty[0-9]", "/dev/tty1", true},
      {"/dev/tty[0-9]", "/dev/ttyS", false},
      {"/dev/tty[!0-9]", "/dev/ttyS", true},
      {"/dev/tty[!0-9]", "/dev/tty1", false},
      {"/dev/tty[^0-9]", "/dev/ttyS", true},
      {"/dev/tty[abc]", "/dev/ttyb", true},
      {"/dev/tty[abc]", "/dev/ttyd", false},
      {"/x/[]]", "/x/]", true},
      {"/x/[a-]", "/x/-", true},
      {"/x/[-a]", "/x/-", true},
      {"/x/[*]", "/x/*", true},
      {"/x/[*]", "/x/a", false},
      {"/x/[\xc3\xa9]", "/x/\xc3\xa9", true},
      {"/x/[\xc3\xa0-\xc3\xaf]", "/x/\xc3\xa9", true},
      {"/x/[\xc3\xa0-\xc3\xaf]", "/x/e", false},
  });
}

TEST_CASE("** spans segments, dir/** is dir and everything below it", "[policy][glob]") {
  CheckTable({
      {"/home/user/**", "/home/user", true},
      {"/home/user/**", "/home/user/a", true},
      {"/home/user/**", "/home/user/a/b/c", true},
      {"/home/user/**", "/home/username", false},
      {"/home/user/**", "/home", false},
      {"**/.env", "/.env", true},
      {"**/.env", "/work/project/.env", true},
      {"**/.env", "/work/project/.env.local", false},
      {"**/.env", "/work/project/x.env", false},
      {"**/*.pem", "/etc/ssl/private/key.pem", true},
      {"/a/**/b", "/a/b", true},
      {"/a/**/b", "/a/x/b", true},
      {"/a/**/b", "/a/x/y/b", true},
      {"/a/**/b", "/a/xb", false},
      {"/a/**/b", "/a/b/c", false},
      {"/a/**/b/**", "/a/x/b/y/z", true},
      {"/a/**/*/c", "/a/c", false},
      {"/a/**/*/c", "/a/b/c", true},
      {"**", "/", true},
      {"**", "/any/thing", true},
      {"/**/**/x", "/x", true},
  });
}

TEST_CASE("A leading ! negates the pattern", "[policy][glob]") {
  CheckTable({
      {"!/work/project/**", "/work/project/src/a.c", false},
      {"!/work/project/**", "/work/project", false},
      {"!/work/project/**", "/etc/passwd", true},
      {"!**/*.pem", "/a/b", true},
      {"!**/*.pem", "/a/b.pem", false},
  });
}

TEST_CASE("A list of patterns matches when any item does", "[policy][glob]") {
  RuleMatch match;
  match.path = Patterns({"/etc/shadow", "{home}/.ssh/**", "!/**"});
  auto engine =
      EngineWith({MakeRule("r", {ActionKind::kFileRead}, match, RuleDecision::kAllow)});
  CHECK(engine.Decide(FileAction(ActionKind::kFileRead, "/etc/shadow")).verdict == Verdict::kAllow);
  CHECK(engine.Decide(FileAction(ActionKind::kFileRead, "/home/user/.ssh/id_ed25519")).verdict ==
        Verdict::kAllow);
  CHECK(engine.Decide(FileAction(ActionKind::kFileRead, "/etc/passwd")).verdict == Verdict::kDeny);
}

TEST_CASE("Variables expand, their values taken literally", "[policy][glob]") {
  CheckTable({
      {"{home}/.ssh/**", "/home/user/.ssh/id_rsa", true},
      {"{home}/.ssh/**", "/home/other/.ssh/id_rsa", false},
      {"{home}", "/home/user", true},
      {"{project}/**", "/work/project/src/main.c", true},
      {"{project}/../shared/*", "/work/shared/x", true},
      {"{cwd}/*.o", "/work/project/src/main.o", true},
      {"{tmp}/**", "/tmp/build/x", true},
  });
  PathVariables odd = kTestVariables;
  odd.home = "/home/a*b";
  CHECK(PathMatches("{home}/.ssh", "/home/a*b/.ssh", odd));
  CHECK_FALSE(PathMatches("{home}/.ssh", "/home/aXb/.ssh", odd));
  odd.home = "/home/[x]?";
  CHECK(PathMatches("{home}/**", "/home/[x]?/k", odd));
  CHECK_FALSE(PathMatches("{home}/**", "/home/x?/k", odd));
  CHECK_FALSE(PathMatches("{home}/**", "/home/[x]y/k", odd));
}

TEST_CASE("Paths are normalised before matching", "[policy][glob]") {
  CheckTable({
      {"**/.env", "/work/project/./src/../.env", true},
      {"/etc/passwd", "//etc//passwd", true},
      {"/etc/passwd", "/etc/passwd/", true},
      {"/etc/**", "/etc/../root/x", false},
      {"/**", "relative/path", false},
      {"!/etc/passwd", "relative/path", true},
  });
}

TEST_CASE("Bytes that are not UTF-8 are characters of their own", "[policy][glob]") {
  CheckTable({
      {"/x/?", "/x/\xff", true},
      {"/x/*", "/x/\xff\xfe", true},
      {"/x/?", "/x/\xff\xfe", false},
      {"/x/a?", "/x/a\xc3", true},
  });
}

TEST_CASE("Matching time stays polynomial on pathological patterns", "[policy][glob]") {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();

  // Many ** in a row, then a name that is not there, against a deep path.
  std::string stars;
  for (int i = 0; i < 300; ++i) stars += "/**";
  std::string deep;
  for (int i = 0; i < 1500; ++i) deep += "/b";
  CHECK_FALSE(PathMatches(stars + "/a", deep));
  CHECK(PathMatches(stars + "/b", deep));

  // ** separated by patterns that match almost everywhere.
  std::string alternating;
  for (int i = 0; i < 200; ++i) alternating += "/**/b*";
  CHECK_FALSE(PathMatches(alternating + "/a", deep));

  // Many * in one segment against a long segment that almost matches.
  std::string segment = "/x/";
  for (int i = 0; i < 500; ++i) segment += "*a";
  CHECK_FALSE(PathMatches(segment + "*b", "/x/" + std::string(3000, 'a')));
  CHECK(PathMatches(segment + "*", "/x/" + std::string(3000, 'a')));

  CHECK(Clock::now() - started < std::chrono::seconds(5));
}
