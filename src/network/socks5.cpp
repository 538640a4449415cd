#include "socks5.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>

namespace aarm::network::detail {
namespace {

constexpr uint8_t kConnect = 1;
constexpr uint8_t kIpv4 = 1;
constexpr uint8_t kDomain = 3;
constexpr uint8_t kIpv6 = 4;

}  // namespace

SocksGreeting ParseSocksGreeting(std::string_view bytes) {
  SocksGreeting greeting;
  if (bytes.size() < 2) return greeting;
  if (static_cast<uint8_t>(bytes[0]) != kSocksVersion || bytes[1] == 0) {
    greeting.status = SocksParse::kInvalid;
    return greeting;
  }
  const size_t count = static_cast<uint8_t>(bytes[1]);
  if (bytes.size() < 2 + count) return greeting;
  for (size_t i = 0; i < count; ++i) {
    if (static_cast<uint8_t>(bytes[2 + i]) == kSocksNoAuth) greeting.offers_no_auth = true;
  }
  greeting.status = SocksParse::kComplete;
  greeting.length = 2 + count;
  return greeting;
}

SocksRequest ParseSocksRequest(std::string_view bytes) {
  SocksRequest request;
  if (bytes.size() < 4) return request;
  if (static_cast<uint8_t>(bytes[0]) != kSocksVersion || bytes[2] != 0) {
    request.status = SocksParse::kInvalid;
    return request;
  }
  request.command = static_cast<uint8_t>(bytes[1]);
  const auto type = static_cast<uint8_t>(bytes[3]);
  size_t address_end = 0;
  if (type == kIpv4) {
    address_end = 4 + 4;
  } else if (type == kIpv6) {
    address_end = 4 + 16;
  } else if (type == kDomain) {
    if (bytes.size() < 5) return request;
    const size_t length = static_cast<uint8_t>(bytes[4]);
    if (length == 0) {
      request.status = SocksParse::kInvalid;
      request.reply_on_invalid = kSocksHostUnreachable;
      return request;
    }
    address_end = 5 + length;
  } else {
    request.status = SocksParse::kInvalid;
    request.reply_on_invalid = kSocksAddressTypeNotSupported;
    return request;
  }
  if (bytes.size() < address_end + 2) return request;
  if (type == kDomain) {
    request.host = std::string(bytes.substr(5, address_end - 5));
    request.domain = true;
  } else {
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(type == kIpv4 ? AF_INET : AF_INET6, bytes.data() + 4, text, sizeof(text));
    request.host = text;
  }
  request.port = static_cast<uint16_t>((static_cast<uint8_t>(bytes[address_end]) << 8) |
                                       static_cast<uint8_t>(bytes[address_end + 1]));
  request.length = address_end + 2;
  if (request.command != kConnect) {
    request.status = SocksParse::kInvalid;
    request.reply_on_invalid = kSocksCommandNotSupported;
    return request;
  }
  if (request.port == 0) {
    request.status = SocksParse::kInvalid;
    request.reply_on_invalid = kSocksHostUnreachable;
    return request;
  }
  request.status = SocksParse::kComplete;
  return request;
}

std::string SocksReply(uint8_t code) {
  return std::string({static_cast<char>(kSocksVersion), static_cast<char>(code), 0,
                      static_cast<char>(kIpv4), 0, 0, 0, 0, 0, 0});
}

uint8_t SocksReplyForErrno(int err) {
  switch (err) {
    case ECONNREFUSED: return kSocksConnectionRefused;
    case ENETUNREACH: return kSocksNetworkUnreachable;
    case EHOSTUNREACH:
    case ETIMEDOUT: return kSocksHostUnreachable;
    default: return kSocksGeneralFailure;
  }
}

}  // namespace aarm::network::detail
