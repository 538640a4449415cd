// Bytes a client would send, built by hand: TLS ClientHellos and DNS queries, with the
// deviations the tests need.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aarm::network::testing {

inline void Put16(std::string& out, size_t value) {
  out.push_back(static_cast<char>((value >> 8) & 0xFF));
  out.push_back(static_cast<char>(value & 0xFF));
}

inline void Put24(std::string& out, size_t value) {
  out.push_back(static_cast<char>((value >> 16) & 0xFF));
  Put16(out, value & 0xFFFF);
}

struct HelloOptions {
  std::vector<std::string> names;  // host_name entries of server_name; none: no extension
  bool server_name_twice = false;  // the server_name extension sent twice
  size_t record_split = 0;         // >0: the handshake split into records of this size
};

// A TLS 1.3-style ClientHello in one record (or several).
inline std::string ClientHello(const HelloOptions& options) {
  std::string extensions;
  if (!options.names.empty()) {
    std::string list;
    for (const std::string& name : options.names) {
      list.push_back(0);  // host_name
      Put16(list, name.size());
      list += name;
    }
    std::string data;
    Put16(data, list.size());
    data += list;
    for (int i = 0; i < (options.server_name_twice ? 2 : 1); ++i) {
      Put16(extensions, 0);
      Put16(extensions, data.size());
      extensions += data;
    }
  }
  // supported_versions: TLS 1.3
  Put16(extensions, 43);
  Put16(extensions, 3);
  extensions += std::string("\x02\x03\x04", 3);

  std::string body;
  Put16(body, 0x0303);
  body += std::string(32, '\x11');  // random
  body.push_back(32);
  body += std::string(32, '\x22');  // session id
  Put16(body, 2);
  Put16(body, 0x1301);  // TLS_AES_128_GCM_SHA256
  body.push_back(1);
  body.push_back(0);  // null compression
  Put16(body, extensions.size());
  body += extensions;

  std::string handshake;
  handshake.push_back(1);  // client_hello
  Put24(handshake, body.size());
  handshake += body;

  const size_t split = options.record_split ? options.record_split : handshake.size();
  std::string records;
  for (size_t at = 0; at < handshake.size(); at += split) {
    const std::string part = handshake.substr(at, split);
    records += std::string("\x16\x03\x01", 3);
    Put16(records, part.size());
    records += part;
  }
  return records;
}

// A standard query for `name` (labels as given, case kept) of `type`, class IN, RD set.
inline std::string DnsQueryPacket(uint16_t id, const std::string& name, uint16_t type,
                                  uint16_t questions = 1, uint16_t flags = 0x0100) {
  std::string packet;
  Put16(packet, id);
  Put16(packet, flags);
  Put16(packet, questions);
  Put16(packet, 0);
  Put16(packet, 0);
  Put16(packet, 0);
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    packet.push_back(static_cast<char>(dot - start));
    packet += name.substr(start, dot - start);
    start = dot + 1;
  }
  packet.push_back(0);
  Put16(packet, type);
  Put16(packet, 1);
  return packet;
}

// What an answer says: its id, rcode, question as echoed, and the A/AAAA records' addresses
// and TTLs (records of the answer section only; this reader trusts the service's layout:
// each record's name is a pointer).
struct DnsAnswer {
  uint16_t id = 0;
  uint16_t flags = 0;
  int rcode = -1;
  uint16_t questions = 0;
  std::string question;
  std::vector<std::string> addresses;
  std::vector<uint32_t> ttls;
};

inline uint16_t Get16(const std::string& b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) | static_cast<uint8_t>(b[at + 1]));
}

inline std::optional<DnsAnswer> ReadDnsAnswer(const std::string& packet) {
  if (packet.size() < 12) return std::nullopt;
  DnsAnswer answer;
  answer.id = Get16(packet, 0);
  answer.flags = Get16(packet, 2);
  answer.rcode = answer.flags & 0x0F;
  answer.questions = Get16(packet, 4);
  const uint16_t records = Get16(packet, 6);
  size_t at = 12;
  if (answer.questions == 1) {
    const size_t start = at;
    while (at < packet.size() && packet[at] != 0) at += 1 + static_cast<uint8_t>(packet[at]);
    at += 1 + 4;
    if (at > packet.size()) return std::nullopt;
    answer.question = packet.substr(start, at - start);
  }
  for (uint16_t i = 0; i < records; ++i) {
    if (at + 12 > packet.size()) return std::nullopt;
    const uint16_t type = Get16(packet, at + 2);
    answer.ttls.push_back((uint32_t{Get16(packet, at + 6)} << 16) | Get16(packet, at + 8));
    const uint16_t length = Get16(packet, at + 10);
    at += 12;
    if (at + length > packet.size() || (length != 4 && length != 16)) return std::nullopt;
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(type == 1 ? AF_INET : AF_INET6, packet.data() + at, text, sizeof(text));
    answer.addresses.push_back(text);
    at += length;
  }
  return answer;
}

}  // namespace aarm::network::testing
