// The supervisor's side of the sandbox's network (profile `[network] mode = "proxy"`): an HTTP
// proxy, a SOCKS5 proxy, a transparent listener for programs that ignore both, and a DNS
// resolver, all listening inside the sandbox's network namespace on sockets the sandbox created
// there and handed up. Each connection is decided by host name and port (policy::Engine),
// recorded (policy::ActionObserver) before a byte reaches its destination, then dialled from
// the host side and relayed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"
#include "aarm/policy/action.hpp"
#include "aarm/policy/action_observer.hpp"
#include "aarm/policy/engine.hpp"

namespace aarm::network {

// Where the services listen inside the sandbox (whose network namespace is its own, so fixed
// ports collide with nothing on the host).
inline constexpr uint16_t kHttpProxyPort = 3128;
inline constexpr uint16_t kSocksProxyPort = 1080;
inline constexpr uint16_t kTransparentPort = 15001;
inline constexpr uint16_t kDnsPort = 53;

// Sockets created inside the sandbox's network namespace.
struct ServiceSockets {
  UniqueFd http_proxy;      // listening TCP 127.0.0.1:kHttpProxyPort
  UniqueFd socks_proxy;     // listening TCP 127.0.0.1:kSocksProxyPort
  UniqueFd transparent_v4;  // listening TCP 127.0.0.1:kTransparentPort
  UniqueFd transparent_v6;  // listening TCP [::1]:kTransparentPort; invalid without IPv6
  UniqueFd dns;             // bound UDP 127.0.0.1:kDnsPort
};

// An agent's connect() to an outside address that the supervisor redirected to the
// transparent listener: where it was going, and who asked.
struct RedirectedConnection {
  std::string address;  // canonical numeric form (see policy::Action::address)
  uint16_t port = 0;
  policy::ActingProcess process;
};

struct ServiceOptions {
  bool audit = false;  // record would-be denials, enforce only forbid rules
  // How long a client of the proxies has to send its request head or SOCKS handshake: a slow
  // one (slowloris) is dropped rather than holding a thread.
  std::chrono::milliseconds handshake_timeout{30'000};
  // How long the first bytes of a redirected connection or a tunnel are waited for before it
  // is decided without them (a protocol where the server speaks first sends none).
  std::chrono::milliseconds first_bytes_wait{2'000};
};

class NetworkService {
 public:
  // Starts serving `sockets` on threads of its own. `engine` and `observer` must outlive it.
  static Result<std::unique_ptr<NetworkService>> Start(ServiceSockets sockets,
                                                       const policy::Engine& engine,
                                                       policy::ActionObserver& observer,
                                                       ServiceOptions options);
  virtual ~NetworkService() = default;

  // Called before the supervisor connects an agent's socket, bound to `local_port` on the
  // sandbox's loopback (IPv4 when `ipv6` is false), to the transparent listener: the accepted
  // connection from that port is then decided as a connection to `original`.
  virtual void ExpectRedirect(bool ipv6, uint16_t local_port, RedirectedConnection original) = 0;

  // Whether the transparent listener's accept queue has room to spare, so that a blocking
  // connect to it completes within the call (on a loopback the handshake runs inline) instead
  // of waiting for a retransmitted SYN.
  virtual bool TransparentListenerHasRoom(bool ipv6) const = 0;

  // Called before the supervisor connects an agent's socket, bound to `local_port` on the
  // sandbox's 127.0.0.1, to the HTTP or SOCKS proxy: the connection accepted from that port is
  // then recorded as made by `process` (the proxies alone cannot tell which process of the
  // sandbox is on the other end of a loopback connection).
  virtual void ExpectProxyClient(uint16_t local_port, policy::ActingProcess process) = 0;

  // The name the sandbox's resolver last answered `address` (canonical form) for, if any, so
  // a connect() to a bare address is decided by the name the agent looked up.
  virtual std::optional<std::string> NameForAddress(const std::string& address) const = 0;

  // Readable once the service failed (a receipt could not be written); poll it with POLLIN.
  virtual int FailureFd() const = 0;
  virtual std::optional<Error> Failure() const = 0;

  // Stops accepting, closes every relayed connection (each leaves its closing record), and
  // waits for the service's threads.
  virtual void Stop() = 0;
};

// "HTTP_PROXY=http://127.0.0.1:3128", its lower-case form, HTTPS_PROXY, ALL_PROXY
// (socks5h://, so names are resolved by the proxy), NO_PROXY "localhost,127.0.0.1,::1", each in
// both cases: what the agent's environment gets in proxy mode.
std::vector<std::string> ProxyEnvironment();

// The /etc/resolv.conf the agent sees in proxy mode: the sandbox's resolver.
std::string ResolvConf();

}  // namespace aarm::network
