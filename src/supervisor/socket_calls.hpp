// connect, bind, listen and the sends: what a socket call of the agent may reach, decided and
// performed by the supervisor on the agent's own socket (see docs/mediation.md, "Network").
#pragma once

#include <optional>

#include "aarm/network/network_service.hpp"
#include "aarm/policy/profile.hpp"
#include "aarm/supervisor/supervisor.hpp"
#include "aarm/syscalls/mediated.hpp"
#include "agent_socket.hpp"
#include "call_context.hpp"

namespace aarm::supervisor {

struct SocketSettings {
  policy::NetworkMode mode = policy::NetworkMode::kNone;
  network::NetworkService* service = nullptr;  // mode proxy
  bool ipv6_listener = false;                  // mode proxy: [::1] is served too
  // The sandbox's own network namespace, with nothing but its loopback; nullopt when the agent
  // shares ours. A socket in it reaches only the sandbox.
  std::optional<NamespaceId> sandbox_network;
};

// The settings for a session: the sandbox's network namespace is read from the process of
// `options.agent_in_namespaces`.
SocketSettings MakeSocketSettings(const SupervisorOptions& options);

// Mediates a call of family kConnect, kBind, kListen or kSend.
void MediateSocketCall(CallContext& call, syscalls::Family family);

}  // namespace aarm::supervisor
