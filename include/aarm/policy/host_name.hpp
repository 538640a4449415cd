// Host names and numeric addresses in the forms the policy compares them: Action::host and
// Action::address, [network] hosts, and the host patterns of rules and allow entries.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aarm::policy {

// A host name as the policy compares it: ASCII lower case, one trailing dot dropped. nullopt
// when `text` is not a DNS name (empty, an empty label, a character other than a letter, a
// digit, '-' or '_', longer than 253 characters, a label longer than 63) or when its last label
// is numeric (a resolver would read it as an address).
std::optional<std::string> NormalizeHostName(std::string_view text);

// The canonical text of a numeric address (Action::address): a dotted quad, or IPv6 as
// inet_ntop writes it, an IPv4-mapped IPv6 address as its IPv4 form. Only the strict forms
// inet_pton reads are addresses: "127.1", "0x7f.0.0.1" or "[::1]" are not.
std::optional<std::string> CanonicalAddress(std::string_view text);

// An IPv6 address that reaches an IPv4 address: a NAT64 address (64:ff9b::/96, or
// 64:ff9b:1::/48 with the IPv4 address in its last 32 bits) or an IPv4-compatible one
// (::a.b.c.d). Ranges of IPv4 addresses, in rules and among the built-in forbidden addresses,
// hold it when they hold `ipv4`.
struct EmbeddedIpv4 {
  std::string ipv4;      // canonical
  std::string_view via;  // "NAT64", "the IPv4-compatible form"
};
std::optional<EmbeddedIpv4> FindEmbeddedIpv4(std::string_view address);

}  // namespace aarm::policy
