#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "address.hpp"
#include "body_framer.hpp"
#include "handlers.hpp"
#include "http_message.hpp"

namespace aarm::network::detail {
namespace {

constexpr auto kReplyTimeout = std::chrono::seconds(10);

// Headers that concern the connection to the proxy, not the request (RFC 9110 7.6.1), and
// Host, which is written from the request target.
constexpr std::array<std::string_view, 8> kDroppedHeaders = {
    "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authorization",
    "Proxy-Authenticate", "TE", "Upgrade", "Host",
};

// Headers a Connection header may not make hop-by-hop: dropping one would change how the
// server frames the request or whom it is for.
constexpr std::array<std::string_view, 3> kKeptHeaders = {"Content-Length", "Transfer-Encoding",
                                                          "Host"};

void Reply(const Context& context, int agent, int code, std::string_view status,
           std::string_view body) {
  const std::string response = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      code, status, body.size(), body);
  (void)WriteAll(agent, response, Clock::now() + kReplyTimeout, context.stop_fd);
}

void ReplyBadRequest(const Context& context, int agent, std::string_view why) {
  Reply(context, agent, 400, "Bad Request", fmt::format("aarm: {}\n", why));
}

// The names a Connection header lists, each then hop-by-hop; nullopt when it lists one that
// must be kept.
std::optional<std::vector<std::string>> ConnectionOptions(const RequestHead& head) {
  std::vector<std::string> names;
  for (std::string_view value : head.Values("Connection")) {
    while (!value.empty()) {
      const size_t comma = std::min(value.find(','), value.size());
      std::string_view name = value.substr(0, comma);
      while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      for (std::string_view kept : kKeptHeaders) {
        if (EqualsIgnoringCase(name, kept)) return std::nullopt;
      }
      if (!name.empty()) names.emplace_back(name);
      value.remove_prefix(std::min(comma + 1, value.size()));
    }
  }
  return names;
}

// The head the origin server gets: origin-form target, Host from the target, hop-by-hop
// headers dropped, and Connection: close — one request per connection, so that a next one
// on the agent's connection is never carried without its own decision.
std::string ForwardHead(const RequestHead& head, const HttpUri& uri,
                        const std::vector<std::string>& hop_by_hop) {
  std::string host = uri.authority.host.find(':') != std::string::npos
                         ? "[" + uri.authority.host + "]"
                         : uri.authority.host;
  if (uri.authority.port != 80) host += ":" + std::to_string(*uri.authority.port);
  std::string out = fmt::format("{} {} {}\r\nHost: {}\r\n", head.method, uri.origin_form,
                                head.version, host);
  for (const auto& [name, value] : head.headers) {
    const auto same = [&name](std::string_view other) { return EqualsIgnoringCase(name, other); };
    if (std::any_of(kDroppedHeaders.begin(), kDroppedHeaders.end(), same) ||
        std::any_of(hop_by_hop.begin(), hop_by_hop.end(), same)) {
      continue;
    }
    out += name + ": " + value + "\r\n";
  }
  out += "Connection: close\r\n\r\n";
  return out;
}

// Answers an admission that is not kAllowed; true when it was one of those.
bool ReplyRefused(const Context& context, int agent, const Admission& admission) {
  switch (admission.outcome) {
    case Admission::Outcome::kAllowed: return false;
    case Admission::Outcome::kDenied: {
      const std::string rule = admission.decision.rule.empty() ? "the session default"
                                                               : "rule '" + admission.decision.rule + "'";
      Reply(context, agent, 403, "Forbidden",
            fmt::format("aarm: this connection is denied by {}\n", rule));
      return true;
    }
    case Admission::Outcome::kUnresolved:
      Reply(context, agent, 502, "Bad Gateway", "aarm: the host name does not resolve\n");
      return true;
    case Admission::Outcome::kFailed:
      Reply(context, agent, 503, "Service Unavailable", "aarm: the session cannot record\n");
      return true;
  }
  return true;
}

void ReplyDialFailure(const Context& context, int agent, const Error& error) {
  if (error.sys_errno == kStoppedErrno) return;
  if (error.sys_errno == ETIMEDOUT) {
    Reply(context, agent, 504, "Gateway Timeout", "aarm: the host did not answer\n");
  } else {
    Reply(context, agent, 502, "Bad Gateway",
          fmt::format("aarm: cannot connect: {}\n", std::strerror(error.sys_errno)));
  }
}

}  // namespace

void ServeHttpProxy(const Context& context, UniqueFd agent, const policy::ActingProcess& client) {
  const Clock::time_point deadline = Clock::now() + context.handshake_timeout;
  std::string bytes;
  std::array<char, 16 * 1024> chunk;
  HeadParse parse;
  for (;;) {
    parse = ParseRequestHead(bytes);
    if (parse.status != HeadStatus::kIncomplete) break;
    auto got = ReadSome(agent.Get(), chunk, deadline, context.stop_fd);
    if (!got && got.error().sys_errno == ETIMEDOUT) {
      Reply(context, agent.Get(), 408, "Request Timeout", "aarm: the request head took too long\n");
    }
    if (!got || *got == 0) return;
    bytes.append(chunk.data(), *got);
  }
  if (parse.status == HeadStatus::kTooLarge) {
    Reply(context, agent.Get(), 431, "Request Header Fields Too Large",
          "aarm: the request head is too large\n");
    return;
  }
  if (parse.status == HeadStatus::kMalformed) {
    ReplyBadRequest(context, agent.Get(), "malformed request");
    return;
  }
  const RequestHead& head = parse.head;
  const std::string rest = bytes.substr(parse.length);

  if (head.method == "CONNECT") {
    const auto authority = ParseAuthority(head.target);
    if (!authority || !authority->port) {
      ReplyBadRequest(context, agent.Get(), "CONNECT needs host:port");
      return;
    }
    Destination destination = ProxyDestination(context, authority->host, *authority->port);
    destination.process = client;
    const Admission admission = context.gate.Admit(destination, context.stop_fd);
    if (ReplyRefused(context, agent.Get(), admission)) return;
    auto remote = DialAdmitted(context, admission);
    if (!remote) {
      ReplyDialFailure(context, agent.Get(), remote.error());
      return;
    }
    const auto sent = WriteAll(agent.Get(), "HTTP/1.1 200 Connection established\r\n\r\n",
                               Clock::now() + kReplyTimeout, context.stop_fd);
    if (!sent) {
      context.gate.Closed(admission, {});
      return;
    }
    RunTunnel(context, admission, std::move(agent), std::move(*remote), rest);
    return;
  }

  const auto uri = ParseHttpUri(head.target);
  if (!uri) {
    ReplyBadRequest(context, agent.Get(),
                    "this proxy takes CONNECT host:port and http:// requests (use CONNECT for "
                    "https)");
    return;
  }
  auto framer = BodyFramer::ForRequest(head);
  const auto hop_by_hop = ConnectionOptions(head);
  if (!framer || !hop_by_hop) {
    ReplyBadRequest(context, agent.Get(), "ambiguous request framing");
    return;
  }
  Destination destination = ProxyDestination(context, uri->authority.host, *uri->authority.port);
  destination.process = client;
  const Admission admission = context.gate.Admit(destination, context.stop_fd);
  if (ReplyRefused(context, agent.Get(), admission)) return;
  auto remote = DialAdmitted(context, admission);
  if (!remote) {
    ReplyDialFailure(context, agent.Get(), remote.error());
    return;
  }
  const std::string forward = ForwardHead(head, *uri, *hop_by_hop);
  RelayAndClose(context, admission, agent.Get(), remote->Get(), {rest, forward, &*framer});
}

}  // namespace aarm::network::detail
