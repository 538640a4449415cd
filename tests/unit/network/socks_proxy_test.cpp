// The SOCKS5 proxy with curl and with a raw client speaking RFC 1928.
#include <catch2/catch.hpp>

#include <string>

#include "unit/network/network_test_support.hpp"

using namespace aarm::network::testing;
using aarm::policy::Verdict;

namespace {

// Greets the proxy (no authentication) and sends a CONNECT with `address` (ATYP and address
// bytes) and `port`; returns the reply's code, or -1.
int SocksConnect(const ServiceUnderTest& s, const std::string& address, uint16_t port,
                 aarm::UniqueFd* keep = nullptr, uint8_t command = 1) {
  aarm::UniqueFd fd = ConnectTo(s.socks_port);
  SendAll(fd.Get(), std::string("\x05\x01\x00", 3));
  const std::string method = ReceiveUntil(fd.Get(), std::string("\x05\x00", 2), 5s);
  if (method != std::string("\x05\x00", 2)) return -1;
  std::string request = {5, static_cast<char>(command), 0};
  request += address;
  request.push_back(static_cast<char>(port >> 8));
  request.push_back(static_cast<char>(port & 0xFF));
  SendAll(fd.Get(), request);
  std::string reply;
  char c[64];
  while (reply.size() < 10) {
    pollfd p = {fd.Get(), POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;
    const ssize_t n = ::recv(fd.Get(), c, sizeof(c), 0);
    if (n <= 0) break;
    reply.append(c, static_cast<size_t>(n));
  }
  if (reply.size() < 2 || reply[0] != 5) return -1;
  if (keep) *keep = std::move(fd);
  return static_cast<uint8_t>(reply[1]);
}

std::string Domain(const std::string& name) {
  return std::string(1, '\x03') + static_cast<char>(name.size()) + name;
}

}  // namespace

TEST_CASE("SOCKS5: curl reaches an allowed name, resolved by the proxy", "[network]") {
  LoopbackServer origin(HttpOrigin("by socks"));
  ServiceUnderTest s(StandardEngine());
  const auto result = Curl("--socks5-hostname 127.0.0.1:" + std::to_string(s.socks_port) +
                           " http://origin.test:" + std::to_string(origin.Port()) + "/");
  CHECK(result.out == "by socks\n200");
  const auto decided = s.observer.WaitFor(1, IsDecided);
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].action.host == "origin.test");
  CHECK(decided[0].action.address == "127.0.0.1");
  const auto closed = s.observer.WaitFor(1, IsClosed);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].transfer.bytes_down > 0);
}

TEST_CASE("SOCKS5: replies per RFC 1928", "[network]") {
  LoopbackServer origin(HttpOrigin("x"));
  ServiceUnderTest s(StandardEngine());
  const uint16_t port = origin.Port();

  aarm::UniqueFd tunnel;
  CHECK(SocksConnect(s, Domain("origin.test"), port, &tunnel) == 0x00);
  SendAll(tunnel.Get(), "GET / HTTP/1.1\r\nHost: origin.test\r\n\r\n");
  CHECK(ReceiveAll(tunnel.Get()).bytes.ends_with("x"));

  CHECK(SocksConnect(s, Domain("evil.test"), port) == 0x02);
  CHECK(SocksConnect(s, std::string("\x01\x7f\x00\x00\x01", 5), port) == 0x02);  // 127.0.0.1
  std::string v6_loopback(1, '\x04');
  v6_loopback += std::string(15, '\0') + '\x01';
  CHECK(SocksConnect(s, v6_loopback, port) == 0x02);                             // ::1
  CHECK(SocksConnect(s, Domain("origin.test"), UnusedPort()) == 0x05);          // refused
  CHECK(SocksConnect(s, Domain("nx.invalid"), port) == 0x04);                   // no address
  CHECK(SocksConnect(s, Domain("origin.test"), port, nullptr, 2) == 0x07);      // BIND
  CHECK(SocksConnect(s, std::string("\x09\x01\x02\x03\x04", 5), port) == 0x08);
  CHECK(SocksConnect(s, std::string("\x03\x00", 2), port) == 0x04);             // empty name

  // A name with control characters is refused and recorded as sent: receipts escape it.
  const std::string hostile = "a\x1b[31mb\n.test";
  CHECK(SocksConnect(s, Domain(hostile), port) == 0x02);

  SECTION("no acceptable method") {
    aarm::UniqueFd fd = ConnectTo(s.socks_port);
    SendAll(fd.Get(), std::string("\x05\x01\x02", 3));
    CHECK(ReceiveAll(fd.Get(), 5s).bytes == std::string("\x05\xff", 2));
  }
  SECTION("not SOCKS5") {
    aarm::UniqueFd fd = ConnectTo(s.socks_port);
    SendAll(fd.Get(), std::string("\x04\x01\x00\x50\x7f\x00\x00\x01\x00", 9));
    CHECK(ReceiveAll(fd.Get(), 5s).bytes.empty());
  }

  const auto decided = s.observer.WaitFor(7, IsDecided);
  REQUIRE(decided.size() == 7);
  CHECK(decided[1].action.host == "evil.test");
  CHECK(decided[1].decision.verdict == Verdict::kDeny);
  CHECK(decided[2].decision.rule == "network.host-loopback");
  CHECK(decided[3].action.address == "::1");
  CHECK(decided[3].decision.rule == "network.host-loopback");
  CHECK(decided[6].action.host == hostile);
  CHECK(decided[6].decision.rule == "network.name");
}

TEST_CASE("SOCKS5 and CONNECT: an address the resolver answered is decided by its name",
          "[network]") {
  LoopbackServer origin(HttpOrigin("by name"));
  ServiceUnderTest s(StandardEngine());
  DnsClient dns(s.dns_port);
  const DnsAnswer answer = dns.Ask(DnsQueryPacket(1, "origin.test", 1));
  REQUIRE(answer.addresses.size() == 1);
  const std::string stand_in = answer.addresses[0];

  // curl resolving the name itself (socks5://, not socks5h://) hands the proxy the address.
  const auto result =
      Curl("--socks5 127.0.0.1:" + std::to_string(s.socks_port) + " " +
           "--resolve origin.test:" + std::to_string(origin.Port()) + ":" + stand_in +
           " http://origin.test:" + std::to_string(origin.Port()) + "/");
  CHECK(result.out == "by name\n200");
  aarm::UniqueFd fd = ConnectTo(s.http_port);
  SendAll(fd.Get(), "CONNECT " + stand_in + ":" + std::to_string(origin.Port()) + " HTTP/1.1\r\n\r\n");
  CHECK(ReceiveUntil(fd.Get(), "\r\n\r\n").rfind("HTTP/1.1 200 ", 0) == 0);
  fd.Reset();

  const auto decided = s.observer.WaitFor(2, IsDecided);
  REQUIRE(decided.size() == 2);
  for (const Record& r : decided) {
    CHECK(r.action.host == "origin.test");
    CHECK(r.action.address == "127.0.0.1");
    CHECK(r.decision.verdict == Verdict::kAllow);
  }
}
