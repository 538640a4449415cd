#include "spec_from_profile.hpp"

namespace aarm::run {
namespace {

Result<std::vector<std::string>> ExpandAll(const std::vector<std::string>& paths,
                                           const policy::PathVariables& variables) {
  std::vector<std::string> out;
  for (const auto& path : paths) {
    auto expanded = policy::ExpandPath(path, variables);
    if (!expanded) return tl::unexpected(expanded.error());
    out.push_back(std::move(*expanded));
  }
  return out;
}

bool IsVariable(const std::string& entry, std::string_view name) {
  return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
         entry[name.size()] == '=';
}

}  // namespace

Result<sandbox::Spec> SpecFromProfile(const policy::Profile& profile,
                                      const policy::PathVariables& variables,
                                      const SpecInputs& inputs) {
  sandbox::Spec spec;
  spec.argv = inputs.command;
  spec.cwd = variables.cwd;
  spec.scratch_dir = inputs.scratch_dir;
  spec.inherited_fds = inputs.passed_fds;
  spec.require_namespaces = profile.session.require_namespaces;
  spec.require_landlock = profile.session.require_landlock;
  spec.filesystem.private_tmp = variables.tmp;
  const auto& fs = profile.filesystem;
  for (auto [source, target] : {std::pair{&fs.read, &spec.filesystem.read},
                                std::pair{&fs.write, &spec.filesystem.write},
                                std::pair{&fs.readonly, &spec.filesystem.readonly},
                                std::pair{&fs.hide, &spec.filesystem.hide}}) {
    auto expanded = ExpandAll(*source, variables);
    if (!expanded) return tl::unexpected(expanded.error());
    *target = std::move(*expanded);
  }
  // The agent's environment is aarm-run's, with TMPDIR pointing at the private /tmp.
  for (const auto& entry : inputs.environment) {
    if (!IsVariable(entry, "TMPDIR")) spec.env.push_back(entry);
  }
  spec.env.push_back("TMPDIR=/tmp");
  return spec;
}

}  // namespace aarm::run
