#include "network_patterns.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "aarm/policy/display_text.hpp"

namespace aarm::policy::detail {
namespace {

// RFC 1035: a name of at most 253 characters in its text form, labels of at most 63.
constexpr size_t kMaxHostNameLength = 253;
constexpr size_t kMaxLabelLength = 63;

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
// RFC 6052's well-known NAT64 prefix 64:ff9b::/96, and RFC 8215's local-use 64:ff9b:1::/48.
constexpr std::array<uint8_t, 12> kNat64Prefix = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
constexpr std::array<uint8_t, 6> kNat64LocalPrefix = {0, 0x64, 0xFF, 0x9B, 0, 1};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '_';
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsDigit);
}

std::string_view LastLabel(std::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

// A decimal number of at most `max`, digits only.
std::optional<unsigned> ParseNumber(std::string_view text, unsigned max) {
  if (!AllDigits(text) || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value > max) return std::nullopt;
  return value;
}

unsigned BitCount(const IpAddress& address) { return address.v6 ? 128 : 32; }

bool BitSet(const IpAddress& address, unsigned bit) {
  return (address.bytes[bit / 8] >> (7 - bit % 8)) & 1;
}

// The fewest characters a label glob matches: '*' none, '?' and a class one, anything else
// itself. `label` has its classes closed.
size_t ShortestMatch(std::string_view label) {
  size_t length = 0;
  for (size_t i = 0; i < label.size(); ++i) {
    if (label[i] == '*') continue;
    ++length;
    if (label[i] != '[') continue;
    size_t member = i + 1;
    if (member < label.size() && (label[member] == '!' || label[member] == '^')) ++member;
    // A ']' first in a class is a member.
    i = std::min(label.find(']', member + 1), label.size());
  }
  return length;
}

// Why a host glob, lower-cased, cannot be compiled; nullopt when it can.
std::optional<std::string> HostGlobProblem(std::string_view pattern) {
  bool in_class = false;
  bool class_start = false;
  for (const char c : pattern) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return "has a character outside ASCII; write an internationalised name in its xn-- form";
    }
    const bool was_class_start = class_start;
    class_start = false;
    if (in_class) {
      if (c == '.') return "has '.' inside a class; labels are matched one by one";
      if (c == ']' && !was_class_start) in_class = false;
      if (!(IsNameChar(c) || c == ']' || (was_class_start && (c == '!' || c == '^')))) {
        return fmt::format("has the character {} in a class; a host name holds letters, digits, "
                           "'-' and '_'",
                           QuoteForDisplay(std::string_view(&c, 1)));
      }
      if (was_class_start && (c == '!' || c == '^')) class_start = true;
      continue;
    }
    if (c == '[') {
      in_class = true;
      class_start = true;
      continue;
    }
    if (!(IsNameChar(c) || c == '.' || c == '*' || c == '?')) {
      return fmt::format("has the character {}; a host name holds letters, digits, '-', '_' and "
                         "'.' (and a glob '*', '?', '[...]')",
                         QuoteForDisplay(std::string_view(&c, 1)));
    }
  }
  if (in_class) return "has a '[' that is never closed";
  size_t start = 0;
  while (start <= pattern.size()) {
    const size_t dot = std::min(pattern.find('.', start), pattern.size());
    const std::string_view label = pattern.substr(start, dot - start);
    if (label.empty()) return "has an empty label (a leading, trailing or doubled '.')";
    if (label != "**" && label.find("**") != std::string_view::npos) {
      return fmt::format("has '**' inside the label {}; '**' stands alone between dots "
                         "('**.example.com'), '*' matches within a label",
                         QuoteForDisplay(label));
    }
    start = dot + 1;
  }
  if (auto problem = HostLengthProblem(pattern)) return problem;
  const bool numeric =
      std::any_of(pattern.begin(), pattern.end(), IsDigit) &&
      pattern.find('.') != std::string_view::npos &&
      std::all_of(pattern.begin(), pattern.end(),
                  [](char c) { return IsDigit(c) || c == '.' || c == '*' || c == '?'; });
  if (AllDigits(LastLabel(pattern)) || numeric) {
    return std::string("looks like an IPv4 address but is not one; match addresses with a "
                       "literal address or a range such as '192.168.0.0/16'");
  }
  return std::nullopt;
}

}  // namespace

// A pattern that needs more than a name can hold would be refused by no check at all: it would
// silently match nothing, since NormalizeHostName never returns such a name.
std::optional<std::string> HostLengthProblem(std::string_view pattern) {
  size_t shortest_name = 0;
  size_t labels = 0;
  bool glob = false;
  size_t start = 0;
  while (start <= pattern.size()) {
    const size_t dot = std::min(pattern.find('.', start), pattern.size());
    const std::string_view label = pattern.substr(start, dot - start);
    start = dot + 1;
    if (label == "**") {  // any number of labels, none included
      glob = true;
      continue;
    }
    const bool literal = label.find_first_of("*?[") == std::string_view::npos;
    glob = glob || !literal;
    const size_t shortest = ShortestMatch(label);
    if (shortest > kMaxLabelLength) {
      return fmt::format("has the label {}{} {} characters; a DNS label holds at most {} "
                         "characters",
                         QuoteForDisplay(label), literal ? " of" : ", which matches no fewer than",
                         shortest, kMaxLabelLength);
    }
    shortest_name += shortest;
    ++labels;
  }
  if (labels > 1) shortest_name += labels - 1;  // the dots between them
  if (shortest_name > kMaxHostNameLength) {
    return fmt::format("{} {} characters; a host name holds at most {} characters",
                       glob ? "matches no name shorter than" : "is", shortest_name,
                       kMaxHostNameLength);
  }
  return std::nullopt;
}

std::optional<IpAddress> ParseAddress(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> copy{};  // inet_pton wants a terminated string
  std::copy(text.begin(), text.end(), copy.begin());
  IpAddress address;
  if (text.find(':') == std::string_view::npos) {
    if (::inet_pton(AF_INET, copy.data(), address.bytes.data()) != 1) return std::nullopt;
    return address;
  }
  if (::inet_pton(AF_INET6, copy.data(), address.bytes.data()) != 1) return std::nullopt;
  if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes.begin())) {
    IpAddress v4;
    std::copy_n(address.bytes.begin() + kMappedPrefix.size(), 4, v4.bytes.begin());
    return v4;
  }
  address.v6 = true;
  return address;
}

std::string FormatAddress(const IpAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), text, sizeof(text));
  return text;
}

// Only translations that reach the embedded host itself count. A translator of the well-known
// NAT64 prefix takes the IPv4 address from the last 32 bits (RFC 6052 allows that prefix no
// other length), and so does one of a /96 carved from the local-use prefix, the length the
// well-known prefix sets (a shorter one puts the address elsewhere, and is not recognised).
// Linux's sit device carries an IPv4-compatible address to its IPv4 host, and gives the host's
// own IPv4 addresses that form, ::127.0.0.1 among them. Left out: ::/104, where IPv6's own ::
// and ::1 are (0.0.0.0/8 is no host's address), and 6to4 (2002::/16), whose addresses are hosts
// of the site behind the IPv4 router they embed, reaching the router only as a tunnel's end.
std::optional<Ipv4Embedding> EmbeddedIpv4(const IpAddress& address) {
  if (!address.v6) return std::nullopt;
  const auto starts_with = [&address](const auto& prefix) {
    return std::equal(prefix.begin(), prefix.end(), address.bytes.begin());
  };
  std::string_view via;
  if (starts_with(kNat64Prefix) || starts_with(kNat64LocalPrefix)) {
    via = "NAT64";
  } else if (std::all_of(address.bytes.begin(), address.bytes.begin() + 12,
                         [](uint8_t byte) { return byte == 0; }) &&
             address.bytes[12] != 0) {
    via = "the IPv4-compatible form";
  } else {
    return std::nullopt;
  }
  Ipv4Embedding embedding{{}, via};
  std::copy_n(address.bytes.begin() + 12, 4, embedding.ipv4.bytes.begin());
  return embedding;
}

bool AddressRange::Contains(const IpAddress& address) const {
  if (!base.v6 && address.v6) {
    const auto embedding = EmbeddedIpv4(address);
    return embedding && Contains(embedding->ipv4);
  }
  if (address.v6 != base.v6) return false;
  const unsigned whole = prefix / 8;
  if (!std::equal(base.bytes.begin(), base.bytes.begin() + whole, address.bytes.begin())) {
    return false;
  }
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (base.bytes[whole] & mask) == (address.bytes[whole] & mask);
}

Result<AddressRange> ParseAddressRange(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  auto address = ParseAddress(address_text);
  if (!address) {
    return Fail(address_text.find(':') == std::string_view::npos
                    ? "is not an IPv4 address or range (a.b.c.d, a.b.c.d/N)"
                    : "is not an IPv6 address or range (fd00::1, fd00::/8)");
  }
  AddressRange range{*address, BitCount(*address)};
  if (slash == std::string_view::npos) return range;
  const bool mapped = !address->v6 && address_text.find(':') != std::string_view::npos;
  const unsigned written_bits = mapped ? 128 : BitCount(*address);
  const auto prefix = ParseNumber(text.substr(slash + 1), written_bits);
  if (!prefix) {
    return Fail(fmt::format("has a prefix length that is not a number from 0 to {}", written_bits));
  }
  if (mapped) {
    // ::ffff:a.b.c.d/N is the IPv4 range a.b.c.d/(N-96); a shorter prefix reaches beyond
    // the mapped addresses, which no IPv4 rule could mean.
    if (*prefix < 96) return Fail("is an IPv4-mapped range with a prefix shorter than /96");
    range.prefix = *prefix - 96;
  } else {
    range.prefix = *prefix;
  }
  for (unsigned bit = range.prefix; bit < BitCount(*address); ++bit) {
    if (!BitSet(*address, bit)) continue;
    IpAddress network = *address;
    for (unsigned clear = range.prefix; clear < BitCount(network); ++clear) {
      network.bytes[clear / 8] &= static_cast<uint8_t>(~(1u << (7 - clear % 8)));
    }
    return Fail(fmt::format("has bits set after its /{} prefix; write '{}/{}'", range.prefix,
                            FormatAddress(network), range.prefix));
  }
  return range;
}

Result<HostGlob> HostGlob::Compile(std::string_view pattern) {
  std::string lowered(pattern.size(), '\0');
  std::transform(pattern.begin(), pattern.end(), lowered.begin(), Lower);
  if (lowered.empty()) return Fail("is empty");
  if (auto problem = HostGlobProblem(lowered)) return Fail(*problem);
  auto labels = PathGlob::CompileSegments(lowered, '.');
  if (!labels) return tl::unexpected(labels.error());
  HostGlob glob;
  glob.labels_ = std::move(*labels);
  return glob;
}

bool HostGlob::Matches(std::string_view name) const { return labels_.MatchesSegments(name); }

Result<PortRange> ParsePortRange(std::string_view text) {
  const size_t dash = text.find('-');
  const auto first = ParseNumber(text.substr(0, dash), 65535);
  const auto last =
      dash == std::string_view::npos ? first : ParseNumber(text.substr(dash + 1), 65535);
  if (!first || !last) {
    return Fail("is not a port (0 to 65535) or a range of them ('8000-8999')");
  }
  if (*last < *first) return Fail("is a reversed range; write the lower port first");
  return PortRange{static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)};
}

Result<HostPattern> HostPattern::Compile(std::string_view text) {
  HostPattern pattern;
  if (text.starts_with('!')) {
    pattern.negated_ = true;
    text.remove_prefix(1);
    if (text.empty()) return Fail("has nothing after its '!'");
  }
  const bool address_like = text.find(':') != std::string_view::npos ||
                            text.find('/') != std::string_view::npos || ParseAddress(text);
  if (address_like) {
    auto range = ParseAddressRange(text);
    if (!range) return tl::unexpected(range.error());
    pattern.address_ = *range;
    return pattern;
  }
  auto glob = HostGlob::Compile(text);
  if (!glob) return tl::unexpected(glob.error());
  pattern.glob_ = std::move(*glob);
  return pattern;
}

Result<AllowEntry> ParseAllowEntry(std::string_view text) {
  AllowEntry entry;
  entry.text = std::string(text);
  if (text.empty()) return Fail("is empty");
  if (text.starts_with('!')) {
    return Fail("cannot be negated: an allow entry only allows (a [[rule]] denies)");
  }
  std::string_view host = text;
  std::optional<std::string_view> port;
  const size_t close = text.find(']');
  const std::string_view bracketed =
      text.starts_with('[') && close != std::string_view::npos ? text.substr(1, close - 1) : "";
  if (text.starts_with('[') && close == std::string_view::npos) {
    return Fail("has a '[' that is never closed");
  }
  // "[ab]c.test" is a glob whose first character is a class; a class holds no ':' or '.'.
  if (!bracketed.empty() && bracketed.find(':') == std::string_view::npos &&
      bracketed.find('.') != std::string_view::npos) {
    return Fail("has brackets around something that is not an IPv6 address");
  }
  if (bracketed.find(':') != std::string_view::npos) {
    host = bracketed;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return Fail("has something other than ':PORT' after its ']'");
      port = rest.substr(1);
    }
  } else {
    const size_t colon = text.find(':');
    if (colon != std::string_view::npos) {
      if (text.find(':', colon + 1) != std::string_view::npos) {
        return Fail("is an IPv6 address without brackets; write '[ADDRESS]' or '[ADDRESS]:PORT'");
      }
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
    }
  }
  if (port) {
    if (port->empty()) return Fail("has an empty port after its ':'");
    auto range = ParsePortRange(*port);
    if (!range) {
      return Fail(fmt::format("has the port {}, which {}", QuoteForDisplay(*port),
                              range.error().message));
    }
    entry.port = *range;
  }
  if (host.empty()) return Fail("has no host before its ':'");
  auto pattern = HostPattern::Compile(host);
  if (!pattern) {
    if (host.size() == text.size()) return tl::unexpected(pattern.error());
    return Fail(fmt::format("has the host {}, which {}", QuoteForDisplay(host),
                            pattern.error().message));
  }
  entry.host = std::move(*pattern);
  return entry;
}

}  // namespace aarm::policy::detail

namespace aarm::policy {

std::optional<std::string> NormalizeHostName(std::string_view text) {
  using detail::IsNameChar;
  if (text.ends_with('.')) text.remove_suffix(1);
  if (text.empty() || text.size() > detail::kMaxHostNameLength) return std::nullopt;
  std::string name(text.size(), '\0');
  std::transform(text.begin(), text.end(), name.begin(), detail::Lower);
  size_t start = 0;
  while (start <= name.size()) {
    const size_t dot = std::min(name.find('.', start), name.size());
    const std::string_view label = std::string_view(name).substr(start, dot - start);
    if (label.empty() || label.size() > detail::kMaxLabelLength ||
        !std::all_of(label.begin(), label.end(), IsNameChar)) {
      return std::nullopt;
    }
    start = dot + 1;
  }
  // No top-level domain is numeric: such a "name" is an address in some resolver's eyes.
  if (detail::AllDigits(detail::LastLabel(name))) return std::nullopt;
  return name;
}

std::optional<std::string> CanonicalAddress(std::string_view text) {
  const auto address = detail::ParseAddress(text);
  if (!address) return std::nullopt;
  return detail::FormatAddress(*address);
}

std::optional<EmbeddedIpv4> FindEmbeddedIpv4(std::string_view address) {
  const auto parsed = detail::ParseAddress(address);
  const auto embedding = parsed ? detail::EmbeddedIpv4(*parsed) : std::nullopt;
  if (!embedding) return std::nullopt;
  return EmbeddedIpv4{detail::FormatAddress(embedding->ipv4), embedding->via};
}

}  // namespace aarm::policy
