// The sandbox's resolver. A name no rule could allow a connection to is answered NXDOMAIN
// without a query leaving the machine (and recorded once); any other is resolved on the host's
// side (its pinned address, else getaddrinfo) and answered with a short TTL. The agent's
// packet is never forwarded: only a name the policy accepts is ever looked up, and only as a
// name.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "aarm/policy/engine.hpp"
#include "dns_message.hpp"
#include "gate.hpp"
#include "host_lookup.hpp"
#include "tables.hpp"

namespace aarm::network::detail {

// How long the agent may keep an answer: short, so that a connection soon after is made to
// an address the resolver still remembers the name of.
inline constexpr uint32_t kDnsTtlSeconds = 10;

struct DnsPeer {
  sockaddr_storage address = {};
  socklen_t length = 0;
};

class DnsService {
 public:
  // A query that needs a lookup is handed to `spawn`, which runs it elsewhere or returns false
  // when it cannot (the query is then answered SERVFAIL).
  using Spawner = std::function<bool(std::function<void()>)>;

  // `ipv6`: the sandbox has an IPv6 loopback to carry connections to IPv6 addresses; without
  // it AAAA questions get no records, so that programs use IPv4 rather than fail.
  DnsService(const policy::Engine& engine, const Gate& gate, const HostLookup& lookup,
             AddressNames& names, int socket_fd, int stop_fd, bool ipv6);

  // Reads every datagram waiting on the socket.
  void Receive(const Spawner& spawn);

  // Answers one query (on a thread of its own).
  void Answer(const DnsQuery& query, const DnsPeer& peer);

 private:
  void Send(const std::vector<uint8_t>& packet, const DnsPeer& peer) const;
  // Records a refused name unless it was recorded before; true when the refusal is enforced.
  bool RefuseName(const std::string& name, const policy::Decision& decision);

  static constexpr size_t kMaxRememberedRefusals = 65536;

  const policy::Engine& engine_;
  const Gate& gate_;
  const HostLookup& lookup_;
  AddressNames& names_;
  int socket_fd_;
  int stop_fd_;
  bool ipv6_;
  std::mutex mutex_;
  std::unordered_set<std::string> refused_;  // names recorded as refused this session
};

}  // namespace aarm::network::detail
