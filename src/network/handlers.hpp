// One accepted connection on each of the listening sockets, served to its end on the calling
// thread.
#pragma once

#include <cstdint>

#include "aarm/base/unique_fd.hpp"
#include "aarm/policy/action.hpp"
#include "tunnel.hpp"

namespace aarm::network::detail {

// The HTTP proxy: CONNECT host:port, and absolute http:// requests (one per connection).
// `client`: the process the supervisor saw connect to the proxy (pid 0 when unknown).
void ServeHttpProxy(const Context& context, UniqueFd agent, const policy::ActingProcess& client);

// The SOCKS5 proxy: no authentication, CONNECT to a domain, an IPv4 or an IPv6 address.
void ServeSocksProxy(const Context& context, UniqueFd agent, const policy::ActingProcess& client);

// A connect() the supervisor redirected, accepted from `peer_port` on the loopback of the
// family `ipv6` says.
void ServeTransparent(const Context& context, UniqueFd agent, bool ipv6, uint16_t peer_port);

}  // namespace aarm::network::detail
