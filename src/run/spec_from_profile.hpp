// Profile -> sandbox::Spec: a pure function, so policy and sandbox never include each other.
#pragma once

#include <string>
#include <vector>

#include "aarm/base/error.hpp"
#include "aarm/policy/profile.hpp"
#include "aarm/sandbox/spec.hpp"

namespace aarm::run {

struct SpecInputs {
  std::vector<std::string> command;
  std::vector<std::string> environment;  // aarm-run's own, "NAME=value"
  std::string scratch_dir;
  std::vector<int> passed_fds;
};

Result<sandbox::Spec> SpecFromProfile(const policy::Profile& profile,
                                      const policy::PathVariables& variables,
                                      const SpecInputs& inputs);

}  // namespace aarm::run
