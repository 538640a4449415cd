// Socket addresses the agent passed to connect, bind and the sends, taken apart into what the
// policy decides on. The supervisor never hands the agent's bytes to the kernel again: it
// rebuilds the address it decided on (InetSockaddr) and uses that.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace aarm::supervisor {

// The bytes of a struct sockaddr as read from the agent.
struct RawAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  // AF_UNSPEC when too short to hold a family.
  int Family() const;
  const sockaddr* Get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// An IPv4 or IPv6 address and port.
struct InetAddress {
  // The address is IPv4: written as AF_INET, or as an IPv4-mapped IPv6 address (`mapped`).
  bool ipv4 = true;
  bool mapped = false;
  in_addr v4{};
  in6_addr v6{};
  uint16_t port = 0;  // host byte order
  uint32_t flowinfo = 0;
  uint32_t scope_id = 0;

  // 127.0.0.0/8 or ::1, mapped or not.
  bool Loopback() const;
  // 0.0.0.0 or ::, mapped or not: a connect or a send there reaches this host's loopback.
  bool Unspecified() const;
  // policy::Action::address: dotted quad, or IPv6 as inet_ntop writes it; an IPv4-mapped
  // address as its IPv4 form.
  std::string Canonical() const;
  // Where a connect or a send goes: Canonical(), but the unspecified address as the loopback
  // address the kernel sends to instead ("127.0.0.1", "::1").
  std::string Destination() const;
};

// `raw` as AF_INET (at least sizeof(sockaddr_in) bytes) or AF_INET6 (at least 24 bytes, the
// scope id optional, as the kernel accepts it). `unspec_is_ipv4`: AF_UNSPEC is read as AF_INET,
// as IPv4 datagram and raw sockets read a send's address. nullopt for anything else.
std::optional<InetAddress> ParseInet(const RawAddress& raw, bool unspec_is_ipv4);

// The sockaddr for `address`: sockaddr_in6 when `as_ipv6` (an IPv4 address then mapped), else
// sockaddr_in (`address` must be IPv4).
RawAddress InetSockaddr(const InetAddress& address, bool as_ipv6);

// A sockaddr_un taken apart as the kernel reads it.
struct UnixAddress {
  enum class Kind { kUnnamed, kPath, kAbstract } kind = Kind::kUnnamed;
  std::string name;  // the path, or the abstract name without its leading NUL
};
UnixAddress ParseUnix(const RawAddress& raw);

// "tcp", "udp", ... for policy::Action::protocol, from SO_PROTOCOL and SO_TYPE.
std::string ProtocolName(int type, int protocol);

}  // namespace aarm::supervisor
