// What network rules match on: addresses and CIDR ranges, globs on host names, ports, and the
// "host[:port]" entries of [network] allow.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aarm/base/error.hpp"
#include "aarm/policy/host_name.hpp"
#include "aarm/policy/profile.hpp"
#include "glob.hpp"

namespace aarm::policy::detail {

// An IP address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 form, so that no rule
// on an IPv4 range can be sidestepped by writing the address the other way.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first four
  bool operator==(const IpAddress&) const = default;
};

// A numeric address without brackets or prefix ("10.1.2.3", "fd00::1", "::ffff:10.1.2.3").
std::optional<IpAddress> ParseAddress(std::string_view text);

// The canonical text of an address: dotted quad, or IPv6 as inet_ntop writes it.
std::string FormatAddress(const IpAddress& address);

// The IPv4 address an IPv6 address reaches (FindEmbeddedIpv4 in host_name.hpp), and how.
struct Ipv4Embedding {
  IpAddress ipv4;
  std::string_view via;
};
std::optional<Ipv4Embedding> EmbeddedIpv4(const IpAddress& address);

// An address and the number of leading bits that must equal it.
struct AddressRange {
  IpAddress base;
  unsigned prefix = 0;
  // An IPv4 range also holds the IPv6 addresses that embed an address it holds (EmbeddedIpv4):
  // they reach the same host, so a rule on the IPv4 range cannot be sidestepped through them.
  bool Contains(const IpAddress& address) const;
};

// "10.0.0.0/8", "fd00::/8", or a literal address (all of its bits). Errors are phrases about
// the text ("has bits set after its /8 prefix; write '10.0.0.0/8'").
Result<AddressRange> ParseAddressRange(std::string_view text);

// Host names as patterns compare them.
using policy::NormalizeHostName;

// Why a host glob, or a name, needs more than a DNS name holds (RFC 1035): a label of more than
// 63 characters or a name of more than 253, counting the fewest characters each glob matches
// ('*' none, '?' and a class one). Such a pattern would match no name NormalizeHostName
// returns. `pattern` has no empty label and its classes closed. The problem is a phrase about
// the pattern; nullopt when there is none.
std::optional<std::string> HostLengthProblem(std::string_view pattern);

// A glob on host names: '.' separates labels, `*` matches within one label, `**` any number of
// labels, none included (`**.example.com` matches example.com and every name below it). The
// rest is the glob syntax of paths (glob.hpp). Case-insensitive.
class HostGlob {
 public:
  // Errors are phrases about the pattern.
  static Result<HostGlob> Compile(std::string_view pattern);
  // `name` as NormalizeHostName returns it.
  bool Matches(std::string_view name) const;

 private:
  PathGlob labels_;  // the labels as the segments of a path
};

// "443" or "8000-8999". Errors are phrases about the text.
Result<PortRange> ParsePortRange(std::string_view text);

inline bool PortInRange(const PortRange& range, uint16_t port) {
  return port >= range.first && port <= range.last;
}

// One entry of a rule's match.host: a host glob, or an address range when it has a ':' or a
// '/' or is an IPv4 address; a leading '!' negates.
class HostPattern {
 public:
  // Errors are phrases about the pattern.
  static Result<HostPattern> Compile(std::string_view text);

  bool IsAddress() const { return address_.has_value(); }
  bool Negated() const { return negated_; }
  // The glob on a known, normalised name (a name pattern; an address pattern never matches).
  bool MatchesName(std::string_view name) const {
    return !address_ && glob_.Matches(name) != negated_;
  }
  // The range on an address (an address pattern; a name pattern never matches).
  bool MatchesAddress(const IpAddress& address) const {
    return address_ && address_->Contains(address) != negated_;
  }
  // An address pattern, not negated, whose range holds `address`: the profile names it.
  bool Names(const IpAddress& address) const {
    return address_ && !negated_ && address_->Contains(address);
  }

 private:
  bool negated_ = false;
  std::optional<AddressRange> address_;
  HostGlob glob_;
};

// An entry of [network] allow: "host", "host:port", "host:first-last", an IPv6 address or range
// in brackets ("[::1]:8080", "[fd00::/8]"); never negated.
struct AllowEntry {
  std::string text;
  HostPattern host;
  std::optional<PortRange> port;  // none: every port
};

// Errors are phrases about the entry.
Result<AllowEntry> ParseAllowEntry(std::string_view text);

}  // namespace aarm::policy::detail
