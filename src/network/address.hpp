// Numeric addresses and host names in the forms the policy compares them.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aarm/policy/host_name.hpp"

namespace aarm::network::detail {

// The policy's own forms: what the engine compares is what the proxies dial and record.
using policy::CanonicalAddress;
using policy::NormalizeHostName;

// What a host the agent named is: a name, a numeric address, or neither.
struct HostIdentity {
  enum class Kind { kName, kAddress, kInvalid };
  Kind kind = Kind::kInvalid;
  std::string text;  // normalised name, canonical address, or the bytes as given
};
HostIdentity IdentifyHost(std::string_view host);

// A socket address for a canonical numeric address; false when `address` is not one.
bool MakeSockaddr(const std::string& address, uint16_t port, sockaddr_storage& storage,
                  socklen_t& length);

// The canonical address and port of an AF_INET or AF_INET6 socket address.
std::optional<std::string> AddressOf(const sockaddr_storage& storage, uint16_t* port = nullptr);

// "host:port", with IPv6 addresses in brackets.
std::string JoinHostPort(const std::string& host, uint16_t port);

}  // namespace aarm::network::detail
