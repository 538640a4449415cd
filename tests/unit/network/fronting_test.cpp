// Domain fronting: a tunnel opened to one host whose first bytes name another.
#include <catch2/catch.hpp>

#include <string>

#include "unit/network/network_test_support.hpp"
#include "unit/network/wire_builders.hpp"

using namespace aarm::network::testing;
using aarm::policy::Verdict;

namespace {

// Opens a tunnel to origin.test:`port` (HTTP CONNECT or SOCKS5) and sends `first`.
aarm::UniqueFd TunnelWith(const ServiceUnderTest& s, uint16_t port, const std::string& first,
                          bool socks = false) {
  aarm::UniqueFd fd = ConnectTo(socks ? s.socks_port : s.http_port);
  if (socks) {
    std::string request = std::string("\x05\x01\x00\x05\x01\x00\x03", 7) + '\x0b' + "origin.test";
    request.push_back(static_cast<char>(port >> 8));
    request.push_back(static_cast<char>(port & 0xFF));
    SendAll(fd.Get(), request);
    char reply[12];
    size_t got = 0;
    while (got < 12) {
      const ssize_t n = ::recv(fd.Get(), reply + got, 12 - got, 0);
      REQUIRE(n > 0);
      got += static_cast<size_t>(n);
    }
    REQUIRE(reply[3] == 0x00);
  } else {
    SendAll(fd.Get(), "CONNECT origin.test:" + std::to_string(port) + " HTTP/1.1\r\n\r\n");
    REQUIRE(ReceiveUntil(fd.Get(), "\r\n\r\n").rfind("HTTP/1.1 200 ", 0) == 0);
  }
  SendAll(fd.Get(), first);
  return fd;
}

void Capture(int fd, std::string& received) { received = ReceiveAll(fd, 3s).bytes; }

// What the origin's first `count` connections sent, once it has served them.
std::vector<std::string> WaitReceived(const LoopbackServer& origin, size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (origin.Received().size() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  return origin.Received();
}

}  // namespace

TEST_CASE("Fronting: a TLS server name other than the tunnel's host ends the tunnel",
          "[network]") {
  LoopbackServer origin(Capture);
  ServiceUnderTest s(StandardEngine());
  const bool socks = GENERATE(false, true);
  aarm::UniqueFd fd = TunnelWith(s, origin.Port(), ClientHello({{"Other.Test"}}), socks);
  CHECK(ReceiveAll(fd.Get(), 5s).bytes.empty());

  const auto refused = s.observer.WaitFor(2, IsDecided);
  REQUIRE(refused.size() == 2);
  CHECK(refused[0].decision.verdict == Verdict::kAllow);
  CHECK(refused[1].decision.verdict == Verdict::kDeny);
  CHECK(refused[1].decision.rule == "network.fronting");
  CHECK(refused[1].decision.reason == "the TLS server name 'Other.Test' in a tunnel to 'origin.test'");
  CHECK(refused[1].action.host == "Other.Test");
  CHECK(refused[1].enforced);
  const auto closed = s.observer.WaitFor(1, IsClosed);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].transfer.bytes_up == 0);
  // The destination was dialled (before the first bytes came) but got none of them.
  const auto received = WaitReceived(origin, 1);
  REQUIRE(received.size() == 1);
  CHECK(received[0].empty());
}

TEST_CASE("Fronting: an HTTP Host other than the tunnel's host ends the tunnel", "[network]") {
  LoopbackServer origin(Capture);
  ServiceUnderTest s(StandardEngine());
  aarm::UniqueFd fd =
      TunnelWith(s, origin.Port(), "GET / HTTP/1.1\r\nHost: other.test:8080\r\n\r\n");
  CHECK(ReceiveAll(fd.Get(), 5s).bytes.empty());
  const auto decided = s.observer.WaitFor(2, IsDecided);
  REQUIRE(decided.size() == 2);
  CHECK(decided[1].decision.rule == "network.fronting");
  CHECK(decided[1].decision.reason == "the HTTP Host 'other.test' in a tunnel to 'origin.test'");
}

TEST_CASE("Fronting: first bytes naming the tunnel's own host go through", "[network]") {
  LoopbackServer origin(Capture);
  ServiceUnderTest s(StandardEngine());
  const std::string hello = ClientHello({{"ORIGIN.test."}, false, 100});
  {
    aarm::UniqueFd fd = TunnelWith(s, origin.Port(), hello);
    ::shutdown(fd.Get(), SHUT_WR);
    ReceiveAll(fd.Get(), 5s);
  }
  {
    aarm::UniqueFd fd = TunnelWith(s, origin.Port(), ClientHello({}));  // no server name
    ::shutdown(fd.Get(), SHUT_WR);
    ReceiveAll(fd.Get(), 5s);
  }
  CHECK(s.observer.WaitFor(2, IsClosed).size() == 2);
  const auto received = WaitReceived(origin, 2);
  REQUIRE(received.size() == 2);
  CHECK(received[0] == hello);
  for (const Record& r : s.observer.Records()) CHECK(r.decision.verdict == Verdict::kAllow);
}

TEST_CASE("Fronting: a ClientHello that hides its name is refused", "[network]") {
  LoopbackServer origin(Capture);
  aarm::network::ServiceOptions options;
  options.first_bytes_wait = 300ms;
  ServiceUnderTest s(StandardEngine(), options);
  const std::string two_names = ClientHello({{"origin.test", "other.test"}});
  const std::string twice = ClientHello({{"origin.test"}, true});
  const std::string unfinished = ClientHello({{"other.test"}}).substr(0, 60);
  for (const std::string& first : {two_names, twice, unfinished}) {
    aarm::UniqueFd fd = TunnelWith(s, origin.Port(), first);
    CHECK(ReceiveAll(fd.Get(), 5s).bytes.empty());
  }
  const auto refused = s.observer.WaitFor(3, [](const Record& r) {
    return !r.closed && r.decision.rule == "network.fronting";
  });
  REQUIRE(refused.size() == 3);
  CHECK(refused[0].decision.reason ==
        "the first bytes in a tunnel to 'origin.test' are a TLS ClientHello with two host names");
  CHECK(refused[2].decision.reason == "the first bytes in a tunnel to 'origin.test' are a TLS "
                                      "ClientHello that did not complete");
}

TEST_CASE("Fronting under --audit is recorded and let through", "[network]") {
  LoopbackServer origin(Capture);
  aarm::network::ServiceOptions options;
  options.audit = true;
  ServiceUnderTest s(StandardEngine(), options);
  const std::string hello = ClientHello({{"other.test"}});
  {
    aarm::UniqueFd fd = TunnelWith(s, origin.Port(), hello);
    ::shutdown(fd.Get(), SHUT_WR);
    ReceiveAll(fd.Get(), 5s);
  }
  const auto refused = s.observer.WaitFor(1, [](const Record& r) {
    return !r.closed && r.decision.rule == "network.fronting";
  });
  REQUIRE(refused.size() == 1);
  CHECK_FALSE(refused[0].enforced);
  CHECK(s.observer.WaitFor(1, IsClosed).size() == 1);
  const auto received = WaitReceived(origin, 1);
  REQUIRE(received.size() == 1);
  CHECK(received[0] == hello);
}
