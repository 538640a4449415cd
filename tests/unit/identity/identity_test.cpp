#include <pwd.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <set>

#include <catch2/catch.hpp>

#include "aarm/identity/identity.hpp"

using namespace aarm::identity;

namespace {

EnvLookup EnvFrom(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto found = values.find(name);
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

Sources SourcesFor(uint32_t uid, std::map<std::string, std::string> env) {
  Sources sources;
  sources.uid = uid;
  sources.env = EnvFrom(std::move(env));
  sources.host = "builder";
  return sources;
}

std::string PasswdName(uid_t uid) {
  const passwd* entry = getpwuid(uid);
  return entry ? entry->pw_name : "";
}

}  // namespace

TEST_CASE("CI systems are recognised from their own variables", "[identity]") {
  Service github = DetectService(EnvFrom({{"CI", "true"},
                                          {"GITHUB_ACTIONS", "true"},
                                          {"GITHUB_REPOSITORY", "acme/widgets"},
                                          {"GITHUB_RUN_ID", "9876"},
                                          {"GITHUB_JOB", "build"},
                                          {"GITHUB_WORKFLOW", "CI"}}));
  CHECK(github.ci == "github-actions");
  CHECK(github.repository == "acme/widgets");
  CHECK(github.run == "9876");
  CHECK(github.job == "build");
  CHECK(github.workflow == "CI");

  Service gitlab = DetectService(EnvFrom({{"CI", "true"},
                                          {"GITLAB_CI", "true"},
                                          {"CI_PROJECT_PATH", "group/project"},
                                          {"CI_PIPELINE_ID", "55"},
                                          {"CI_JOB_ID", "66"}}));
  CHECK(gitlab.ci == "gitlab-ci");
  CHECK(gitlab.repository == "group/project");
  CHECK(gitlab.run == "55");
  CHECK(gitlab.job == "66");
  CHECK(gitlab.workflow.empty());

  Service jenkins = DetectService(EnvFrom({{"JENKINS_URL", "https://ci.example/"},
                                           {"BUILD_NUMBER", "12"},
                                           {"JOB_NAME", "nightly"},
                                           {"GIT_URL", "https://git.example/r.git"}}));
  CHECK(jenkins.ci == "jenkins");
  CHECK(jenkins.run == "12");
  CHECK(jenkins.job == "nightly");
  CHECK(jenkins.repository == "https://git.example/r.git");

  Service buildkite = DetectService(EnvFrom({{"BUILDKITE", "true"},
                                             {"BUILDKITE_REPO", "git@example:r.git"},
                                             {"BUILDKITE_BUILD_ID", "b-1"},
                                             {"BUILDKITE_JOB_ID", "j-1"},
                                             {"BUILDKITE_PIPELINE_SLUG", "deploy"}}));
  CHECK(buildkite.ci == "buildkite");
  CHECK(buildkite.run == "b-1");
  CHECK(buildkite.job == "j-1");
  CHECK(buildkite.workflow == "deploy");

  Service circle = DetectService(EnvFrom({{"CIRCLECI", "true"},
                                          {"CIRCLE_REPOSITORY_URL", "git@github.com:a/b.git"},
                                          {"CIRCLE_BUILD_NUM", "77"},
                                          {"CIRCLE_JOB", "test"},
                                          {"CIRCLE_WORKFLOW_ID", "wf"}}));
  CHECK(circle.ci == "circleci");
  CHECK(circle.run == "77");
  CHECK(circle.job == "test");
  CHECK(circle.workflow == "wf");

  CHECK(DetectService(EnvFrom({{"CI", "true"}})).ci == "ci");
  CHECK(DetectService(EnvFrom({{"CI", "1"}})).ci == "ci");
  CHECK(DetectService(EnvFrom({{"CI", "false"}})).ci.empty());
  CHECK(DetectService(EnvFrom({{"GITHUB_ACTIONS", "false"}})).ci.empty());
  CHECK(DetectService(EnvFrom({{"JENKINS_URL", ""}})).ci.empty());
  CHECK(DetectService(EnvFrom({})).ci.empty());
}

TEST_CASE("the human comes from the real uid, never from USER or LOGNAME", "[identity]") {
  uid_t me = getuid();
  Identity identity =
      Collect("claude", {"claude"}, SourcesFor(me, {{"USER", "mallory"}, {"LOGNAME", "mallory"}}));
  CHECK(identity.human.uid == me);
  CHECK(identity.human.user == PasswdName(me));
  CHECK(identity.human.user != "mallory");

  Identity process = Collect("claude", {"claude"});
  CHECK(process.human.uid == getuid());
  CHECK(process.human.user == PasswdName(getuid()));
  CHECK_FALSE(process.host.empty());
}

TEST_CASE("SUDO_USER counts only when the real uid is 0", "[identity]") {
  Identity root = Collect("a", {}, SourcesFor(0, {{"SUDO_USER", "alice"}}));
  CHECK(root.human.sudo_user == "alice");
  CHECK(root.human.user == PasswdName(0));

  Identity user = Collect("a", {}, SourcesFor(1000, {{"SUDO_USER", "root"}}));
  CHECK(user.human.sudo_user.empty());
  CHECK(user.human.uid == 1000);
  CHECK(ToJson(user)["human"].contains("sudo_user") == false);
}

TEST_CASE("session ids are random UUID v4", "[identity]") {
  const std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewSessionId();
    REQUIRE(std::regex_match(id, uuid4));
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("identity JSON uses the receipt field names", "[identity]") {
  Identity identity = Collect("claude", {"claude", "--print", "\xff"},
                              SourcesFor(0, {{"SUDO_USER", "alice"},
                                             {"GITHUB_ACTIONS", "true"},
                                             {"GITHUB_REPOSITORY", "acme/widgets"},
                                             {"GITHUB_RUN_ID", "1"}}));
  nlohmann::json json = ToJson(identity);
  CHECK(json["human"]["uid"] == 0);
  CHECK(json["human"]["user"] == identity.human.user);
  CHECK(json["human"]["sudo_user"] == "alice");
  CHECK(json["service"] ==
        nlohmann::json{{"ci", "github-actions"}, {"repository", "acme/widgets"}, {"run", "1"}});
  CHECK(json["agent"]["name"] == "claude");
  CHECK(json["agent"]["argv"].size() == 3);
  CHECK(json["agent"]["argv"][2] == "\xff");  // raw bytes; the receipt writer encodes them
  CHECK(json["host"] == "builder");
  CHECK(json["session"] == identity.session);

  Identity local = Collect("claude", {"claude"}, SourcesFor(1000, {}));
  CHECK(ToJson(local)["service"].is_null());
}
