// Profile -> sandbox::Spec: a pure function, so policy and sandbox never include each other.
#pragma once

#include <string>
#include <vector>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"
#include "aarm/network/network_service.hpp"
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

// The sockets Sandbox::TakeListeners() returns for a Spec made here in proxy mode, by role;
// all invalid for any other.
network::ServiceSockets ServiceSocketsFrom(std::vector<UniqueFd> listeners);

}  // namespace aarm::run
