#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "aarm/policy/profile.hpp"
#include "unit/policy/policy_test_support.hpp"

using aarm::policy::ExpandPath;
using aarm::policy::FindProjectDirectory;
using aarm::policy::PathVariables;
using aarm::policy::testing::TempDir;

namespace {

const PathVariables kVars{"/work/project", "/home/user", "/work/project/src", "/run/aarm/tmp-1"};

std::string Expanded(const std::string& path, const PathVariables& vars = kVars) {
  auto result = ExpandPath(path, vars);
  INFO(path);
  REQUIRE(result.has_value());
  return *result;
}

std::string ExpandError(const std::string& path, const PathVariables& vars = kVars) {
  auto result = ExpandPath(path, vars);
  INFO(path);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message.find('\n') == std::string::npos);
  return result.error().message;
}

}  // namespace

TEST_CASE("ExpandPath replaces each variable", "[policy]") {
  CHECK(Expanded("{project}") == "/work/project");
  CHECK(Expanded("{project}/.git/hooks") == "/work/project/.git/hooks");
  CHECK(Expanded("{home}/.ssh") == "/home/user/.ssh");
  CHECK(Expanded("{cwd}") == "/work/project/src");
  CHECK(Expanded("{cwd}/build") == "/work/project/src/build");
  CHECK(Expanded("{tmp}") == "/run/aarm/tmp-1");
  CHECK(Expanded("/usr/lib") == "/usr/lib");
}

TEST_CASE("ExpandPath normalises lexically", "[policy]") {
  CHECK(Expanded("/usr/./lib/../bin/") == "/usr/bin");
  CHECK(Expanded("{project}/../other") == "/work/other");
  CHECK(Expanded("{home}//a/./b/") == "/home/user/a/b");
  CHECK(Expanded("{home}/../../../..") == "/");
  CHECK(Expanded("/") == "/");
}

TEST_CASE("ExpandPath refuses what a profile may not say", "[policy]") {
  CHECK(ExpandError("{nope}/x") ==
        "path '{nope}/x' uses the unknown variable '{nope}' (known: {project} {home} {cwd} {tmp})");
  CHECK(ExpandError("{projcet}/x") ==
        "path '{projcet}/x' uses the unknown variable '{projcet}'; did you mean '{project}'?");
  CHECK(ExpandError("~") == "path '~' starts with '~', which is not expanded; write '{home}'");
  CHECK(ExpandError("~/.aws") ==
        "path '~/.aws' starts with '~', which is not expanded; write '{home}/.aws'");
  CHECK(ExpandError("src/main") ==
        "path 'src/main' is relative; a path must be absolute or start with one of {project} "
        "{home} {cwd} {tmp}");
  CHECK(ExpandError("") == "path '' is empty");
  CHECK(ExpandError(std::string("/a\0b", 4)) == "path '/a\\x00b' contains a NUL byte");
  CHECK(ExpandError("/a\nb") == "path '/a\\nb' contains a control character");
}

TEST_CASE("ExpandPath refuses a variable without an absolute value", "[policy]") {
  PathVariables vars = kVars;
  vars.tmp.clear();
  CHECK(ExpandError("{tmp}/x", vars) == "path '{tmp}/x': {tmp} has no absolute value ('')");
  vars.project = "relative/dir";
  CHECK(ExpandError("{project}", vars) ==
        "path '{project}': {project} has no absolute value ('relative/dir')");
}

TEST_CASE("ExpandPath refuses a result longer than PATH_MAX", "[policy]") {
  PathVariables vars = kVars;
  vars.home = "/" + std::string(4000, 'h');
  CHECK(Expanded("{home}/" + std::string(93, 'x'), vars).size() == 4095);
  const std::string message = ExpandError("{home}/" + std::string(94, 'x'), vars);
  CHECK(message.find("expands to 4096 bytes; the limit is 4095") != std::string::npos);
}

TEST_CASE("FindProjectDirectory finds the nearest .git above cwd", "[policy]") {
  TempDir dir;
  std::filesystem::create_directories(dir.Path() + "/repo/.git");
  std::filesystem::create_directories(dir.Path() + "/repo/a/b");
  std::filesystem::create_directories(dir.Path() + "/repo/worktree/c");
  dir.Write("repo/worktree/.git", "gitdir: /elsewhere\n");
  std::filesystem::create_directories(dir.Path() + "/plain/d");

  CHECK(FindProjectDirectory(dir.Path() + "/repo") == dir.Path() + "/repo");
  CHECK(FindProjectDirectory(dir.Path() + "/repo/a/b") == dir.Path() + "/repo");
  CHECK(FindProjectDirectory(dir.Path() + "/repo/a/b/") == dir.Path() + "/repo");
  CHECK(FindProjectDirectory(dir.Path() + "/repo/worktree/c") == dir.Path() + "/repo/worktree");
  // The temporary directory is not inside a repository, so cwd itself is the project.
  CHECK(FindProjectDirectory(dir.Path() + "/plain/d") == dir.Path() + "/plain/d");
}
