#include "address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace aarm::network::detail {
namespace {

std::string Canonical(int family, const void* bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes, text, sizeof(text));
  return CanonicalAddress(text).value_or(text);
}

}  // namespace

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
    return Canonical(AF_INET, &v4->sin_addr);
  }
  if (storage.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    if (port) *port = ntohs(v6->sin6_port);
    return Canonical(AF_INET6, &v6->sin6_addr);
  }
  return std::nullopt;
}

std::string JoinHostPort(const std::string& host, uint16_t port) {
  const bool bracket = host.find(':') != std::string::npos;
  return (bracket ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace aarm::network::detail
