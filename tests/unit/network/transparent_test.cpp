// The transparent listener: connections the supervisor redirected, decided by the name the
// client's first bytes give, else the name the resolver answered the address for.
#include <catch2/catch.hpp>

#include <string>

#include "unit/network/network_test_support.hpp"
#include "unit/network/wire_builders.hpp"

using namespace aarm::network::testing;
using aarm::network::RedirectedConnection;
using aarm::policy::Verdict;

namespace {

const aarm::policy::ActingProcess kCurl{4242, "/usr/bin/curl", {4000, 1}};

// A connection to the transparent listener from a port announced to go to `address`:`port`.
aarm::UniqueFd Redirected(const ServiceUnderTest& s, const std::string& address, uint16_t port,
                          bool announce = true, bool v6 = false) {
  const char* loopback = v6 ? "::1" : "127.0.0.1";
  sockaddr_storage local;
  const socklen_t length = SocketAddress(loopback, 0, local);
  aarm::UniqueFd socket(::socket(local.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(socket);
  REQUIRE(::bind(socket.Get(), reinterpret_cast<sockaddr*>(&local), length) == 0);
  if (announce) {
    s.service->ExpectRedirect(v6, LocalPort(socket.Get()), RedirectedConnection{address, port, kCurl});
  }
  return ConnectTo(v6 ? s.transparent_v6_port : s.transparent_port, loopback, std::move(socket));
}

aarm::network::ServiceOptions QuickFirstBytes() {
  aarm::network::ServiceOptions options;
  options.first_bytes_wait = 300ms;
  return options;
}

}  // namespace

TEST_CASE("Transparent: an HTTP request is decided by its Host and dialled by that name",
          "[network]") {
  LoopbackServer origin(HttpOrigin("transparent"));
  ServiceUnderTest s(StandardEngine());
  // The agent connect()ed to some address; its request names origin.test.
  aarm::UniqueFd fd = Redirected(s, "203.0.113.9", origin.Port());
  const std::string request = "GET /t HTTP/1.1\r\nHost: origin.test\r\n\r\n";
  SendAll(fd.Get(), request);
  CHECK(ReceiveAll(fd.Get()).bytes.ends_with("transparent"));
  REQUIRE(origin.Received().size() == 1);
  CHECK(origin.Received()[0] == request);
  const auto decided = s.observer.WaitFor(1, IsDecided);
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].action.host == "origin.test");
  CHECK(decided[0].action.address == "127.0.0.1");
  CHECK(decided[0].action.port == origin.Port());
  CHECK(decided[0].action.process.pid == 4242);
  CHECK(decided[0].action.process.exe == "/usr/bin/curl");
  CHECK(decided[0].action.process.ppids == std::vector<pid_t>{4000, 1});
  fd.Reset();  // the relay ends when both sides have
  const auto closed = s.observer.WaitFor(1, IsClosed);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].transfer.bytes_up == request.size());
}

TEST_CASE("Transparent: a connection nobody announced is reset", "[network]") {
  ServiceUnderTest s(StandardEngine());
  aarm::UniqueFd fd = Redirected(s, "127.0.0.1", 80, false);
  SendAll(fd.Get(), "GET / HTTP/1.1\r\nHost: origin.test\r\n\r\n");
  const Received r = ReceiveAll(fd.Get(), 5s);
  CHECK(r.bytes.empty());
  CHECK(r.reset);
  CHECK(s.observer.Records().empty());
}

TEST_CASE("Transparent: a TLS server name is what is decided", "[network]") {
  ServiceUnderTest s(StandardEngine());
  aarm::UniqueFd fd = Redirected(s, "198.51.100.1", 443);
  SendAll(fd.Get(), ClientHello({{"Evil.Test"}}));
  const Received r = ReceiveAll(fd.Get(), 5s);
  CHECK(r.reset);
  const auto decided = s.observer.WaitFor(1, IsDecided);
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].action.host == "evil.test");
  CHECK(decided[0].action.address.empty());
  CHECK(decided[0].decision.rule == "no-evil");
  CHECK(decided[0].action.process.pid == 4242);
}

TEST_CASE("Transparent: first bytes that cannot be read are refused", "[network]") {
  ServiceUnderTest s(StandardEngine(), QuickFirstBytes());
  aarm::UniqueFd fd = Redirected(s, "198.51.100.1", 443);
  const std::string hello = ClientHello({{"origin.test"}});
  SendAll(fd.Get(), hello.substr(0, 40));  // then nothing: a name it never finishes sending
  CHECK(ReceiveAll(fd.Get(), 5s).reset);
  const auto decided = s.observer.WaitFor(1, IsDecided);
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].decision.rule == "network.first-bytes");
  CHECK(decided[0].action.address == "198.51.100.1");
}

TEST_CASE("Transparent: a server that speaks first is reached by the name the resolver "
          "answered its address for",
          "[network]") {
  LoopbackServer banner([](int fd, std::string& received) {
    SendAll(fd, "220 ready\r\n");
    received = ReceiveUntil(fd, "QUIT\r\n");
  });
  ServiceUnderTest s(StandardEngine(), QuickFirstBytes());
  DnsClient dns(s.dns_port);
  const DnsAnswer answer = dns.Ask(DnsQueryPacket(7, "origin.test", 1));
  REQUIRE(answer.addresses.size() == 1);
  const std::string stand_in = answer.addresses[0];

  // The agent connects to the address it was given; nothing it sends names a host.
  aarm::UniqueFd fd = Redirected(s, stand_in, banner.Port());
  CHECK(ReceiveUntil(fd.Get(), "\r\n") == "220 ready\r\n");
  SendAll(fd.Get(), "QUIT\r\n");
  const auto decided = s.observer.WaitFor(1, IsDecided);
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].action.host == "origin.test");
  CHECK(decided[0].action.address == "127.0.0.1");
  CHECK(decided[0].decision.verdict == Verdict::kAllow);
}

TEST_CASE("Transparent: without a name, the address alone decides", "[network]") {
  ServiceUnderTest s(StandardEngine(), QuickFirstBytes());
  aarm::UniqueFd fd = Redirected(s, "192.0.2.1", 22);
  SendAll(fd.Get(), "SSH-2.0-client\r\n");
  CHECK(ReceiveAll(fd.Get(), 5s).reset);
  const auto decided = s.observer.WaitFor(1, IsDecided);
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].action.host.empty());
  CHECK(decided[0].action.address == "192.0.2.1");
  CHECK(decided[0].decision.rule == "network.default");
}

TEST_CASE("Transparent: IPv6 loopback connections", "[network]") {
  if (!HasIpv6Loopback()) return;  // no ::1 on this machine: nothing to listen on
  LoopbackServer origin(HttpOrigin("six"));
  ServiceUnderTest s(StandardEngine());
  aarm::UniqueFd fd = Redirected(s, "2001:db8::1", origin.Port(), true, true);
  SendAll(fd.Get(), "GET / HTTP/1.1\r\nHost: origin.test\r\n\r\n");
  CHECK(ReceiveAll(fd.Get()).bytes.ends_with("six"));
}
