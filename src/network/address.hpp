// Numeric addresses and host names in the forms the policy compares them.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aarm::network::detail {

// The canonical text of a numeric address (policy::Action::address): a dotted quad, or IPv6 as
// inet_ntop writes it, an IPv4-mapped IPv6 address as its IPv4 form. Only the strict forms
// inet_pton reads are addresses: "127.1" or "0x7f.0.0.1" are not.
std::optional<std::string> CanonicalAddress(std::string_view text);

// A host name as the policy compares it: ASCII lower case, one trailing dot dropped. nullopt
// when `text` is not a DNS name (empty, an empty label, a character other than a letter, a
// digit, '-' or '_', longer than 253 characters, a label longer than 63) or when its last label
// is numeric (a resolver would read it as an address).
std::optional<std::string> NormalizeHostName(std::string_view text);

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
