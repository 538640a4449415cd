// The SOCKS5 wire format (RFC 1928) the proxy speaks: no authentication, CONNECT only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aarm::network::detail {

inline constexpr uint8_t kSocksVersion = 5;
inline constexpr uint8_t kSocksNoAuth = 0x00;
inline constexpr uint8_t kSocksNoAcceptableMethod = 0xFF;

// Reply codes.
inline constexpr uint8_t kSocksSucceeded = 0x00;
inline constexpr uint8_t kSocksGeneralFailure = 0x01;
inline constexpr uint8_t kSocksNotAllowed = 0x02;
inline constexpr uint8_t kSocksNetworkUnreachable = 0x03;
inline constexpr uint8_t kSocksHostUnreachable = 0x04;
inline constexpr uint8_t kSocksConnectionRefused = 0x05;
inline constexpr uint8_t kSocksCommandNotSupported = 0x07;
inline constexpr uint8_t kSocksAddressTypeNotSupported = 0x08;

enum class SocksParse { kIncomplete, kComplete, kInvalid };

// The method selection message: VER NMETHODS METHODS...
struct SocksGreeting {
  SocksParse status = SocksParse::kIncomplete;
  bool offers_no_auth = false;
  size_t length = 0;
};
SocksGreeting ParseSocksGreeting(std::string_view bytes);

// The request: VER CMD RSV ATYP DST.ADDR DST.PORT.
struct SocksRequest {
  SocksParse status = SocksParse::kIncomplete;
  uint8_t reply_on_invalid = kSocksGeneralFailure;  // what to answer when kInvalid
  uint8_t command = 0;
  std::string host;  // a domain as sent (ATYP 3), or a numeric address (ATYP 1 and 4)
  bool domain = false;
  uint16_t port = 0;
  size_t length = 0;
};
SocksRequest ParseSocksRequest(std::string_view bytes);

// A reply with the bound address 0.0.0.0:0: the agent learns nothing of the host's side.
std::string SocksReply(uint8_t code);

// The reply for a failed dial's errno.
uint8_t SocksReplyForErrno(int err);

}  // namespace aarm::network::detail
