#include "sniff.hpp"

#include <cstdint>
#include <set>

#include "http_message.hpp"

namespace aarm::network::detail {
namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kClientHello = 1;
constexpr uint16_t kServerNameExtension = 0;
constexpr uint8_t kHostNameType = 0;
constexpr size_t kRecordHeader = 5;
constexpr size_t kMaxRecordPayload = (1u << 14) + 2048;  // TLSCiphertext's bound; plaintext is less

// A bounds-checked reader over bytes; any read past the end sets `bad`.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool bad = false;

  size_t Left() const { return bytes_.size(); }
  uint32_t Number(size_t width) {
    if (bytes_.size() < width) {
      bad = true;
      bytes_ = {};
      return 0;
    }
    uint32_t value = 0;
    for (size_t i = 0; i < width; ++i) value = (value << 8) | static_cast<uint8_t>(bytes_[i]);
    bytes_.remove_prefix(width);
    return value;
  }
  std::string_view Bytes(size_t count) {
    if (bytes_.size() < count) {
      bad = true;
      bytes_ = {};
      return {};
    }
    std::string_view taken = bytes_.substr(0, count);
    bytes_.remove_prefix(count);
    return taken;
  }
  // A vector with a `width`-byte length prefix.
  std::string_view Vector(size_t width) { return Bytes(Number(width)); }

 private:
  std::string_view bytes_;
};

Sniffed Malformed(std::string problem) {
  return {Sniffed::Kind::kMalformed, std::nullopt, std::move(problem)};
}

// The ClientHello body (after the handshake header).
Sniffed ParseClientHello(std::string_view body) {
  Reader hello(body);
  hello.Number(2);   // legacy_version
  hello.Bytes(32);   // random
  if (hello.Vector(1).size() > 32) return Malformed("a TLS ClientHello with a session id over 32 bytes");
  const std::string_view suites = hello.Vector(2);
  if (suites.empty() || suites.size() % 2) return Malformed("a TLS ClientHello with bad cipher suites");
  if (hello.Vector(1).empty()) return Malformed("a TLS ClientHello without compression methods");
  if (hello.bad) return Malformed("a TLS ClientHello cut short");
  Sniffed sniffed{Sniffed::Kind::kTls, std::nullopt, {}};
  if (hello.Left() == 0) return sniffed;  // no extensions at all
  Reader extensions(hello.Vector(2));
  if (hello.bad || hello.Left() != 0) return Malformed("a TLS ClientHello whose extensions do not fill it");
  std::set<uint32_t> seen;
  while (extensions.Left() > 0) {
    const uint32_t type = extensions.Number(2);
    const std::string_view data = extensions.Vector(2);
    if (extensions.bad) return Malformed("a TLS ClientHello with an extension cut short");
    if (!seen.insert(type).second) return Malformed("a TLS ClientHello with an extension twice");
    if (type != kServerNameExtension) continue;
    Reader names_outer(data);
    Reader names(names_outer.Vector(2));
    if (names_outer.bad || names_outer.Left() != 0 || names.Left() == 0) {
      return Malformed("a TLS ClientHello with a bad server_name");
    }
    while (names.Left() > 0) {
      const uint32_t name_type = names.Number(1);
      const std::string_view name = names.Vector(2);
      if (names.bad || name.empty()) return Malformed("a TLS ClientHello with a bad server_name");
      if (name_type != kHostNameType) continue;
      if (sniffed.host) return Malformed("a TLS ClientHello with two host names");
      sniffed.host = std::string(name);
    }
  }
  return sniffed;
}

Sniffed SniffTls(std::string_view bytes, bool final) {
  // The handshake message may be spread over several records; gather their payloads.
  std::string handshake;
  std::string_view rest = bytes;
  while (rest.size() >= kRecordHeader) {
    Reader header(rest.substr(0, kRecordHeader));
    const uint32_t type = header.Number(1);
    const uint32_t major = header.Number(1);
    header.Number(1);
    const uint32_t length = header.Number(2);
    if (type != kHandshakeRecord || major != 3) return Malformed("a TLS record that is not a handshake");
    if (length == 0 || length > kMaxRecordPayload) return Malformed("a TLS record of a bad length");
    if (rest.size() < kRecordHeader + length) break;
    handshake.append(rest.substr(kRecordHeader, length));
    rest.remove_prefix(kRecordHeader + length);
    if (handshake.size() >= 4) {
      Reader message(handshake);
      if (message.Number(1) != kClientHello) return Malformed("a TLS handshake that is not a ClientHello");
      const uint32_t message_length = message.Number(3);
      if (message_length + 4 > kMaxSniffBytes) return Malformed("a TLS ClientHello too long to read");
      if (handshake.size() >= message_length + 4) {
        // A record holding more than the ClientHello would hide bytes the server reads next.
        if (handshake.size() != message_length + 4) {
          return Malformed("a TLS record with more than a ClientHello");
        }
        return ParseClientHello(std::string_view(handshake).substr(4, message_length));
      }
    }
  }
  if (final) return Malformed("a TLS ClientHello that did not complete");
  return {Sniffed::Kind::kNeedMore, std::nullopt, {}};
}

Sniffed SniffHttp(std::string_view bytes, bool final) {
  const HeadParse parse = ParseRequestHead(bytes);
  switch (parse.status) {
    case HeadStatus::kIncomplete:
      if (final) return Malformed("an HTTP request head that did not complete");
      return {Sniffed::Kind::kNeedMore, std::nullopt, {}};
    case HeadStatus::kTooLarge: return Malformed("an HTTP request head over the size limit");
    case HeadStatus::kMalformed: return Malformed("a malformed HTTP request head");
    case HeadStatus::kComplete: break;
  }
  Sniffed sniffed{Sniffed::Kind::kHttp, std::nullopt, {}};
  const auto hosts = parse.head.Values("Host");
  if (hosts.size() > 1) return Malformed("an HTTP request with two Host headers");
  if (hosts.size() == 1) {
    auto authority = ParseAuthority(hosts[0]);
    if (!authority) return Malformed("an HTTP request with a bad Host header");
    sniffed.host = std::move(authority->host);
  } else if (parse.head.version == "HTTP/1.1") {
    return Malformed("an HTTP/1.1 request without a Host header");
  }
  if (parse.head.target.front() != '/' && parse.head.target != "*") {
    // An absolute target names the host a server obeys over the Host header.
    auto uri = ParseHttpUri(parse.head.target);
    if (!uri) return Malformed("an HTTP request with a target that is not an http URI");
    if (!sniffed.host || !EqualsIgnoringCase(*sniffed.host, uri->authority.host)) {
      return Malformed("an HTTP request whose target and Host name different hosts");
    }
  }
  return sniffed;
}

}  // namespace

Sniffed SniffFirstBytes(std::string_view bytes, bool final) {
  if (bytes.empty()) {
    return final ? Sniffed{Sniffed::Kind::kOther, std::nullopt, {}}
                 : Sniffed{Sniffed::Kind::kNeedMore, std::nullopt, {}};
  }
  if (static_cast<uint8_t>(bytes[0]) == kHandshakeRecord) {
    if (bytes.size() >= 2 && bytes[1] != 3) return {Sniffed::Kind::kOther, std::nullopt, {}};
    return SniffTls(bytes, final);
  }
  if (CouldBeRequestLine(bytes)) {
    if (bytes.find("\r\n") != std::string_view::npos) return SniffHttp(bytes, final);
    // Held back, the rest of the line (and the Host after it) would pass unread.
    if (final) return Malformed("an HTTP request line that did not complete");
    if (bytes.size() > kMaxLineBytes) return Malformed("an HTTP request line over the size limit");
    return {Sniffed::Kind::kNeedMore, std::nullopt, {}};
  }
  return {Sniffed::Kind::kOther, std::nullopt, {}};
}

}  // namespace aarm::network::detail
