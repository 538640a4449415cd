#include "tunnel.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>

#include "address.hpp"

namespace aarm::network::detail {
namespace {

std::string Described(const policy::Action& admitted) {
  return admitted.host.empty() ? admitted.address : admitted.host;
}

}  // namespace

Destination ProxyDestination(const Context& context, const std::string& host, uint16_t port) {
  if (auto address = CanonicalAddress(host)) {
    if (auto name = context.names.NameFor(*address)) return {std::move(*name), {}, port, {}};
  }
  return {host, {}, port, {}};
}

Result<UniqueFd> DialAdmitted(const Context& context, const Admission& admission) {
  auto remote = Dial(admission.action.address, admission.action.port,
                     Clock::now() + kDialTimeout, context.stop_fd);
  if (!remote) context.gate.Closed(admission, {});
  return remote;
}

std::optional<Sniffed> ReadFirstBytes(const Context& context, int agent, int remote,
                                      std::string& bytes, Clock::time_point deadline) {
  std::array<char, 16 * 1024> chunk;
  for (;;) {
    Sniffed sniffed = SniffFirstBytes(bytes, false);
    if (sniffed.kind != Sniffed::Kind::kNeedMore) return sniffed;
    if (bytes.size() >= kMaxSniffBytes) return SniffFirstBytes(bytes, true);
    std::array<pollfd, 3> fds = {pollfd{agent, POLLIN, 0}, pollfd{remote, POLLIN, 0},
                                 pollfd{context.stop_fd, POLLIN, 0}};
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return SniffFirstBytes(bytes, true);
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n > 0 && fds[2].revents) return std::nullopt;
    if (n <= 0 || fds[1].revents) return SniffFirstBytes(bytes, true);
    const size_t room = std::min(chunk.size(), kMaxSniffBytes - bytes.size());
    const ssize_t got = ::recv(agent, chunk.data(), room, 0);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got <= 0) return SniffFirstBytes(bytes, true);
    bytes.append(chunk.data(), static_cast<size_t>(got));
  }
}

bool NamesAdmittedHost(const std::string& named, const policy::Action& admitted) {
  const HostIdentity identity = IdentifyHost(named);
  switch (identity.kind) {
    case HostIdentity::Kind::kName: return identity.text == admitted.host;
    case HostIdentity::Kind::kAddress: return identity.text == admitted.address;
    case HostIdentity::Kind::kInvalid: return false;
  }
  return false;
}

void RunTunnel(const Context& context, const Admission& admission, UniqueFd agent, UniqueFd remote,
               std::string initial) {
  const auto read = ReadFirstBytes(context, agent.Get(), remote.Get(), initial,
                                   Clock::now() + context.first_bytes_wait);
  if (!read) {
    context.gate.Closed(admission, {});
    return;
  }
  const Sniffed& sniffed = *read;
  std::optional<std::string> reason;
  if (sniffed.kind == Sniffed::Kind::kMalformed) {
    reason = fmt::format("the first bytes in a tunnel to '{}' are {}", Described(admission.action),
                         sniffed.problem);
  } else if (sniffed.host && !NamesAdmittedHost(*sniffed.host, admission.action)) {
    reason = fmt::format("{} '{}' in a tunnel to '{}'",
                         sniffed.kind == Sniffed::Kind::kTls ? "the TLS server name"
                                                             : "the HTTP Host",
                         *sniffed.host, Described(admission.action));
  }
  if (reason) {
    policy::Action fronted = admission.action;
    if (sniffed.host) fronted.host = *sniffed.host;
    if (context.gate.Refuse(fronted, {policy::Verdict::kDeny, false, kRuleFronting, *reason})) {
      context.gate.Closed(admission, {});
      CloseWithReset(std::move(agent));
      return;
    }
  }
  RelayAndClose(context, admission, agent.Get(), remote.Get(), {initial, {}, nullptr});
}

void RelayAndClose(const Context& context, const Admission& admission, int agent, int remote,
                   const RelayOptions& options) {
  context.gate.Closed(admission, Relay(agent, remote, options, context.stop_fd));
}

}  // namespace aarm::network::detail
