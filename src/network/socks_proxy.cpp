#include <array>
#include <cerrno>

#include "handlers.hpp"
#include "socks5.hpp"

namespace aarm::network::detail {
namespace {

constexpr auto kReplyTimeout = std::chrono::seconds(10);
// A greeting is at most 257 bytes, a request 262.
constexpr size_t kMaxHandshakeBytes = 1024;

// Reads until `parse` says the message in `bytes` is complete or invalid; false when the agent
// went away, took too long, or sent more than a handshake holds.
template <typename Parse>
bool ReadMessage(const Context& context, int agent, std::string& bytes, Clock::time_point deadline,
                 Parse parse) {
  std::array<char, 512> chunk;
  while (parse(bytes)) {
    if (bytes.size() > kMaxHandshakeBytes) return false;
    auto got = ReadSome(agent, chunk, deadline, context.stop_fd);
    if (!got || *got == 0) return false;
    bytes.append(chunk.data(), *got);
  }
  return true;
}

bool Send(const Context& context, int agent, uint8_t code) {
  return WriteAll(agent, SocksReply(code), Clock::now() + kReplyTimeout, context.stop_fd)
      .has_value();
}

uint8_t ReplyFor(Admission::Outcome outcome) {
  switch (outcome) {
    case Admission::Outcome::kAllowed: return kSocksSucceeded;
    case Admission::Outcome::kDenied: return kSocksNotAllowed;
    case Admission::Outcome::kUnresolved: return kSocksHostUnreachable;
    case Admission::Outcome::kFailed: return kSocksGeneralFailure;
  }
  return kSocksGeneralFailure;
}

}  // namespace

void ServeSocksProxy(const Context& context, UniqueFd agent, const policy::ActingProcess& client) {
  const Clock::time_point deadline = Clock::now() + context.handshake_timeout;
  std::string bytes;
  SocksGreeting greeting;
  if (!ReadMessage(context, agent.Get(), bytes, deadline, [&](std::string_view b) {
        greeting = ParseSocksGreeting(b);
        return greeting.status == SocksParse::kIncomplete;
      })) {
    return;
  }
  if (greeting.status == SocksParse::kInvalid) return;
  if (!greeting.offers_no_auth) {
    const std::string refusal = {static_cast<char>(kSocksVersion),
                                 static_cast<char>(kSocksNoAcceptableMethod)};
    (void)WriteAll(agent.Get(), refusal, Clock::now() + kReplyTimeout, context.stop_fd);
    return;
  }
  const std::string accepted = {static_cast<char>(kSocksVersion), static_cast<char>(kSocksNoAuth)};
  if (!WriteAll(agent.Get(), accepted, Clock::now() + kReplyTimeout, context.stop_fd)) return;
  bytes.erase(0, greeting.length);

  SocksRequest request;
  if (!ReadMessage(context, agent.Get(), bytes, deadline, [&](std::string_view b) {
        request = ParseSocksRequest(b);
        return request.status == SocksParse::kIncomplete;
      })) {
    return;
  }
  if (request.status == SocksParse::kInvalid) {
    Send(context, agent.Get(), request.reply_on_invalid);
    return;
  }
  Destination destination = ProxyDestination(context, request.host, request.port);
  destination.process = client;
  const Admission admission = context.gate.Admit(destination, context.stop_fd);
  if (admission.outcome != Admission::Outcome::kAllowed) {
    Send(context, agent.Get(), ReplyFor(admission.outcome));
    return;
  }
  auto remote = DialAdmitted(context, admission);
  if (!remote) {
    if (remote.error().sys_errno != kStoppedErrno) {
      Send(context, agent.Get(), SocksReplyForErrno(remote.error().sys_errno));
    }
    return;
  }
  if (!Send(context, agent.Get(), kSocksSucceeded)) {
    context.gate.Closed(admission, {});
    return;
  }
  RunTunnel(context, admission, std::move(agent), std::move(*remote),
            bytes.substr(request.length));
}

}  // namespace aarm::network::detail
