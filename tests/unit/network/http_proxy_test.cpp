// The HTTP proxy with real clients (curl and raw sockets) against origins on the loopback.
#include <catch2/catch.hpp>

#include <string>

#include "unit/network/network_test_support.hpp"
#include "unit/network/wire_builders.hpp"

using namespace aarm::network::testing;
using aarm::policy::ActionKind;
using aarm::policy::Verdict;

namespace {

std::string Port(uint16_t port) { return std::to_string(port); }

std::string Proxy(const ServiceUnderTest& s) { return "-x http://127.0.0.1:" + Port(s.http_port); }

// The status code curl printed last.
std::string StatusOf(const CommandResult& result) {
  return result.out.substr(result.out.rfind('\n') + 1);
}

// Sends `request` to the proxy and returns everything it answers.
Received AskProxy(const ServiceUnderTest& s, const std::string& request) {
  aarm::UniqueFd fd = ConnectTo(s.http_port);
  SendAll(fd.Get(), request);
  return ReceiveAll(fd.Get());
}

}  // namespace

TEST_CASE("HTTP proxy: an http:// request is recorded before it is dialled, then forwarded in "
          "origin form without the proxy's headers",
          "[network]") {
  LoopbackServer origin(HttpOrigin("hello"));
  ServiceUnderTest s(StandardEngine());
  int connections_when_decided = -1;
  s.observer.OnDecidedDo([&](const Record&) { connections_when_decided = origin.Connections(); });

  const auto result = Curl(Proxy(s) + " -H 'Proxy-Authorization: Basic c2VjcmV0' "
                           "http://origin.test:" + Port(origin.Port()) + "/path?q=1");
  CHECK(result.out == "hello\n200");
  CHECK(connections_when_decided == 0);

  const auto received = origin.Received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].rfind("GET /path?q=1 HTTP/1.1\r\n", 0) == 0);
  CHECK(received[0].find("Host: origin.test:" + Port(origin.Port()) + "\r\n") != std::string::npos);
  CHECK(received[0].find("Connection: close\r\n") != std::string::npos);
  CHECK(received[0].find("Proxy-") == std::string::npos);

  const auto decided = s.observer.WaitFor(1, IsDecided);
  REQUIRE(decided.size() == 1);
  const Record& r = decided[0];
  CHECK(r.action.kind == ActionKind::kNetConnect);
  CHECK(r.action.protocol == "tcp");
  CHECK(r.action.host == "origin.test");
  CHECK(r.action.address == "127.0.0.1");
  CHECK(r.action.port == origin.Port());
  CHECK(r.action.process.pid == 0);  // the proxies cannot tell which process asked
  CHECK(r.decision.verdict == Verdict::kAllow);
  CHECK(r.decision.rule == "network.allow");
  CHECK(r.enforced);
  CHECK(r.result.ok);

  const auto closed = s.observer.WaitFor(1, IsClosed);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].action.host == "origin.test");
  CHECK(closed[0].transfer.bytes_up == received[0].size());
  CHECK(closed[0].transfer.bytes_down > 5);
  CHECK(s.observer.Records().front().closed == false);
}

TEST_CASE("HTTP proxy: CONNECT opens a tunnel", "[network]") {
  LoopbackServer origin(HttpOrigin("through the tunnel"));
  ServiceUnderTest s(StandardEngine());
  const auto result =
      Curl("-p " + Proxy(s) + " http://origin.test:" + Port(origin.Port()) + "/x");
  CHECK(result.out == "through the tunnel\n200");
  REQUIRE(origin.Received().size() == 1);
  CHECK(origin.Received()[0].rfind("GET /x HTTP/1.1\r\n", 0) == 0);
  const auto closed = s.observer.WaitFor(1, IsClosed);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].transfer.bytes_up == origin.Received()[0].size());
}

TEST_CASE("HTTP proxy: a denied name is answered 403 and never resolved", "[network]") {
  LoopbackServer origin(HttpOrigin("unreachable"));
  ServiceUnderTest s(StandardEngine());
  for (const std::string& host : {std::string("evil.test"), std::string("unlisted.test")}) {
    const auto result = Curl(Proxy(s) + " http://" + host + ":" + Port(origin.Port()) + "/");
    CHECK(StatusOf(result) == "403");
  }
  const auto decided = s.observer.WaitFor(2, IsDecided);
  REQUIRE(decided.size() == 2);
  CHECK(decided[0].action.host == "evil.test");
  CHECK(decided[0].decision.rule == "no-evil");
  CHECK(decided[1].decision.rule == "network.default");
  for (const Record& r : decided) {
    CHECK(r.decision.verdict == Verdict::kDeny);
    CHECK(r.action.address.empty());  // decided by name alone: no lookup was made
    CHECK(r.enforced);
    CHECK_FALSE(r.result.ok);
  }
  CHECK(origin.Connections() == 0);
  CHECK(s.observer.WaitFor(1, IsClosed, 200ms).empty());
}

TEST_CASE("HTTP proxy: a name that resolves to the host's loopback is refused (DNS rebinding), "
          "and so is the address itself",
          "[network]") {
  LoopbackServer origin(HttpOrigin("host service"));
  ServiceUnderTest s(StandardEngine());
  const std::string port = Port(origin.Port());
  // localhost is allowed by name, but no pin names its address.
  CHECK(StatusOf(Curl(Proxy(s) + " http://localhost:" + port + "/")) == "403");
  CHECK(AskProxy(s, "CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\n\r\n").bytes.rfind("HTTP/1.1 403 ", 0) == 0);
  CHECK(AskProxy(s, "CONNECT [::ffff:127.0.0.1]:" + port + " HTTP/1.1\r\n\r\n").bytes.rfind("HTTP/1.1 403 ", 0) == 0);
  CHECK(origin.Connections() == 0);
  const auto decided = s.observer.WaitFor(3, IsDecided);
  REQUIRE(decided.size() == 3);
  CHECK(decided[0].action.host == "localhost");
  CHECK(decided[0].action.address == "127.0.0.1");
  CHECK(decided[1].action.host.empty());
  CHECK(decided[1].action.address == "127.0.0.1");
  CHECK(decided[2].action.address == "127.0.0.1");
  for (const Record& r : decided) {
    CHECK(r.decision.verdict == Verdict::kDeny);
    CHECK(r.decision.forbidden);
    CHECK(r.decision.rule == "network.host-loopback");
  }
}

TEST_CASE("HTTP proxy: a host that refuses the connection is 502, with a closing record",
          "[network]") {
  ServiceUnderTest s(StandardEngine());
  CHECK(StatusOf(Curl(Proxy(s) + " http://origin.test:" + Port(UnusedPort()) + "/")) == "502");
  CHECK(StatusOf(Curl(Proxy(s) + " http://nx.invalid/")) == "502");
  const auto decided = s.observer.WaitFor(2, IsDecided);
  REQUIRE(decided.size() == 2);
  CHECK(decided[0].result.ok);
  CHECK(decided[1].action.host == "nx.invalid");
  CHECK_FALSE(decided[1].result.ok);  // allowed, but it did not resolve: never dialled
  const auto closed = s.observer.WaitFor(1, IsClosed);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].action.host == "origin.test");
  CHECK(closed[0].transfer.bytes_up == 0);
  CHECK(closed[0].transfer.bytes_down == 0);
}

TEST_CASE("HTTP proxy: one request per connection, a pipelined one is never carried",
          "[network]") {
  LoopbackServer origin(HttpOrigin("first"));
  ServiceUnderTest s(StandardEngine());
  const std::string port = Port(origin.Port());

  SECTION("after a request without a body") {
    const Received answer = AskProxy(
        s, "GET http://origin.test:" + port + "/a HTTP/1.1\r\nHost: origin.test\r\n\r\n"
           "GET http://other.test:" + port + "/b HTTP/1.1\r\nHost: other.test\r\n\r\n");
    CHECK(answer.bytes.find("200 OK") != std::string::npos);
    CHECK(answer.bytes.ends_with("first"));
  }
  SECTION("after a chunked body") {
    const std::string body = "5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n";
    const Received answer = AskProxy(
        s, "POST http://origin.test:" + port + "/a HTTP/1.1\r\nHost: origin.test\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" + body +
           "GET http://other.test:" + port + "/b HTTP/1.1\r\n\r\n");
    CHECK(answer.bytes.ends_with("first"));
    REQUIRE(origin.Received().size() == 1);
    CHECK(origin.Received()[0].ends_with("\r\n\r\n" + body));
  }
  SECTION("after a Content-Length body") {
    const Received answer = AskProxy(
        s, "POST http://origin.test:" + port + "/a HTTP/1.1\r\nContent-Length: 4\r\n\r\n"
           "dataGET http://other.test:" + port + "/b HTTP/1.1\r\n\r\n");
    CHECK(answer.bytes.ends_with("first"));
    REQUIRE(origin.Received().size() == 1);
    CHECK(origin.Received()[0].ends_with("\r\n\r\ndata"));
  }
  CHECK(origin.Connections() == 1);
  for (const std::string& seen : origin.Received()) CHECK(seen.find("/b") == std::string::npos);
  CHECK(s.observer.WaitFor(1, IsDecided).size() == 1);
}

TEST_CASE("HTTP proxy: hostile request heads get a short error and no decision", "[network]") {
  aarm::network::ServiceOptions options;
  options.handshake_timeout = 300ms;
  ServiceUnderTest s(StandardEngine(), options);

  const auto status_line = [](const Received& r) { return r.bytes.substr(0, r.bytes.find("\r\n")); };
  CHECK(status_line(AskProxy(s, "GET http://origin.test/ HTTP/1.1\r\nX: " + std::string(9000, 'a') +
                                    "\r\n\r\n")) == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(status_line(AskProxy(s, std::string(70 * 1024, 'A'))) ==
        "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(status_line(AskProxy(s, std::string("\x16\x03\x01\x02\x00\x01\x00\xff\r\n\r\n", 12))) ==
        "HTTP/1.1 400 Bad Request");
  CHECK(status_line(AskProxy(s, "GET / HTTP/1.1\r\nHost: origin.test\r\n\r\n")) ==
        "HTTP/1.1 400 Bad Request");
  CHECK(status_line(AskProxy(s, "GET https://origin.test/ HTTP/1.1\r\n\r\n")) ==
        "HTTP/1.1 400 Bad Request");
  CHECK(status_line(AskProxy(s, "CONNECT origin.test HTTP/1.1\r\n\r\n")) ==
        "HTTP/1.1 400 Bad Request");
  CHECK(status_line(AskProxy(s, "GET http://user:pw@origin.test/ HTTP/1.1\r\n\r\n")) ==
        "HTTP/1.1 400 Bad Request");
  CHECK(status_line(AskProxy(s, "GET http://origin.test/ HTTP/1.1\r\n folded\r\n\r\n")) ==
        "HTTP/1.1 400 Bad Request");
  CHECK(status_line(AskProxy(s, "GET http://origin.test/ HTTP/1.1\r\nX: a\nb\r\n\r\n")) ==
        "HTTP/1.1 400 Bad Request");
  CHECK(status_line(AskProxy(s, "CONNECT ev\x01il.test:80 HTTP/1.1\r\n\r\n")) ==
        "HTTP/1.1 400 Bad Request");
  // Framing two servers could read two ways (request smuggling).
  CHECK(status_line(AskProxy(s, "POST http://origin.test/ HTTP/1.1\r\nContent-Length: 3\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
  CHECK(status_line(AskProxy(s, "POST http://origin.test/ HTTP/1.1\r\nContent-Length: 3\r\n"
                                "Content-Length: 4\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
  CHECK(status_line(AskProxy(s, "POST http://origin.test/ HTTP/1.1\r\nTransfer-Encoding: gzip, "
                                "chunked\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
  CHECK(status_line(AskProxy(s, "GET http://origin.test/ HTTP/1.1\r\nConnection: "
                                "Content-Length\r\n\r\n")) == "HTTP/1.1 400 Bad Request");

  SECTION("a slow head is dropped") {
    aarm::UniqueFd fd = ConnectTo(s.http_port);
    SendAll(fd.Get(), "GET http://origin.test/ HTTP/1.1\r\n");
    const auto started = std::chrono::steady_clock::now();
    const Received answer = ReceiveAll(fd.Get(), 5s);
    CHECK(std::chrono::steady_clock::now() - started < 3s);
    CHECK(status_line(answer) == "HTTP/1.1 408 Request Timeout");
  }
  CHECK(s.observer.Records().empty());
}

TEST_CASE("HTTP proxy: an invalid host name is refused and recorded, whatever --audit says",
          "[network]") {
  aarm::network::ServiceOptions options;
  options.audit = true;
  ServiceUnderTest s(StandardEngine(), options);
  const Received answer = AskProxy(s, "CONNECT bad..name:443 HTTP/1.1\r\n\r\n");
  CHECK(answer.bytes.rfind("HTTP/1.1 403 ", 0) == 0);
  const auto decided = s.observer.WaitFor(1, IsDecided);
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].action.host == "bad..name");
  CHECK(decided[0].decision.rule == "network.name");
  CHECK(decided[0].decision.forbidden);
  CHECK(decided[0].enforced);
}

namespace {

// An origin that reads one request head and `body_bytes` after it, answers 200 with `answer`,
// then keeps reading until the proxy closes (or two seconds pass), so that it remembers
// whatever was carried after the body too.
LoopbackServer::Handler DrainingOrigin(size_t body_bytes, std::string answer) {
  return [body_bytes, answer](int fd, std::string& received) {
    received = ReceiveUntil(fd, "\r\n\r\n");
    const size_t head = received.find("\r\n\r\n");
    if (head == std::string::npos) return;
    const auto read_more = [&](std::chrono::milliseconds timeout) {
      char c[16384];
      pollfd p = {fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
      const ssize_t n = ::recv(fd, c, sizeof(c), 0);
      if (n <= 0) return false;
      received.append(c, static_cast<size_t>(n));
      return true;
    };
    while (received.size() < head + 4 + body_bytes && read_more(5s)) {
    }
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(answer.size()) +
                    "\r\nConnection: close\r\n\r\n" + answer);
    while (read_more(2s)) {
    }
  };
}

}  // namespace

TEST_CASE("HTTP proxy: a body larger than the relay's buffer still ends where its framing "
          "says, and a request pipelined after it is never carried",
          "[network]") {
  // A read that fills the relay's buffer moves it to bulk copying; the framer must still see
  // every byte, or the pipelined request would follow the body to the origin.
  const std::string pipelined = "GET http://other.test/ HTTP/1.1\r\nHost: other.test\r\n\r\n";
  std::string head;
  std::string body;
  SECTION("Content-Length") {
    body.resize(200 * 1024);
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
    head = "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  SECTION("chunked") {
    for (int i = 0; i < 5; ++i) {
      const std::string chunk(40000 + 123 * i, static_cast<char>('k' + i));
      char size[16];
      std::snprintf(size, sizeof(size), "%zx", chunk.size());
      body += std::string(size) + (i == 2 ? ";ext=1" : "") + "\r\n" + chunk + "\r\n";
    }
    body += "0\r\n\r\n";
    head = "Transfer-Encoding: chunked\r\n";
  }
  REQUIRE(body.size() > 2 * 64 * 1024);

  LoopbackServer origin(DrainingOrigin(body.size(), "first"));
  ServiceUnderTest s(StandardEngine());
  const Received answer =
      AskProxy(s, "POST http://origin.test:" + Port(origin.Port()) +
                      "/up HTTP/1.1\r\nHost: origin.test\r\n" + head + "\r\n" + body + pipelined);
  CHECK(answer.bytes.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(answer.bytes.ends_with("\r\n\r\nfirst"));

  const std::vector<std::string> received = origin.Received();
  REQUIRE(received.size() == 1);
  const std::string& seen = received[0];
  CHECK(seen.rfind("POST /up HTTP/1.1\r\n", 0) == 0);
  // Exactly the head and the body: nothing of the pipelined request after it.
  const size_t head_end = seen.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  CHECK(seen.size() == head_end + 4 + body.size());
  CHECK(seen.compare(head_end + 4, std::string::npos, body) == 0);
  CHECK(seen.find("other.test") == std::string::npos);
  CHECK(origin.Connections() == 1);

  const auto decided = s.observer.WaitFor(2, IsDecided, 300ms);
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].action.host == "origin.test");
  CHECK(decided[0].action.port == origin.Port());
  const auto closed = s.observer.WaitFor(1, IsClosed);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].action.host == "origin.test");
  CHECK(closed[0].transfer.bytes_up == seen.size());
}
