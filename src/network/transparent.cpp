#include <fmt/format.h>

#include "address.hpp"
#include "handlers.hpp"

namespace aarm::network::detail {

void ServeTransparent(const Context& context, UniqueFd agent, bool ipv6, uint16_t peer_port) {
  // Only connections the supervisor announced are served; anything else inside the sandbox
  // that finds the listener is turned away.
  auto original = context.redirects.Take(ipv6, peer_port);
  if (!original) {
    CloseWithReset(std::move(agent));
    return;
  }
  std::string first;
  const auto read =
      ReadFirstBytes(context, agent.Get(), -1, first, Clock::now() + context.first_bytes_wait);
  if (!read || context.gate.Failed()) {
    CloseWithReset(std::move(agent));
    return;
  }
  const Sniffed& sniffed = *read;

  Destination destination{{}, original->address, original->port, original->process};
  if (sniffed.kind == Sniffed::Kind::kMalformed) {
    policy::Action action;
    action.kind = policy::ActionKind::kNetConnect;
    action.protocol = "tcp";
    action.address = original->address;
    action.port = original->port;
    action.process = original->process;
    const std::string reason = fmt::format("the first bytes are {}", sniffed.problem);
    if (context.gate.Refuse(action, {policy::Verdict::kDeny, false, kRuleFirstBytes, reason})) {
      CloseWithReset(std::move(agent));
      return;
    }
  } else if (sniffed.host && IdentifyHost(*sniffed.host).kind != HostIdentity::Kind::kAddress) {
    // The name the agent's own bytes give is the one it is decided and dialled by: a server
    // name sent to an address of another host reaches the host it names, or nothing.
    destination.host = *sniffed.host;
  }
  if (destination.host.empty()) {
    if (auto name = context.names.NameFor(original->address)) destination.host = std::move(*name);
  }

  const Admission admission = context.gate.Admit(destination, context.stop_fd);
  if (admission.outcome != Admission::Outcome::kAllowed) {
    CloseWithReset(std::move(agent));
    return;
  }
  auto remote = DialAdmitted(context, admission);
  if (!remote) {
    CloseWithReset(std::move(agent));
    return;
  }
  RelayAndClose(context, admission, agent.Get(), remote->Get(), {first, {}, nullptr});
}

}  // namespace aarm::network::detail
