#include "agent_socket.hpp"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace aarm::supervisor {
namespace {

int SocketOption(int fd, int option) {
  int value = 0;
  socklen_t length = sizeof value;
  if (getsockopt(fd, SOL_SOCKET, option, &value, &length) != 0) return -1;
  return value;
}

std::optional<NamespaceId> IdOf(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return std::nullopt;
  return NamespaceId{st.st_dev, st.st_ino};
}

}  // namespace

std::optional<NamespaceId> NetworkNamespaceOf(pid_t pid) {
  std::string path = pid ? "/proc/" + std::to_string(pid) + "/ns/net" : "/proc/self/ns/net";
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return NamespaceId{st.st_dev, st.st_ino};
}

bool AgentSocket::Nonblocking() const {
  int flags = fcntl(fd.Get(), F_GETFL);
  return flags >= 0 && (flags & O_NONBLOCK);
}

bool AgentSocket::Bound() const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
  if (domain == AF_INET) return reinterpret_cast<sockaddr_in*>(&address)->sin_port != 0;
  if (domain == AF_INET6) return reinterpret_cast<sockaddr_in6*>(&address)->sin6_port != 0;
  return length > sizeof(sa_family_t);
}

bool AgentSocket::Connected() const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  return getpeername(fd.Get(), reinterpret_cast<sockaddr*>(&address), &length) == 0;
}

Result<UniqueFd> TakeDescriptor(int pidfd, int agent_fd) {
  UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, agent_fd, 0)));
  if (!fd) return FailErrno("pidfd_getfd");
  return fd;
}

Result<AgentSocket> TakeSocket(int pidfd, int agent_fd) {
  auto fd = TakeDescriptor(pidfd, agent_fd);
  if (!fd) return tl::unexpected(fd.error());
  struct stat st;
  if (fstat(fd->Get(), &st) != 0) return FailErrno("fstat of a taken descriptor");
  if (!S_ISSOCK(st.st_mode)) return FailErrno("not a socket", ENOTSOCK);
  AgentSocket socket;
  socket.fd = std::move(*fd);
  socket.domain = SocketOption(socket.fd.Get(), SO_DOMAIN);
  socket.type = SocketOption(socket.fd.Get(), SO_TYPE);
  socket.protocol = SocketOption(socket.fd.Get(), SO_PROTOCOL);
  // SIOCGSKNS needs CAP_NET_ADMIN over the socket's namespace: we hold it over the sandbox's
  // (its user namespace is ours), never over the host's — where the answer does not matter.
  UniqueFd ns(ioctl(socket.fd.Get(), SIOCGSKNS));
  if (ns) socket.network = IdOf(ns.Get());
  return socket;
}

}  // namespace aarm::supervisor
