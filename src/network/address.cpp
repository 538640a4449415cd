#include "address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace aarm::network::detail {
namespace {

constexpr size_t kMaxNameLength = 253;
constexpr size_t kMaxLabelLength = 63;
constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '_';
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string FormatV4(const uint8_t* bytes) {
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, bytes, text, sizeof(text));
  return text;
}

std::string FormatV6(const uint8_t* bytes) {
  if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes)) return FormatV4(bytes + 12);
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, bytes, text, sizeof(text));
  return text;
}

}  // namespace

std::optional<std::string> CanonicalAddress(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);
  uint8_t bytes[16] = {};
  if (copy.find(':') == std::string::npos) {
    if (::inet_pton(AF_INET, copy.c_str(), bytes) != 1) return std::nullopt;
    return FormatV4(bytes);
  }
  if (::inet_pton(AF_INET6, copy.c_str(), bytes) != 1) return std::nullopt;
  return FormatV6(bytes);
}

std::optional<std::string> NormalizeHostName(std::string_view text) {
  if (text.ends_with('.')) text.remove_suffix(1);
  if (text.empty() || text.size() > kMaxNameLength) return std::nullopt;
  std::string name(text.size(), '\0');
  std::transform(text.begin(), text.end(), name.begin(), Lower);
  std::string_view last;
  size_t start = 0;
  while (start <= name.size()) {
    const size_t dot = std::min(name.find('.', start), name.size());
    last = std::string_view(name).substr(start, dot - start);
    if (last.empty() || last.size() > kMaxLabelLength ||
        !std::all_of(last.begin(), last.end(), IsNameChar)) {
      return std::nullopt;
    }
    start = dot + 1;
  }
  if (std::all_of(last.begin(), last.end(), IsDigit)) return std::nullopt;
  return name;
}

HostIdentity IdentifyHost(std::string_view host) {
  if (auto address = CanonicalAddress(host)) {
    return {HostIdentity::Kind::kAddress, std::move(*address)};
  }
  if (auto name = NormalizeHostName(host)) return {HostIdentity::Kind::kName, std::move(*name)};
  return {HostIdentity::Kind::kInvalid, std::string(host)};
}

bool MakeSockaddr(const std::string& address, uint16_t port, sockaddr_storage& storage,
                  socklen_t& length) {
  std::memset(&storage, 0, sizeof(storage));
  if (address.find(':') == std::string::npos) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) != 1) return false;
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) != 1) return false;
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(port);
  length = sizeof(sockaddr_in6);
  return true;
}

std::optional<std::string> AddressOf(const sockaddr_storage& storage, uint16_t* port) {
  if (storage.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
    if (port) *port = ntohs(v4->sin_port);
    return FormatV4(reinterpret_cast<const uint8_t*>(&v4->sin_addr));
  }
  if (storage.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    if (port) *port = ntohs(v6->sin6_port);
    return FormatV6(reinterpret_cast<const uint8_t*>(&v6->sin6_addr));
  }
  return std::nullopt;
}

std::string JoinHostPort(const std::string& host, uint16_t port) {
  const bool bracket = host.find(':') != std::string::npos;
  return (bracket ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace aarm::network::detail
