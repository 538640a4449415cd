// CI detection from each system's documented environment variables.
#include <array>

#include "aarm/identity/identity.hpp"

namespace aarm::identity {
namespace {

struct CiSystem {
  const char* name;
  const char* marker;        // set by the system on every run
  const char* marker_value;  // required value, or nullptr for "set and not empty"
  const char* repository;
  const char* run;
  const char* job;
  const char* workflow;
};

// NOTE: order matters: the hosted systems also set CI=true, so the generic entry comes last.
constexpr std::array<CiSystem, 6> kCiSystems{{
    {"github-actions", "GITHUB_ACTIONS", "true", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_JOB",
     "GITHUB_WORKFLOW"},
    {"gitlab-ci", "GITLAB_CI", "true", "CI_PROJECT_PATH", "CI_PIPELINE_ID", "CI_JOB_ID",
     "CI_PIPELINE_NAME"},
    {"jenkins", "JENKINS_URL", nullptr, "GIT_URL", "BUILD_NUMBER", "JOB_NAME", nullptr},
    {"buildkite", "BUILDKITE", "true", "BUILDKITE_REPO", "BUILDKITE_BUILD_ID", "BUILDKITE_JOB_ID",
     "BUILDKITE_PIPELINE_SLUG"},
    {"circleci", "CIRCLECI", "true", "CIRCLE_REPOSITORY_URL", "CIRCLE_BUILD_NUM", "CIRCLE_JOB",
     "CIRCLE_WORKFLOW_ID"},
    {"ci", "CI", "true", nullptr, nullptr, nullptr, nullptr},
}};

std::string Lookup(const EnvLookup& env, const char* name) {
  if (name == nullptr) return {};
  return env(name).value_or(std::string());
}

bool Matches(const EnvLookup& env, const CiSystem& system) {
  std::optional<std::string> value = env(system.marker);
  if (!value || value->empty()) return false;
  if (system.marker_value == nullptr) return true;
  // Generic CI variables are written by hand in many pipelines: accept "1" as well as "true".
  return *value == system.marker_value || (std::string_view(system.name) == "ci" && *value == "1");
}

}  // namespace

Service DetectService(const EnvLookup& env) {
  for (const CiSystem& system : kCiSystems) {
    if (!Matches(env, system)) continue;
    return Service{system.name, Lookup(env, system.repository), Lookup(env, system.run),
                   Lookup(env, system.job), Lookup(env, system.workflow)};
  }
  return Service{};
}

}  // namespace aarm::identity
