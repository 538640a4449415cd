#include "socket_calls.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "aarm/base/linux_api.hpp"
#include "agent_message.hpp"
#include "slow_calls.hpp"
#include "socket_address.hpp"
#include "target_memory.hpp"

namespace aarm::supervisor {
namespace {

using policy::ActionKind;
using syscalls::Family;
using SharedFd = std::shared_ptr<UniqueFd>;

// What the agent sees when a rule denies it: a refused connection for an address, the file
// permission error for a unix socket's path, and a permission error for a bind or a send.
constexpr int kConnectDenied = ECONNREFUSED;
constexpr int kUnixDenied = EACCES;
constexpr int kBindOrSendDenied = EACCES;
// The sandbox's own network namespace has no route but its loopback.
constexpr int kNoRoute = ENETUNREACH;
// How long a worker waits for a blocking connect on the sandbox's loopback, whose handshake
// takes some tens of microseconds, before a thread of its own waits for the rest.
constexpr std::chrono::microseconds kLoopbackHandshake{2000};

// The user-space struct mmsghdr of x86-64: a msghdr, then msg_len.
constexpr size_t kMmsghdrSize = 64;
constexpr size_t kMsgLenOffset = 56;

policy::Action NetAction(ActionKind kind, const std::string& protocol) {
  policy::Action action;
  action.kind = kind;
  action.protocol = protocol;
  return action;
}

policy::Action InetAction(ActionKind kind, const std::string& address, uint16_t port,
                          const std::string& protocol) {
  policy::Action action = NetAction(kind, protocol);
  action.address = address;
  action.port = port;
  return action;
}

std::string FamilyName(int family) {
  switch (family) {
    case AF_VSOCK:
      return "vsock";
    case AF_PACKET:
      return "packet";
    case AF_BLUETOOTH:
      return "bluetooth";
    case AF_TIPC:
      return "tipc";
    default:
      return "family " + std::to_string(family);
  }
}

// SECURITY: an address family the supervisor does not know how to judge. Several (vsock among
// them) are not confined by the network namespace, so nothing of theirs goes through.
policy::Decision FamilyRefusal(int family) {
  return {policy::Verdict::kDeny, true, "network.family",
          "sockets of " + FamilyName(family) + " are not mediated"};
}

// SECURITY: the transparent listener takes only the connections the supervisor carries there.
// One the agent made itself would hold a place in its accept queue, which redirected
// connections wait for.
bool ToTransparentListener(const InetAddress& destination) {
  const std::string to = destination.Destination();
  return destination.port == network::kTransparentPort && (to == "127.0.0.1" || to == "::1");
}

policy::Decision TransparentListenerRefusal() {
  return {policy::Verdict::kDeny, true, "network.transparent-port",
          "the transparent listener takes only the connections the supervisor redirects"};
}

RawAddress UnixPathAddress(const std::string& path) {
  RawAddress raw;
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  memcpy(un.sun_path, path.data(), std::min(path.size(), sizeof un.sun_path - 1));
  memcpy(&raw.storage, &un, sizeof un);
  raw.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return raw;
}

// The loopback address the sandbox's listeners are on, in the shape a socket of `domain`
// reaches the family of `ipv4` with (an IPv6 socket reaches IPv4 by a mapped address).
RawAddress Loopback(int domain, bool ipv4, uint16_t port) {
  InetAddress address;
  address.ipv4 = ipv4;
  address.port = port;
  if (ipv4) {
    address.v4.s_addr = htonl(INADDR_LOOPBACK);
  } else {
    address.v6 = in6addr_loopback;
  }
  return InetSockaddr(address, domain == AF_INET6);
}

bool V6Only(int fd) {
  int value = 0;
  socklen_t length = sizeof value;
  return getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &value, &length) == 0 && value != 0;
}

uint16_t LocalPort(int fd) {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return 0;
  if (local.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  if (local.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
  }
  return 0;
}

// What a send answers once its first message went, given the bytes it took: the bytes, or for
// sendmmsg(2) the number of messages.
using AfterSend = std::function<int64_t(int socket, ssize_t sent)>;

// SECURITY: MSG_ZEROCOPY would have the kernel read the supervisor's buffer after the call,
// when it may hold other data; MSG_NOSIGNAL keeps the agent's SIGPIPE off the supervisor.
int KernelSendFlags(int agent_flags) { return (agent_flags & ~MSG_ZEROCOPY) | MSG_NOSIGNAL; }

void SetReply(Reply& reply, int64_t rc, int err) {
  if (rc < 0) {
    reply.kind = Reply::Kind::kError;
    reply.err = err;
  } else {
    reply.kind = Reply::Kind::kValue;
    reply.value = rc;
  }
}

// bind(2) of a unix socket to `name` in directory `parent`, as the agent would: relative to
// that directory and under the agent's umask. Both live in the process's fs_struct, so it runs
// on a thread of its own that unshared it; the name is the one decided, in the directory held.
int BindUnixName(int socket, int parent, const std::string& name, mode_t umask_value) {
  int result = 0;
  std::thread binder([&] {
    if (unshare(CLONE_FS) != 0 || fchdir(parent) != 0) {
      result = errno;
      return;
    }
    umask(umask_value);
    RawAddress address = UnixPathAddress(name);
    result = bind(socket, address.Get(), address.length) == 0 ? 0 : errno;
  });
  binder.join();
  return result;
}

class SocketCall {
 public:
  explicit SocketCall(CallContext& call) : call_(call), settings_(*call.Settings().sockets) {}

  void Connect();
  void Bind();
  void Listen();
  void Send();

 private:
  // Takes the agent's socket `fd`; false (answered) when it cannot.
  bool Take(int fd);
  // Reads the `length` bytes of a sockaddr at `address`; nullopt (answered) when unreadable or
  // longer than any, as the kernel refuses it.
  std::optional<RawAddress> ReadAddress(uint64_t address, uint64_t length);
  bool InSandboxNetwork() const {
    return settings_.sandbox_network && socket_.network == settings_.sandbox_network;
  }
  bool IsInet() const { return socket_.domain == AF_INET || socket_.domain == AF_INET6; }
  // A send with MSG_FASTOPEN on a TCP socket of the sandbox in mode proxy: it may connect, so
  // it is decided as a connect there is (DecideDestination).
  bool FastOpenInProxy() {
    auto flags = static_cast<int>(call_.Arg(call_.Nr() == __NR_sendmsg ? 2 : 3));
    return settings_.mode == policy::NetworkMode::kProxy && socket_.type == SOCK_STREAM &&
           (flags & MSG_FASTOPEN) != 0;
  }
  std::string Protocol() const { return ProtocolName(socket_.type, socket_.protocol); }

  // connect(2) of the taken socket to `to`, answered with its result. On a blocking socket it
  // runs off the worker: a connect to a remote host can take minutes. `keep` stays open until
  // then (the socket file `to` names through /proc/self/fd).
  void PerformConnect(const RawAddress& to, SharedFd keep = nullptr);
  // PerformConnect for a connect on the sandbox's loopback: a blocking one is tried on the
  // worker first, for kLoopbackHandshake.
  void ConnectOnLoopback(const RawAddress& to);
  void ConnectInet(const RawAddress& raw);
  // Mode proxy: binds the socket to the sandbox's loopback, tells the service which port will
  // come with which destination, and connects it to the transparent listener.
  void RedirectToListener(const InetAddress& destination, int family);
  // Mode proxy, a TCP connect to the sandbox's HTTP or SOCKS proxy: binds the socket and tells
  // the service which process is the client. Nothing done for any other connect.
  void AnnounceProxyClient(const InetAddress& destination);
  // What can be decided before redirecting: a name the sandbox's resolver answered this
  // address for, or an address no name could make reachable (cloud metadata, link-local).
  // True (recorded and answered) when denied.
  bool DeniedBeforeRedirect(const InetAddress& destination);
  // Resolves a unix socket's path in the agent's view and decides `kind` on it; the socket
  // file, held O_PATH, or an invalid fd (answered).
  UniqueFd DecideUnixPath(const std::string& path, ActionKind kind);
  void ConnectUnix(const RawAddress& raw);
  // An abstract unix socket: decided (protocol "unix", no path) when the socket is in the
  // sandbox's network namespace; false when answered.
  bool DecideAbstract(ActionKind kind);
  void BindUnixPath(const std::string& path);

  // Where one message goes, decided: sets `destination` (unset: the socket's peer), false when
  // answered. `keep` receives the socket file a unix destination names.
  bool DecideDestination(const CopiedMessage& message, std::optional<RawAddress>& destination,
                         SharedFd& keep);
  void SendMany(uint64_t vector, uint64_t count, int flags);
  // Sends `message` as the agent would see the kernel do it; a wait for room in the socket's
  // buffer goes off the worker. `after` (may be empty) gives the answer once it went.
  void PerformSend(std::shared_ptr<CopiedMessage> message, std::optional<RawAddress> destination,
                   SharedFd keep, int flags, AfterSend after);
  // Where the descriptors of SCM_RIGHTS are taken from: unix sockets pass them, others do not.
  int PassingPidfd() { return socket_.domain == AF_UNIX ? call_.Pidfd() : -1; }

  CallContext& call_;
  const SocketSettings& settings_;
  AgentSocket socket_;
};

bool SocketCall::Take(int fd) {
  int pidfd = call_.Pidfd();
  if (pidfd < 0) return false;
  auto taken = TakeSocket(pidfd, fd);
  if (!taken) {
    call_.ReplyError(taken.error().sys_errno ? taken.error().sys_errno : EBADF);
    return false;
  }
  socket_ = std::move(*taken);
  return true;
}

std::optional<RawAddress> SocketCall::ReadAddress(uint64_t address, uint64_t length) {
  auto size = static_cast<int32_t>(length);
  if (size < 0 || static_cast<size_t>(size) > sizeof(sockaddr_storage)) {
    call_.ReplyError(EINVAL);
    return std::nullopt;
  }
  RawAddress raw;
  raw.length = static_cast<socklen_t>(size);
  if (size > 0 && !ReadMemory(call_.Pid(), address, &raw.storage, raw.length)) {
    call_.ReplyError(EFAULT);
    return std::nullopt;
  }
  return raw;
}

void SocketCall::PerformConnect(const RawAddress& to, SharedFd keep) {
  if (socket_.Nonblocking()) {
    int rc = connect(socket_.fd.Get(), to.Get(), to.length);
    call_.ReplyFromLastCall(rc);
    return;
  }
  auto socket = std::make_shared<UniqueFd>(std::move(socket_.fd));
  call_.FinishLater([socket, to, keep](Reply& reply) {
    int rc = connect(socket->Get(), to.Get(), to.length);
    SetReply(reply, rc, errno);
  });
}

void SocketCall::ConnectOnLoopback(const RawAddress& to) {
  if (socket_.Nonblocking()) return PerformConnect(to);
  auto bounded = ConnectWithin(socket_.fd.Get(), to.Get(), to.length, kLoopbackHandshake);
  if (bounded.state == BoundedConnect::State::kNotTried) return PerformConnect(to);
  if (bounded.state == BoundedConnect::State::kDone) {
    return bounded.err == 0 ? call_.ReplyValue(0) : call_.ReplyError(bounded.err);
  }
  auto socket = std::make_shared<UniqueFd>(std::move(socket_.fd));
  call_.FinishLater([socket, to](Reply& reply) {
    int err = FinishConnect(socket->Get(), to.Get(), to.length);
    SetReply(reply, err == 0 ? 0 : -1, err);
  });
}

void SocketCall::Connect() {
  auto raw = ReadAddress(call_.Arg(1), call_.Arg(2));
  if (!raw || !Take(call_.FdArg(0))) return;
  if (IsInet()) return ConnectInet(*raw);
  if (socket_.domain == AF_UNIX) return ConnectUnix(*raw);
  if (socket_.domain == AF_NETLINK) return PerformConnect(*raw);
  call_.Refuse(NetAction(ActionKind::kNetConnect, FamilyName(socket_.domain)),
               FamilyRefusal(socket_.domain), kConnectDenied);
}

void SocketCall::ConnectInet(const RawAddress& raw) {
  auto destination = ParseInet(raw, false);
  // Not an address the socket can go to (AF_UNSPEC disconnects it, anything else is refused by
  // the kernel): the bytes read, which no thread can change any more, are passed on.
  if (!destination) return PerformConnect(raw);
  bool as_ipv6 = raw.Family() == AF_INET6;
  policy::Action action = InetAction(ActionKind::kNetConnect, destination->Destination(),
                                     destination->port, Protocol());
  if (!InSandboxNetwork()) {
    if (!call_.Decide(std::move(action), kConnectDenied)) return;
    return PerformConnect(InetSockaddr(*destination, as_ipv6));
  }
  // In the sandbox's namespace the loopback is the sandbox's own, and nothing else is routed:
  // whatever a racing thread writes into the address now, the kernel cannot take it out. In
  // mode proxy one place on it is not the agent's: the transparent listener.
  if (destination->Loopback() || destination->Unspecified()) {
    if (settings_.mode != policy::NetworkMode::kProxy) return call_.ReplyContinue();
    if (ToTransparentListener(*destination)) {
      return call_.Refuse(std::move(action), TransparentListenerRefusal(), kConnectDenied);
    }
    AnnounceProxyClient(*destination);
    // SECURITY: to the address read, not continued: the kernel would read it again, after a
    // racing thread may have written the transparent listener's port into it.
    return ConnectOnLoopback(InetSockaddr(*destination, as_ipv6));
  }
  bool tcp = socket_.type == SOCK_STREAM &&
             (socket_.protocol == IPPROTO_TCP || socket_.protocol == IPPROTO_MPTCP);
  if (settings_.mode == policy::NetworkMode::kProxy && settings_.service != nullptr && tcp) {
    return RedirectToListener(*destination, raw.Family());
  }
  if (!call_.Decide(std::move(action), kNoRoute)) return;
  PerformConnect(InetSockaddr(*destination, as_ipv6));
}

void SocketCall::AnnounceProxyClient(const InetAddress& destination) {
  bool tcp = socket_.type == SOCK_STREAM && socket_.protocol != IPPROTO_SCTP;
  bool proxy_port = destination.port == network::kHttpProxyPort ||
                    destination.port == network::kSocksProxyPort;
  if (settings_.service == nullptr || !tcp || !proxy_port ||
      destination.Destination() != "127.0.0.1" || socket_.Connected()) {
    return;
  }
  if (socket_.domain == AF_INET6 && V6Only(socket_.fd.Get())) return;
  int fd = socket_.fd.Get();
  if (!socket_.Bound()) {
    RawAddress local = Loopback(socket_.domain, true, 0);
    if (bind(fd, local.Get(), local.length) != 0) return;
  }
  uint16_t port = LocalPort(fd);
  if (port != 0) settings_.service->ExpectProxyClient(port, call_.Process());
}

bool SocketCall::DeniedBeforeRedirect(const InetAddress& destination) {
  policy::Action action = InetAction(ActionKind::kNetConnect, destination.Destination(),
                                     destination.port, Protocol());
  if (auto name = settings_.service->NameForAddress(action.address)) {
    // The name the agent looked up, decided before any lookup on the host side; a server name
    // sent later can only narrow what is reached, never widen a name denied here.
    action.host = std::move(*name);
    action.address.clear();
  }
  policy::Decision decision = call_.Settings().engine.Decide(action);
  bool by_address = decision.rule == "network.metadata" || decision.rule == "network.link-local";
  if (decision.verdict != policy::Verdict::kDeny || (action.host.empty() && !by_address)) {
    return false;
  }
  // The agent's connect fails at once, as on a network that refuses it, instead of connecting
  // to be reset once the service has read nothing it could allow.
  return !call_.Decide(std::move(action), kConnectDenied);
}

void SocketCall::RedirectToListener(const InetAddress& destination, int family) {
  if (!destination.ipv4 && !settings_.ipv6_listener) {
    policy::Action action = InetAction(ActionKind::kNetConnect, destination.Destination(),
                                       destination.port, Protocol());
    return call_.Refuse(std::move(action),
                        {policy::Verdict::kDeny, true, "network.ipv6",
                         "the sandbox has no IPv6 loopback to carry the connection"},
                        kNoRoute);
  }
  // What the kernel answers an address the socket cannot reach.
  if (socket_.domain == AF_INET && family != AF_INET) return call_.ReplyError(EAFNOSUPPORT);
  if (socket_.domain == AF_INET6 && destination.ipv4 && V6Only(socket_.fd.Get())) {
    return call_.ReplyError(family == AF_INET ? EAFNOSUPPORT : ENETUNREACH);
  }
  if (socket_.Connected()) return call_.ReplyError(EISCONN);
  if (DeniedBeforeRedirect(destination)) return;
  int fd = socket_.fd.Get();
  if (!socket_.Bound()) {
    RawAddress local = Loopback(socket_.domain, destination.ipv4, 0);
    if (bind(fd, local.Get(), local.length) != 0) return call_.ReplyError(errno);
  }
  uint16_t port = LocalPort(fd);
  if (port == 0) return call_.ReplyError(EADDRNOTAVAIL);
  // The service decides when it sees the first bytes (the TLS server name, the HTTP host): it
  // records the connection then, under the name asked for.
  settings_.service->ExpectRedirect(!destination.ipv4, port,
                                    {destination.Destination(), destination.port, call_.Process()});
  RawAddress listener = Loopback(socket_.domain, destination.ipv4, network::kTransparentPort);
  if (settings_.service->TransparentListenerHasRoom(!destination.ipv4)) {
    // Completes within the call, so no thread of its own is needed to wait for it.
    return call_.ReplyFromLastCall(connect(fd, listener.Get(), listener.length));
  }
  PerformConnect(listener);
}

UniqueFd SocketCall::DecideUnixPath(const std::string& path, ActionKind kind) {
  if (!call_.OpenView()) return UniqueFd();
  ResolveOptions options;
  options.follow_last = true;
  auto resolved = call_.ResolveOrReply(AT_FDCWD, path, options);
  if (!resolved) return UniqueFd();
  policy::Action action = NetAction(kind, "unix");
  action.path = resolved->path;
  if (!call_.Decide(std::move(action), kUnixDenied)) return UniqueFd();
  UniqueFd object = resolved->magic_link
                        ? std::move(resolved->object)
                        : UniqueFd(openat(resolved->parent.Get(), resolved->name.c_str(),
                                          O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!object) {
    call_.ReplyError(errno);
    return object;
  }
  struct stat st;
  if (fstat(object.Get(), &st) != 0) {
    call_.ReplyError(errno);
    return UniqueFd();
  }
  if (call_.IsHiddenObject(st.st_dev, st.st_ino)) return UniqueFd();
  // What the kernel answers for a path that is not a socket.
  if (!S_ISSOCK(st.st_mode)) {
    call_.ReplyError(ECONNREFUSED);
    return UniqueFd();
  }
  return object;
}

bool SocketCall::DecideAbstract(ActionKind kind) {
  // Abstract names belong to a network namespace. Outside the sandbox's, those of the host's
  // are out of the agent's reach (Landlock's scope answers EPERM when the kernel looks one up),
  // and the supervisor, outside that scope, must not reach them in the agent's place.
  if (!InSandboxNetwork()) {
    call_.ReplyError(EPERM);
    return false;
  }
  return call_.Decide(NetAction(kind, "unix"), kUnixDenied);
}

void SocketCall::ConnectUnix(const RawAddress& raw) {
  UnixAddress address = ParseUnix(raw);
  if (raw.Family() != AF_UNIX || address.kind == UnixAddress::Kind::kUnnamed) {
    return PerformConnect(raw);
  }
  if (address.kind == UnixAddress::Kind::kAbstract) {
    if (!DecideAbstract(ActionKind::kNetConnect)) return;
    return PerformConnect(raw);
  }
  UniqueFd object = DecideUnixPath(address.name, ActionKind::kNetConnect);
  if (!object) return;
  // SECURITY: the socket file decided on, through our descriptor of it: a path the agent could
  // swap would be looked up again.
  RawAddress via = UnixPathAddress("/proc/self/fd/" + std::to_string(object.Get()));
  PerformConnect(via, std::make_shared<UniqueFd>(std::move(object)));
}

void SocketCall::Bind() {
  auto raw = ReadAddress(call_.Arg(1), call_.Arg(2));
  if (!raw || !Take(call_.FdArg(0))) return;
  int fd = socket_.fd.Get();
  if (IsInet()) {
    if (InSandboxNetwork()) return call_.ReplyContinue();
    // IPv4 sockets take AF_UNSPEC for the any-address, and for no other.
    auto address = ParseInet(*raw, socket_.domain == AF_INET);
    if (!address) return call_.ReplyFromLastCall(bind(fd, raw->Get(), raw->length));
    if (raw->Family() == AF_UNSPEC && !address->Unspecified()) {
      return call_.ReplyError(EAFNOSUPPORT);
    }
    policy::Action action =
        InetAction(ActionKind::kNetBind, address->Canonical(), address->port, Protocol());
    if (!call_.Decide(std::move(action), kBindOrSendDenied)) return;
    RawAddress decided = InetSockaddr(*address, raw->Family() == AF_INET6);
    return call_.ReplyFromLastCall(bind(fd, decided.Get(), decided.length));
  }
  if (socket_.domain == AF_UNIX) {
    UnixAddress address = ParseUnix(*raw);
    if (raw->Family() == AF_UNIX && address.kind == UnixAddress::Kind::kPath) {
      return BindUnixPath(address.name);
    }
    return call_.ReplyFromLastCall(bind(fd, raw->Get(), raw->length));
  }
  if (socket_.domain == AF_NETLINK) return call_.ReplyFromLastCall(bind(fd, raw->Get(), raw->length));
  call_.Refuse(NetAction(ActionKind::kNetBind, FamilyName(socket_.domain)),
               FamilyRefusal(socket_.domain), kBindOrSendDenied);
}

void SocketCall::BindUnixPath(const std::string& path) {
  // Without a mount namespace of the agent's own the kernel binds, inside the agent's Landlock
  // domain, which bounds where a socket file can be made (see "Calls the kernel continues").
  if (!call_.Settings().perform) return call_.ReplyContinue();
  if (!call_.OpenView()) return;
  ResolveOptions options;
  options.follow_last = false;
  auto resolved = call_.ResolveOrReply(AT_FDCWD, path, options);
  if (!resolved) return;
  // A socket file is a new file, decided as mknod(2) of one is.
  policy::Action action;
  action.kind = ActionKind::kFileCreate;
  action.path = resolved->path;
  if (!call_.Decide(std::move(action), EACCES)) return;
  if (resolved->magic_link || resolved->name == ".") return call_.ReplyError(EADDRINUSE);
  int err = BindUnixName(socket_.fd.Get(), resolved->parent.Get(), resolved->name,
                         call_.View().Status().umask);
  if (err != 0) return call_.ReplyError(err);
  call_.ReplyValue(0);
}

void SocketCall::Listen() {
  if (!Take(call_.FdArg(0))) return;
  int fd = socket_.fd.Get();
  auto backlog = static_cast<int>(call_.Arg(1));
  if (IsInet() && !InSandboxNetwork() && !socket_.Bound()) {
    // listen(2) binds an unbound socket to a port of the kernel's choice on every address.
    bool ipv4 = socket_.domain == AF_INET;
    policy::Action action =
        InetAction(ActionKind::kNetBind, ipv4 ? "0.0.0.0" : "::", 0, Protocol());
    if (!call_.Decide(std::move(action), kBindOrSendDenied)) return;
  }
  call_.ReplyFromLastCall(listen(fd, backlog));
}

bool SocketCall::DecideDestination(const CopiedMessage& message,
                                   std::optional<RawAddress>& destination, SharedFd& keep) {
  destination.reset();
  if (!message.has_name) return true;
  const RawAddress& raw = message.name;
  if (IsInet()) {
    // A connected stream socket ignores the address; IPv6 datagram sockets read AF_UNSPEC as
    // none.
    if (socket_.type == SOCK_STREAM && socket_.Connected()) return true;
    if (socket_.domain == AF_INET6 && raw.Family() == AF_UNSPEC) return true;
    auto address = ParseInet(raw, socket_.domain == AF_INET);
    if (!address) {
      destination = raw;  // refused by the kernel
      return true;
    }
    // An unconnected stream socket connects to the address (TCP Fast Open).
    bool stream = socket_.type == SOCK_STREAM;
    policy::Action action =
        InetAction(stream ? ActionKind::kNetConnect : ActionKind::kNetSend, address->Destination(),
                   address->port, Protocol());
    if (InSandboxNetwork()) {
      // A Fast Open connect in mode proxy (Send): the sandbox's loopback is its own but for the
      // transparent listener, and nothing else is routed.
      if (!ToTransparentListener(*address)) {
        destination = InetSockaddr(*address, raw.Family() == AF_INET6);
        return true;
      }
      call_.Refuse(std::move(action), TransparentListenerRefusal(), kConnectDenied);
      return false;
    }
    if (!call_.Decide(std::move(action), stream ? kConnectDenied : kBindOrSendDenied)) return false;
    destination = InetSockaddr(*address, raw.Family() == AF_INET6);
    return true;
  }
  if (socket_.domain == AF_UNIX) {
    UnixAddress address = ParseUnix(raw);
    if (socket_.type != SOCK_DGRAM || raw.Family() != AF_UNIX ||
        address.kind == UnixAddress::Kind::kUnnamed) {
      destination = raw;  // ignored or refused by the kernel
      return true;
    }
    if (address.kind == UnixAddress::Kind::kAbstract) {
      if (!DecideAbstract(ActionKind::kNetSend)) return false;
      destination = raw;
      return true;
    }
    UniqueFd object = DecideUnixPath(address.name, ActionKind::kNetSend);
    if (!object) return false;
    destination = UnixPathAddress("/proc/self/fd/" + std::to_string(object.Get()));
    keep = std::make_shared<UniqueFd>(std::move(object));
    return true;
  }
  if (socket_.domain == AF_NETLINK) {
    destination = raw;
    return true;
  }
  call_.Refuse(NetAction(ActionKind::kNetSend, FamilyName(socket_.domain)),
               FamilyRefusal(socket_.domain), kBindOrSendDenied);
  return false;
}

void SocketCall::Send() {
  if (!Take(call_.FdArg(0))) return;
  // In the sandbox's namespace nothing but its loopback is reachable, whatever the address.
  if (IsInet() && InSandboxNetwork() && !FastOpenInProxy()) return call_.ReplyContinue();
  if (call_.Nr() == __NR_sendmmsg) {
    return SendMany(call_.Arg(1), call_.Arg(2), static_cast<int>(call_.Arg(3)));
  }
  bool message_socket = socket_.type != SOCK_STREAM;
  Result<CopiedMessage> message;
  int flags = 0;
  if (call_.Nr() == __NR_sendto) {
    message = CopySendto(call_.Pid(), call_.Arg(1), call_.Arg(2), call_.Arg(4), call_.Arg(5),
                         message_socket);
    flags = static_cast<int>(call_.Arg(3));
  } else {
    auto header = ReadMsghdr(call_.Pid(), call_.Arg(1));
    if (!header) return call_.ReplyError(header.error().sys_errno);
    message = CopyMessage(call_.Pid(), *header, message_socket, PassingPidfd());
    flags = static_cast<int>(call_.Arg(2));
  }
  if (!message) return call_.ReplyError(message.error().sys_errno);
  if (!call_.StillPending()) return;
  auto copied = std::make_shared<CopiedMessage>(std::move(*message));
  std::optional<RawAddress> destination;
  SharedFd keep;
  if (!DecideDestination(*copied, destination, keep)) return;
  PerformSend(std::move(copied), std::move(destination), std::move(keep), flags, nullptr);
}

void SocketCall::SendMany(uint64_t vector, uint64_t count, int flags) {
  count = std::min<uint64_t>(static_cast<uint32_t>(count), UIO_MAXIOV);
  if (count == 0) return call_.ReplyValue(0);
  bool message_socket = socket_.type != SOCK_STREAM;
  // SECURITY: one destination is decided per call, the first message's. The batch stops before
  // any later message that names one, and the agent's next call starts with it; it stops too
  // where the data copied would exceed what one send copies.
  std::vector<std::shared_ptr<CopiedMessage>> batch;
  size_t copied = 0;
  for (uint64_t i = 0; i < count; ++i) {
    auto header = ReadMsghdr(call_.Pid(), vector + i * kMmsghdrSize);
    if (header && i > 0 && header->name != 0 && header->name_length != 0) break;
    auto message = header ? CopyMessage(call_.Pid(), *header, message_socket, PassingPidfd())
                          : Result<CopiedMessage>(tl::unexpected(header.error()));
    if (!message) {
      if (i == 0) return call_.ReplyError(message.error().sys_errno);
      break;
    }
    if (i > 0 && copied + message->data.size() > kMaxSendBytes) break;
    copied += message->data.size();
    batch.push_back(std::make_shared<CopiedMessage>(std::move(*message)));
  }
  if (!call_.StillPending()) return;
  std::optional<RawAddress> destination;
  SharedFd keep;
  if (!DecideDestination(*batch[0], destination, keep)) return;
  // The messages after the first go as far as they do without waiting; sendmmsg(2) answers
  // the count sent, and writes each one's length into its msg_len.
  pid_t pid = call_.Pid();
  auto record_length = [pid, vector](uint64_t i, ssize_t sent) {
    auto length = static_cast<uint32_t>(sent);
    WriteMemory(pid, vector + i * kMmsghdrSize + kMsgLenOffset, &length, sizeof length);
  };
  std::vector<std::shared_ptr<CopiedMessage>> rest(batch.begin() + 1, batch.end());
  AfterSend after = [record_length, rest, flags](int socket, ssize_t sent) -> int64_t {
    record_length(0, sent);
    int64_t count = 1;
    for (const auto& message : rest) {
      ssize_t n = message->Send(socket, nullptr, KernelSendFlags(flags) | MSG_DONTWAIT);
      if (n < 0) break;
      record_length(static_cast<uint64_t>(count++), n);
    }
    return count;
  };
  PerformSend(batch[0], std::move(destination), std::move(keep), flags, std::move(after));
}

void SocketCall::PerformSend(std::shared_ptr<CopiedMessage> message,
                             std::optional<RawAddress> destination, SharedFd keep, int flags,
                             AfterSend after) {
  int send_flags = KernelSendFlags(flags);
  bool agent_waits = !(flags & MSG_DONTWAIT) && !socket_.Nonblocking();
  // The agent's SIGPIPE, which the kernel would have raised in the agent's thread.
  SharedFd signal_to = std::make_shared<UniqueFd>();
  if (!(flags & MSG_NOSIGNAL) && call_.Pidfd() >= 0) {
    signal_to->Reset(fcntl(call_.Pidfd(), F_DUPFD_CLOEXEC, 0));
  }
  auto complete = [after, signal_to](Reply& reply, int socket, ssize_t n, int err) {
    if (n < 0 && err == EPIPE && *signal_to) {
      linux_api::PidfdSendSignal(signal_to->Get(), SIGPIPE);
    }
    SetReply(reply, n < 0 ? -1 : (after ? after(socket, n) : n), err);
  };

  const RawAddress* to = destination ? &*destination : nullptr;
  ssize_t n = message->Send(socket_.fd.Get(), to, send_flags | MSG_DONTWAIT);
  int err = errno;
  // EINPROGRESS: a TCP Fast Open send (MSG_FASTOPEN, or TCP_FASTOPEN_CONNECT's deferred
  // connect) whose handshake MSG_DONTWAIT left under way; the agent's own call waits for it.
  bool connecting = n < 0 && err == EINPROGRESS && socket_.type == SOCK_STREAM;
  bool would_block = n < 0 && (err == EAGAIN || err == EWOULDBLOCK || connecting);
  // A stream socket that took part of the data: the agent's blocking send waits for the rest.
  bool partial = n >= 0 && static_cast<size_t>(n) < message->data.size() &&
                 socket_.type == SOCK_STREAM;
  if (!agent_waits || !(would_block || partial)) {
    Reply reply;
    complete(reply, socket_.fd.Get(), n, err);
    if (reply.kind == Reply::Kind::kError) return call_.ReplyError(reply.err);
    return call_.ReplyValue(reply.value);
  }
  auto done = static_cast<size_t>(std::max<ssize_t>(n, 0));
  message->data.erase(message->data.begin(), message->data.begin() + static_cast<ptrdiff_t>(done));
  auto socket = std::make_shared<UniqueFd>(std::move(socket_.fd));
  // `keep` holds the socket file a unix destination names until the send is done.
  call_.FinishLater([message, destination, keep, socket, send_flags, done, complete](Reply& reply) {
    // After a first piece went, a stream socket is connected: no destination any more.
    const RawAddress* target = destination && done == 0 ? &*destination : nullptr;
    ssize_t rest = message->Send(socket->Get(), target, send_flags);
    int rest_err = errno;
    // A failure after a first piece is the agent's to learn on its next call, as after any
    // short send.
    if (rest < 0 && done > 0) return complete(reply, socket->Get(), static_cast<ssize_t>(done), 0);
    complete(reply, socket->Get(), rest < 0 ? rest : rest + static_cast<ssize_t>(done), rest_err);
  });
}

}  // namespace

SocketSettings MakeSocketSettings(const SupervisorOptions& options) {
  SocketSettings settings;
  settings.mode = options.network_mode;
  settings.service = options.network;
  settings.ipv6_listener = options.network_ipv6;
  if (options.agent_in_namespaces > 0) {
    auto sandbox = NetworkNamespaceOf(options.agent_in_namespaces);
    if (sandbox && sandbox != NetworkNamespaceOf(0)) settings.sandbox_network = sandbox;
  }
  return settings;
}

void MediateSocketCall(CallContext& call, syscalls::Family family) {
  SocketCall socket(call);
  if (family == Family::kConnect) {
    socket.Connect();
  } else if (family == Family::kBind) {
    socket.Bind();
  } else if (family == Family::kListen) {
    socket.Listen();
  } else {
    socket.Send();
  }
}

}  // namespace aarm::supervisor
