// The DNS wire format (RFC 1035) as far as the sandbox's resolver needs it: one question in,
// addresses out. Strict: a query with compression in its question, more than one question,
// answer or authority records, or a name over 255 bytes is answered FORMERR; the additional
// section (an EDNS OPT record) is ignored.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace aarm::network::detail {

inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypeAaaa = 28;
inline constexpr uint16_t kDnsClassIn = 1;

inline constexpr uint8_t kDnsNoError = 0;
inline constexpr uint8_t kDnsFormErr = 1;
inline constexpr uint8_t kDnsServFail = 2;
inline constexpr uint8_t kDnsNxDomain = 3;
inline constexpr uint8_t kDnsNotImp = 4;
inline constexpr uint8_t kDnsRefused = 5;

// A plain DNS message over UDP without EDNS: what every client takes.
inline constexpr size_t kDnsMaxUdpBytes = 512;

struct DnsQuery {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::string name;        // labels joined by '.', bytes as sent ("" for the root)
  bool name_is_text = true;  // every label holds only letters, digits, '-' and '_'
  uint16_t type = 0;
  uint16_t klass = 0;
  std::vector<uint8_t> question;  // the question section as sent, echoed in the answer
};

struct DnsParse {
  enum class Status {
    kQuery,  // `query` is a well-formed standard query
    kError,  // answer `rcode` (FORMERR, NOTIMP) with the header alone
    kDrop,   // not a query at all (too short, or a response): no answer
  };
  Status status = Status::kDrop;
  DnsQuery query;  // the id and flags are set for kError as well
  uint8_t rcode = 0;
};

DnsParse ParseDnsQuery(std::span<const uint8_t> packet);

// An answer to `query` with `rcode` and, for NOERROR, `addresses` (canonical, of the family of
// the query's type) as records with `ttl`. Records that would take the message past
// kDnsMaxUdpBytes are left out.
std::vector<uint8_t> BuildDnsAnswer(const DnsQuery& query, uint8_t rcode,
                                    const std::vector<std::string>& addresses, uint32_t ttl);

// An answer carrying only the header: for a query that could not be read.
std::vector<uint8_t> BuildDnsHeaderOnly(const DnsQuery& query, uint8_t rcode);

}  // namespace aarm::network::detail
