#include "dns_message.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace aarm::network::detail {
namespace {

constexpr size_t kHeaderBytes = 12;
constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxLabelBytes = 63;
constexpr uint16_t kQrFlag = 0x8000;
constexpr uint16_t kOpcodeMask = 0x7800;
constexpr uint16_t kRdFlag = 0x0100;
constexpr uint16_t kRaFlag = 0x0080;
constexpr uint8_t kNamePointer = 0xC0;  // also the label types 0x40 and 0x80 nobody uses
constexpr uint16_t kPointerToQuestion = 0xC000 | kHeaderBytes;

uint16_t Read16(std::span<const uint8_t> bytes, size_t at) {
  return static_cast<uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

void Put16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

void Put32(std::vector<uint8_t>& out, uint32_t value) {
  Put16(out, static_cast<uint16_t>(value >> 16));
  Put16(out, static_cast<uint16_t>(value));
}

bool IsNameByte(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

void PutHeader(std::vector<uint8_t>& out, const DnsQuery& query, uint8_t rcode, uint16_t questions,
               uint16_t answers) {
  Put16(out, query.id);
  Put16(out, static_cast<uint16_t>(kQrFlag | (query.flags & kRdFlag) | kRaFlag | (rcode & 0x0F)));
  Put16(out, questions);
  Put16(out, answers);
  Put16(out, 0);
  Put16(out, 0);
}

}  // namespace

DnsParse ParseDnsQuery(std::span<const uint8_t> packet) {
  DnsParse parse;
  if (packet.size() < kHeaderBytes) return parse;
  parse.query.id = Read16(packet, 0);
  parse.query.flags = Read16(packet, 2);
  if (parse.query.flags & kQrFlag) return parse;  // a response: answering it could loop
  parse.status = DnsParse::Status::kError;
  if (parse.query.flags & kOpcodeMask) {
    parse.rcode = kDnsNotImp;
    return parse;
  }
  parse.rcode = kDnsFormErr;
  if (Read16(packet, 4) != 1 || Read16(packet, 6) != 0 || Read16(packet, 8) != 0) return parse;
  size_t at = kHeaderBytes;
  std::string name;
  bool text = true;
  for (;;) {
    if (at >= packet.size()) return parse;
    const uint8_t length = packet[at];
    if (length & kNamePointer) return parse;
    if (length > kMaxLabelBytes || at + 1 + length > packet.size()) return parse;
    if (at + 1 + length - kHeaderBytes > kMaxNameBytes) return parse;
    if (length == 0) {
      ++at;
      break;
    }
    if (!name.empty()) name.push_back('.');
    for (size_t i = 0; i < length; ++i) {
      const uint8_t c = packet[at + 1 + i];
      text = text && IsNameByte(c);
      name.push_back(static_cast<char>(c));
    }
    at += 1 + length;
  }
  if (at + 4 > packet.size()) return parse;
  parse.query.type = Read16(packet, at);
  parse.query.klass = Read16(packet, at + 2);
  at += 4;
  parse.query.name = std::move(name);
  parse.query.name_is_text = text;
  parse.query.question.assign(packet.begin() + kHeaderBytes, packet.begin() + static_cast<long>(at));
  parse.status = DnsParse::Status::kQuery;
  parse.rcode = kDnsNoError;
  return parse;
}

std::vector<uint8_t> BuildDnsAnswer(const DnsQuery& query, uint8_t rcode,
                                    const std::vector<std::string>& addresses, uint32_t ttl) {
  std::vector<std::vector<uint8_t>> records;
  size_t size = kHeaderBytes + query.question.size();
  if (rcode == kDnsNoError && (query.type == kDnsTypeA || query.type == kDnsTypeAaaa)) {
    const bool v6 = query.type == kDnsTypeAaaa;
    for (const std::string& address : addresses) {
      uint8_t bytes[16] = {};
      if (::inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), bytes) != 1) continue;
      std::vector<uint8_t> record;
      Put16(record, kPointerToQuestion);
      Put16(record, query.type);
      Put16(record, kDnsClassIn);
      Put32(record, ttl);
      Put16(record, v6 ? 16 : 4);
      record.insert(record.end(), bytes, bytes + (v6 ? 16 : 4));
      if (size + record.size() > kDnsMaxUdpBytes) break;
      size += record.size();
      records.push_back(std::move(record));
    }
  }
  std::vector<uint8_t> out;
  out.reserve(size);
  PutHeader(out, query, rcode, 1, static_cast<uint16_t>(records.size()));
  out.insert(out.end(), query.question.begin(), query.question.end());
  for (const auto& record : records) out.insert(out.end(), record.begin(), record.end());
  return out;
}

std::vector<uint8_t> BuildDnsHeaderOnly(const DnsQuery& query, uint8_t rcode) {
  std::vector<uint8_t> out;
  PutHeader(out, query, rcode, 0, 0);
  return out;
}

}  // namespace aarm::network::detail
