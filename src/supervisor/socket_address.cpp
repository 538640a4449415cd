#include "socket_address.hpp"

#include <arpa/inet.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

namespace aarm::supervisor {
namespace {

// The part of sockaddr_in6 the kernel requires (RFC 2133's layout, without sin6_scope_id).
constexpr socklen_t kMinSockaddrIn6 = 24;

in6_addr MappedV6(in_addr v4) {
  in6_addr v6{};
  v6.s6_addr[10] = 0xff;
  v6.s6_addr[11] = 0xff;
  memcpy(&v6.s6_addr[12], &v4, sizeof v4);
  return v6;
}

}  // namespace

int RawAddress::Family() const {
  if (length < static_cast<socklen_t>(sizeof(sa_family_t))) return AF_UNSPEC;
  return storage.ss_family;
}

bool InetAddress::Loopback() const {
  if (ipv4) return (ntohl(v4.s_addr) >> 24) == 127;
  return IN6_IS_ADDR_LOOPBACK(&v6);
}

bool InetAddress::Unspecified() const {
  if (ipv4) return v4.s_addr == htonl(INADDR_ANY);
  return IN6_IS_ADDR_UNSPECIFIED(&v6);
}

std::string InetAddress::Canonical() const {
  char text[INET6_ADDRSTRLEN] = "";
  if (ipv4) {
    inet_ntop(AF_INET, &v4, text, sizeof text);
  } else {
    inet_ntop(AF_INET6, &v6, text, sizeof text);
  }
  return text;
}

std::string InetAddress::Destination() const {
  if (Unspecified()) return ipv4 ? "127.0.0.1" : "::1";
  return Canonical();
}

std::optional<InetAddress> ParseInet(const RawAddress& raw, bool unspec_is_ipv4) {
  InetAddress out;
  int family = raw.Family();
  if (family == AF_INET || (family == AF_UNSPEC && unspec_is_ipv4)) {
    if (raw.length < static_cast<socklen_t>(sizeof(sockaddr_in))) return std::nullopt;
    sockaddr_in in;
    memcpy(&in, &raw.storage, sizeof in);
    out.v4 = in.sin_addr;
    out.port = ntohs(in.sin_port);
    return out;
  }
  if (family != AF_INET6 || raw.length < kMinSockaddrIn6) return std::nullopt;
  sockaddr_in6 in6{};
  memcpy(&in6, &raw.storage, std::min<size_t>(raw.length, sizeof in6));
  out.port = ntohs(in6.sin6_port);
  out.flowinfo = in6.sin6_flowinfo;
  out.scope_id = raw.length >= static_cast<socklen_t>(sizeof in6) ? in6.sin6_scope_id : 0;
  if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
    out.mapped = true;
    memcpy(&out.v4, &in6.sin6_addr.s6_addr[12], sizeof out.v4);
    return out;
  }
  out.ipv4 = false;
  out.v6 = in6.sin6_addr;
  return out;
}

RawAddress InetSockaddr(const InetAddress& address, bool as_ipv6) {
  RawAddress raw;
  if (!as_ipv6) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(address.port);
    in.sin_addr = address.v4;
    memcpy(&raw.storage, &in, sizeof in);
    raw.length = sizeof in;
    return raw;
  }
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(address.port);
  in6.sin6_flowinfo = address.flowinfo;
  in6.sin6_scope_id = address.scope_id;
  in6.sin6_addr = address.ipv4 ? MappedV6(address.v4) : address.v6;
  memcpy(&raw.storage, &in6, sizeof in6);
  raw.length = sizeof in6;
  return raw;
}

UnixAddress ParseUnix(const RawAddress& raw) {
  UnixAddress out;
  constexpr size_t kPathOffset = offsetof(sockaddr_un, sun_path);
  if (raw.length <= static_cast<socklen_t>(kPathOffset)) return out;
  const char* path = reinterpret_cast<const char*>(&raw.storage) + kPathOffset;
  size_t size = std::min<size_t>(static_cast<size_t>(raw.length) - kPathOffset,
                                 sizeof(sockaddr_un::sun_path));
  if (path[0] == '\0') {
    out.kind = UnixAddress::Kind::kAbstract;
    out.name.assign(path + 1, size - 1);
    return out;
  }
  out.kind = UnixAddress::Kind::kPath;
  out.name.assign(path, strnlen(path, size));
  return out;
}

std::string ProtocolName(int type, int protocol) {
  switch (protocol) {
    case IPPROTO_TCP:
    case IPPROTO_MPTCP:
      return "tcp";
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
      return "udp";
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      return "icmp";
    case IPPROTO_SCTP:
      return "sctp";
    default:
      break;
  }
  if (type == SOCK_STREAM) return "tcp";
  if (type == SOCK_DGRAM) return "udp";
  return "ip/" + std::to_string(protocol);
}

}  // namespace aarm::supervisor
