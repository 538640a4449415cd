#include "dns_service.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "address.hpp"

namespace aarm::network::detail {
namespace {

constexpr auto kLookupTimeout = std::chrono::seconds(5);
constexpr uint16_t kDnsPortNumber = 53;

}  // namespace

DnsService::DnsService(const policy::Engine& engine, const Gate& gate, const HostLookup& lookup,
                       AddressNames& names, int socket_fd, int stop_fd, bool ipv6)
    : engine_(engine),
      gate_(gate),
      lookup_(lookup),
      names_(names),
      socket_fd_(socket_fd),
      stop_fd_(stop_fd),
      ipv6_(ipv6) {}

void DnsService::Receive(const Spawner& spawn) {
  std::array<uint8_t, 4096> buffer;
  for (;;) {
    DnsPeer peer;
    peer.length = sizeof(peer.address);
    const ssize_t n = ::recvfrom(socket_fd_, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&peer.address), &peer.length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    const DnsParse parse = ParseDnsQuery(std::span(buffer.data(), static_cast<size_t>(n)));
    if (parse.status == DnsParse::Status::kDrop) continue;
    if (parse.status == DnsParse::Status::kError) {
      Send(BuildDnsHeaderOnly(parse.query, parse.rcode), peer);
      continue;
    }
    if (parse.query.klass != kDnsClassIn) {
      Send(BuildDnsAnswer(parse.query, kDnsRefused, {}, 0), peer);
      continue;
    }
    if (!spawn([this, query = parse.query, peer] { Answer(query, peer); })) {
      Send(BuildDnsAnswer(parse.query, kDnsServFail, {}, 0), peer);
    }
  }
}

void DnsService::Answer(const DnsQuery& query, const DnsPeer& peer) {
  if (gate_.Failed()) {
    Send(BuildDnsAnswer(query, kDnsServFail, {}, 0), peer);
    return;
  }
  const auto name = query.name_is_text ? NormalizeHostName(query.name) : std::nullopt;
  if (!name) {
    // Nothing could be looked up for it: refused whatever --audit says.
    RefuseName(query.name.empty() ? "." : query.name,
               {policy::Verdict::kDeny, true, kRuleName, "not a valid host name"});
    Send(BuildDnsAnswer(query, kDnsNxDomain, {}, 0), peer);
    return;
  }
  if (!engine_.CouldConnectTo(*name) &&
      RefuseName(*name, {policy::Verdict::kDeny, false, kRuleDns,
                         "no rule could allow a connection to this name"})) {
    Send(BuildDnsAnswer(query, gate_.Failed() ? kDnsServFail : kDnsNxDomain, {}, 0), peer);
    return;
  }
  if ((query.type != kDnsTypeA && query.type != kDnsTypeAaaa) ||
      (query.type == kDnsTypeAaaa && !ipv6_)) {
    Send(BuildDnsAnswer(query, kDnsNoError, {}, 0), peer);
    return;
  }
  const int family = query.type == kDnsTypeA ? AF_INET : AF_INET6;
  const LookupResult found =
      lookup_.Resolve(*name, family, Clock::now() + kLookupTimeout, stop_fd_);
  switch (found.status) {
    case LookupResult::Status::kFound: {
      std::vector<std::string> answers;
      for (const std::string& address : found.addresses) {
        if (StaysInSandbox(address)) {
          const std::string stand_in = names_.StandIn(*name, family == AF_INET6);
          if (std::find(answers.begin(), answers.end(), stand_in) == answers.end()) {
            answers.push_back(stand_in);
          }
          continue;
        }
        names_.Remember(address, *name);
        answers.push_back(address);
      }
      Send(BuildDnsAnswer(query, kDnsNoError, answers, kDnsTtlSeconds), peer);
      return;
    }
    case LookupResult::Status::kNoName:
      Send(BuildDnsAnswer(query, kDnsNxDomain, {}, 0), peer);
      return;
    case LookupResult::Status::kNoData:
      Send(BuildDnsAnswer(query, kDnsNoError, {}, 0), peer);
      return;
    case LookupResult::Status::kFailed:
      Send(BuildDnsAnswer(query, kDnsServFail, {}, 0), peer);
      return;
    case LookupResult::Status::kStopped:
      return;
  }
}

bool DnsService::RefuseName(const std::string& name, const policy::Decision& decision) {
  {
    std::lock_guard lock(mutex_);
    const bool first = refused_.size() < kMaxRememberedRefusals ? refused_.insert(name).second
                                                                 : !refused_.contains(name);
    if (!first) return decision.forbidden || !gate_.Audit();
  }
  policy::Action action;
  action.kind = policy::ActionKind::kNetSend;
  action.protocol = "dns";
  action.host = name;
  action.port = kDnsPortNumber;
  return gate_.Refuse(action, decision);
}

void DnsService::Send(const std::vector<uint8_t>& packet, const DnsPeer& peer) const {
  ::sendto(socket_fd_, packet.data(), packet.size(), MSG_DONTWAIT,
           reinterpret_cast<const sockaddr*>(&peer.address), peer.length);
}

}  // namespace aarm::network::detail
