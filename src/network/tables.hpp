// The two pieces of state the paths share: redirects the supervisor announced, and the names
// the resolver answered addresses for. Both bounded: the agent can fill them, never without
// limit.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "aarm/network/network_service.hpp"
#include "socket_io.hpp"

namespace aarm::network::detail {

class RedirectTable {
 public:
  // Entries kept at most, and how long one waits for its connection.
  static constexpr size_t kMaxEntries = 4096;
  static constexpr auto kLifetime = std::chrono::seconds(60);

  void Expect(bool ipv6, uint16_t local_port, RedirectedConnection original);
  // The entry for a connection accepted from `peer_port`, removed: each is taken once.
  std::optional<RedirectedConnection> Take(bool ipv6, uint16_t peer_port);

 private:
  struct Entry {
    RedirectedConnection original;
    Clock::time_point added;
    uint64_t sequence = 0;
  };
  using Key = std::pair<bool, uint16_t>;
  std::mutex mutex_;
  std::map<Key, Entry> entries_;
  std::map<uint64_t, Key> order_;  // sequence -> key, oldest first
  uint64_t next_sequence_ = 0;
};

class AddressNames {
 public:
  static constexpr size_t kMaxEntries = 8192;

  void Remember(const std::string& address, const std::string& name);
  std::optional<std::string> NameFor(const std::string& address) const;

  // An address that stands for `name` inside the sandbox, remembered like an answered one.
  // A name whose address is the host's loopback (a pinned test or staging service) cannot be
  // answered with it: inside the sandbox that address is the sandbox's own loopback, which no
  // connect() leaves. The stand-in comes from a range no host uses (198.18.0.0/15, set aside
  // for benchmarks; fd61:6172:6d00::/48 for IPv6), so a connect() to it is redirected to the
  // transparent listener, which maps it back to the name.
  std::string StandIn(const std::string& name, bool v6);

 private:
  struct Entry {
    std::string name;
    uint64_t sequence = 0;
  };
  std::optional<std::string> NameForLocked(const std::string& address) const;
  void RememberLocked(const std::string& address, const std::string& name);

  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::map<uint64_t, std::string> order_;
  uint64_t next_sequence_ = 0;
  uint32_t next_stand_in_ = 0;
};

// Whether an address, used inside the sandbox, would stay there: loopback or unspecified.
bool StaysInSandbox(const std::string& address);

}  // namespace aarm::network::detail
