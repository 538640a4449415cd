#include "spec_from_profile.hpp"

#include <algorithm>
#include <array>

#include "aarm/network/network_service.hpp"

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

// Proxy settings of aarm-run's own environment name the host's proxies, which a sandbox with a
// network of its own cannot reach: the sandbox's own replace them (or none, in mode none).
constexpr std::array<std::string_view, 8> kProxyVariables = {
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
    "ALL_PROXY",  "all_proxy",  "NO_PROXY",    "no_proxy"};

bool IsProxyVariable(const std::string& entry) {
  return std::any_of(kProxyVariables.begin(), kProxyVariables.end(),
                     [&](std::string_view name) { return IsVariable(entry, name); });
}

sandbox::ListenSocket Listener(bool datagram, const char* address, uint16_t port,
                               bool optional = false) {
  return sandbox::ListenSocket{datagram, address, port, optional};
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
  spec.network.isolate = profile.network.mode != policy::NetworkMode::kHost;
  if (profile.network.mode == policy::NetworkMode::kProxy) {
    // In the order ServiceSocketsFrom takes them.
    spec.network.listeners = {
        Listener(false, "127.0.0.1", network::kHttpProxyPort),
        Listener(false, "127.0.0.1", network::kSocksProxyPort),
        Listener(false, "127.0.0.1", network::kTransparentPort),
        Listener(false, "::1", network::kTransparentPort, true),
        Listener(true, "127.0.0.1", network::kDnsPort),
    };
    spec.network.resolv_conf = network::ResolvConf();
  }
  // The agent's environment is aarm-run's, with TMPDIR pointing at the private /tmp.
  for (const auto& entry : inputs.environment) {
    if (IsVariable(entry, "TMPDIR")) continue;
    if (spec.network.isolate && IsProxyVariable(entry)) continue;
    spec.env.push_back(entry);
  }
  spec.env.push_back("TMPDIR=/tmp");
  if (profile.network.mode == policy::NetworkMode::kProxy) {
    for (auto& variable : network::ProxyEnvironment()) spec.env.push_back(std::move(variable));
  }
  return spec;
}

network::ServiceSockets ServiceSocketsFrom(std::vector<UniqueFd> listeners) {
  network::ServiceSockets sockets;
  if (listeners.size() != 5) return sockets;
  sockets.http_proxy = std::move(listeners[0]);
  sockets.socks_proxy = std::move(listeners[1]);
  sockets.transparent_v4 = std::move(listeners[2]);
  sockets.transparent_v6 = std::move(listeners[3]);
  sockets.dns = std::move(listeners[4]);
  return sockets;
}

}  // namespace aarm::run
