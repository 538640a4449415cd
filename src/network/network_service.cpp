#include "aarm/network/network_service.hpp"

#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <functional>
#include <mutex>
#include <system_error>
#include <thread>

#include "address.hpp"
#include "dns_service.hpp"
#include "gate.hpp"
#include "handlers.hpp"
#include "host_lookup.hpp"
#include "socket_io.hpp"
#include "acceptor_pool.hpp"
#include "tables.hpp"
#include "worker_pool.hpp"

namespace aarm::network {
namespace {

using detail::Clock;

// Connections served at once; more wait in the listening sockets' backlog until one ends.
constexpr size_t kMaxConnections = 512;
// DNS queries being looked up at once; one more is answered SERVFAIL.
constexpr size_t kMaxQueries = 64;
// getaddrinfo calls at once, for connections and queries together.
constexpr size_t kMaxLookups = 64;
// How long a thread that served a connection or a query waits for the next before it ends.
constexpr auto kIdleThreadLifetime = std::chrono::milliseconds(10000);
// Free places the transparent listener's accept queue must have for the supervisor to connect
// to it without waiting: more than its workers can take at once, with room for the agent's own.
constexpr uint32_t kQueueRoomToSpare = 64;

class Service final : public NetworkService {
 public:
  Service(ServiceSockets sockets, const policy::Engine& engine, policy::ActionObserver& observer,
          ServiceOptions options, detail::Signal stop, detail::FailureState failure)
      : sockets_(std::move(sockets)),
        stop_(std::move(stop)),
        failure_(std::move(failure)),
        lookup_(engine, kMaxLookups),
        gate_(engine, observer, lookup_, failure_, options.audit),
        dns_(engine, gate_, lookup_, names_, sockets_.dns.Get(), stop_.Fd(),
             sockets_.transparent_v6.Valid()),
        context_{gate_,
                 names_,
                 redirects_,
                 stop_.Fd(),
                 options.handshake_timeout,
                 options.first_bytes_wait} {}

  ~Service() override { Stop(); }

  Result<void> Begin() {
    std::vector<detail::AcceptorPool::Listener> listeners;
    const auto add = [&](const UniqueFd& fd, detail::AcceptorPool::Serve serve) {
      if (fd) listeners.push_back({fd.Get(), std::move(serve)});
    };
    add(sockets_.http_proxy, [this](UniqueFd agent, uint16_t port) {
      detail::ServeHttpProxy(context_, std::move(agent), ProxyClient(port));
    });
    add(sockets_.socks_proxy, [this](UniqueFd agent, uint16_t port) {
      detail::ServeSocksProxy(context_, std::move(agent), ProxyClient(port));
    });
    add(sockets_.transparent_v4, [this](UniqueFd agent, uint16_t port) {
      detail::ServeTransparent(context_, std::move(agent), false, port);
    });
    add(sockets_.transparent_v6, [this](UniqueFd agent, uint16_t port) {
      detail::ServeTransparent(context_, std::move(agent), true, port);
    });
    if (auto started = acceptors_.Start(std::move(listeners), stop_.Fd()); !started) {
      return started;
    }
    if (!sockets_.dns) return {};
    try {
      resolver_ = std::thread([this] { AnswerQueries(); });
    } catch (const std::system_error& e) {
      return FailErrno("cannot start the network service's resolver thread", e.code().value());
    }
    return {};
  }

  void ExpectRedirect(bool ipv6, uint16_t local_port, RedirectedConnection original) override {
    redirects_.Expect(ipv6, local_port, std::move(original));
  }

  bool TransparentListenerHasRoom(bool ipv6) const override {
    const UniqueFd& listener = ipv6 ? sockets_.transparent_v6 : sockets_.transparent_v4;
    if (!listener) return false;
    // For a listener the kernel reports its accept queue: its length and its limit.
    tcp_info info{};
    socklen_t length = sizeof info;
    if (::getsockopt(listener.Get(), IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return false;
    return info.tcpi_unacked + kQueueRoomToSpare <= info.tcpi_sacked;
  }

  void ExpectProxyClient(uint16_t local_port, policy::ActingProcess process) override {
    proxy_clients_.Expect(false, local_port, {{}, 0, std::move(process)});
  }

  std::optional<std::string> NameForAddress(const std::string& address) const override {
    return names_.NameFor(address);
  }

  int FailureFd() const override { return failure_.Fd(); }
  std::optional<Error> Failure() const override { return failure_.Get(); }

  void Stop() override {
    std::call_once(stopped_, [this] {
      stop_.Raise();
      if (resolver_.joinable()) resolver_.join();
      acceptors_.Stop();
      queries_.Stop();
      sockets_ = ServiceSockets{};
    });
  }

 private:
  // Takes the DNS queries off the resolver's socket; each is answered on a thread of its own.
  void AnswerQueries() {
    pollfd fds[2] = {{sockets_.dns.Get(), POLLIN, 0}, {stop_.Fd(), POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents) return;
      if (fds[0].revents) {
        dns_.Receive([this](std::function<void()> work) {
          return !stop_.Raised() && queries_.Run(std::move(work));
        });
      }
    }
  }

  policy::ActingProcess ProxyClient(uint16_t peer_port) {
    auto announced = proxy_clients_.Take(false, peer_port);
    return announced ? std::move(announced->process) : policy::ActingProcess{};
  }

  ServiceSockets sockets_;
  detail::Signal stop_;
  detail::FailureState failure_;
  detail::HostLookup lookup_;
  detail::Gate gate_;
  detail::RedirectTable redirects_;
  detail::RedirectTable proxy_clients_;  // who connected to a proxy, by local port
  detail::AddressNames names_;
  detail::DnsService dns_;
  detail::Context context_;
  std::thread resolver_;
  detail::AcceptorPool acceptors_{kMaxConnections, kIdleThreadLifetime};
  detail::WorkerPool queries_{kMaxQueries, kIdleThreadLifetime};
  std::once_flag stopped_;
};

}  // namespace

Result<std::unique_ptr<NetworkService>> NetworkService::Start(ServiceSockets sockets,
                                                              const policy::Engine& engine,
                                                              policy::ActionObserver& observer,
                                                              ServiceOptions options) {
  if (!sockets.http_proxy || !sockets.socks_proxy || !sockets.transparent_v4 || !sockets.dns) {
    return Fail("the network service needs its HTTP proxy, SOCKS proxy, transparent and DNS "
                "sockets");
  }
  for (const auto& [fd, what] : {std::pair{&sockets.http_proxy, "HTTP proxy"},
                                 std::pair{&sockets.socks_proxy, "SOCKS proxy"},
                                 std::pair{&sockets.transparent_v4, "transparent IPv4"},
                                 std::pair{&sockets.transparent_v6, "transparent IPv6"},
                                 std::pair{&sockets.dns, "DNS"}}) {
    if (auto ok = detail::PrepareListener(*fd, what); !ok) return tl::unexpected(ok.error());
  }
  auto stop = detail::Signal::Create();
  if (!stop) return tl::unexpected(stop.error());
  auto failure = detail::FailureState::Create();
  if (!failure) return tl::unexpected(failure.error());
  auto service = std::make_unique<Service>(std::move(sockets), engine, observer, options,
                                           std::move(*stop), std::move(*failure));
  if (auto begun = service->Begin(); !begun) return tl::unexpected(begun.error());
  return service;
}

}  // namespace aarm::network
