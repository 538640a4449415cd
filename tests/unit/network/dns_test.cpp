// The sandbox's resolver over real UDP, and its codec against hostile packets.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "../../../src/network/dns_message.hpp"
#include "unit/network/network_test_support.hpp"
#include "unit/network/wire_builders.hpp"

using namespace aarm::network::testing;
using aarm::policy::ActionKind;
using aarm::policy::Verdict;

namespace {

constexpr uint16_t kA = 1, kAaaa = 28, kTxt = 16;

}  // namespace

TEST_CASE("DNS: allowed names are resolved on the host's side, with short TTLs", "[network]") {
  ServiceUnderTest s(StandardEngine());
  DnsClient dns(s.dns_port);

  const DnsAnswer a = dns.Ask(DnsQueryPacket(0x1234, "OrIgIn.TeSt", kA));
  CHECK(a.id == 0x1234);
  CHECK(a.rcode == 0);
  CHECK((a.flags & 0x8000) != 0);  // a response
  CHECK((a.flags & 0x0100) != 0);  // RD echoed
  CHECK(a.question == DnsQueryPacket(0, "OrIgIn.TeSt", kA).substr(12));  // case kept
  // Pinned to the host's loopback, which inside the sandbox would be the sandbox's own: the
  // answer is a stand-in that the transparent listener maps back to the name.
  REQUIRE(a.addresses.size() == 1);
  CHECK(a.addresses[0].rfind("198.18.", 0) == 0);
  CHECK(a.ttls == std::vector<uint32_t>{10});
  CHECK(s.service->NameForAddress(a.addresses[0]) == "origin.test");
  CHECK_FALSE(s.service->NameForAddress("127.0.0.1").has_value());
  // Asked again, the same stand-in; another name, another.
  CHECK(dns.Ask(DnsQueryPacket(8, "origin.test", kA)).addresses == a.addresses);

  const DnsAnswer aaaa = dns.Ask(DnsQueryPacket(2, "origin.test", kAaaa));
  CHECK(aaaa.rcode == 0);
  CHECK(aaaa.addresses.empty());
  const DnsAnswer txt = dns.Ask(DnsQueryPacket(3, "origin.test", kTxt));
  CHECK(txt.rcode == 0);
  CHECK(txt.addresses.empty());
  const DnsAnswer local = dns.Ask(DnsQueryPacket(4, "localhost", kA));
  REQUIRE(local.addresses.size() == 1);
  CHECK(local.addresses[0].rfind("198.18.", 0) == 0);
  CHECK(local.addresses != a.addresses);
  CHECK(s.service->NameForAddress(local.addresses[0]) == "localhost");
  CHECK(dns.Ask(DnsQueryPacket(5, "nx.invalid", kA)).rcode == 3);
  CHECK(s.observer.Records().empty());
}

TEST_CASE("DNS: a name no rule could allow is NXDOMAIN, recorded once", "[network]") {
  ServiceUnderTest s(StandardEngine());
  DnsClient dns(s.dns_port);
  CHECK(dns.Ask(DnsQueryPacket(1, "evil.test", kA)).rcode == 3);
  CHECK(dns.Ask(DnsQueryPacket(2, "EVIL.test.", kAaaa)).rcode == 3);
  CHECK(dns.Ask(DnsQueryPacket(3, "evil.test", kTxt)).rcode == 3);
  CHECK(dns.Ask(DnsQueryPacket(4, "unlisted.test", kA)).rcode == 3);
  // Pinned but not allowed: the resolver does not answer it either.
  CHECK(dns.Ask(DnsQueryPacket(5, "forbidden.test", kA)).rcode == 3);
  const auto records = s.observer.WaitFor(3, IsDecided);
  REQUIRE(records.size() == 3);
  CHECK(s.observer.Records().size() == 3);
  CHECK(records[0].action.kind == ActionKind::kNetSend);
  CHECK(records[0].action.protocol == "dns");
  CHECK(records[0].action.host == "evil.test");
  CHECK(records[0].action.port == 53);
  CHECK(records[0].decision.verdict == Verdict::kDeny);
  CHECK(records[0].decision.rule == "network.dns");
  CHECK(records[0].enforced);
  CHECK(records[1].action.host == "unlisted.test");
  CHECK(records[2].action.host == "forbidden.test");
  CHECK_FALSE(s.service->NameForAddress("127.0.0.1").has_value());
}

TEST_CASE("DNS: --audit records the refusal and answers", "[network]") {
  aarm::network::ServiceOptions options;
  options.audit = true;
  // Nothing is allowed; localhost resolves on the host's side without a query leaving it.
  ServiceUnderTest s(EngineFor("mode = \"proxy\"\nallow = []\n"), options);
  DnsClient dns(s.dns_port);
  const DnsAnswer a = dns.Ask(DnsQueryPacket(1, "localhost", kA));
  CHECK(a.rcode == 0);
  CHECK(a.addresses.size() == 1);
  const auto records = s.observer.WaitFor(1, IsDecided);
  REQUIRE(records.size() == 1);
  CHECK_FALSE(records[0].enforced);
}

TEST_CASE("DNS: malformed queries", "[network]") {
  ServiceUnderTest s(StandardEngine());
  DnsClient dns(s.dns_port);
  CHECK(dns.Ask(DnsQueryPacket(1, "origin.test", kA, 2)).rcode == 1);          // two questions
  CHECK(dns.Ask(DnsQueryPacket(2, "origin.test", kA, 1, 0x2900)).rcode == 4);  // UPDATE
  std::string pointer = DnsQueryPacket(3, "origin.test", kA);
  pointer[12] = static_cast<char>(0xC0);
  pointer[13] = 12;
  CHECK(dns.Ask(pointer).rcode == 1);
  std::string cut = DnsQueryPacket(4, "origin.test", kA);
  cut.resize(cut.size() - 3);
  CHECK(dns.Ask(cut).rcode == 1);
  std::string chaos = DnsQueryPacket(5, "version.bind", 16);
  chaos[chaos.size() - 1] = 3;  // class CH
  CHECK(dns.Ask(chaos).rcode == 5);
  // Bytes that are no name: NXDOMAIN, recorded as sent.
  CHECK(dns.Ask(DnsQueryPacket(6, "a\x1b[2Jb.test", kA)).rcode == 3);
  const auto records = s.observer.WaitFor(1, IsDecided);
  REQUIRE(records.size() == 1);
  CHECK(records[0].action.host == "a\x1b[2Jb.test");
  CHECK(records[0].decision.rule == "network.name");
  CHECK(records[0].decision.forbidden);
  CHECK(records[0].decision.reason == "not a valid host name");

  // Not queries: no answer at all.
  dns.Send(std::string("\x00\x01\x81\x80", 4) + std::string(8, '\0'));  // a response
  dns.Send("short");
  CHECK(dns.Receive(300ms).empty());
  // The service still answers.
  CHECK(dns.Ask(DnsQueryPacket(7, "origin.test", kA)).rcode == 0);
}

TEST_CASE("DNS: random and mutated packets never crash the resolver", "[network]") {
  std::mt19937 random(20261123);
  const std::string valid = DnsQueryPacket(9, "origin.test", kA);
  const auto mutate = [&](std::string packet) {
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; ++i) packet[random() % packet.size()] = static_cast<char>(random());
    if (random() % 4 == 0) packet.resize(random() % (packet.size() + 1));
    return packet;
  };
  const auto noise = [&] {
    std::string packet(random() % 600, '\0');
    for (char& c : packet) c = static_cast<char>(random());
    return packet;
  };

  SECTION("the codec") {
    for (int i = 0; i < 200000; ++i) {
      const std::string packet = i % 2 ? noise() : mutate(valid);
      const auto bytes = std::span(reinterpret_cast<const uint8_t*>(packet.data()), packet.size());
      const auto parse = aarm::network::detail::ParseDnsQuery(bytes);
      if (parse.status != aarm::network::detail::DnsParse::Status::kQuery) continue;
      const auto answer =
          aarm::network::detail::BuildDnsAnswer(parse.query, 0, {"192.0.2.1", "2001:db8::1"}, 10);
      REQUIRE(answer.size() <= aarm::network::detail::kDnsMaxUdpBytes);
      const auto read = ReadDnsAnswer(std::string(answer.begin(), answer.end()));
      REQUIRE(read.has_value());
      CHECK(read->question == std::string(parse.query.question.begin(), parse.query.question.end()));
    }
  }
  SECTION("the service") {
    ServiceUnderTest s(StandardEngine());
    DnsClient dns(s.dns_port);
    for (int i = 0; i < 3000; ++i) dns.Send(i % 2 ? noise() : mutate(valid));
    // Drain what came back, then ask once more.
    while (!dns.Receive(500ms).empty()) {
    }
    CHECK(dns.Ask(DnsQueryPacket(10, "origin.test", kA)).addresses.size() == 1);
  }
}

TEST_CASE("DNS: no IPv6 records when the sandbox cannot carry IPv6", "[network]") {
  const aarm::policy::Engine engine =
      EngineFor("mode = \"proxy\"\nallow = [\"six.test\"]\nhosts = { \"six.test\" = \"2001:db8::6\" }\n");
  RecordingObserver observer;
  const auto ask = [&](bool with_ipv6) {
    aarm::network::ServiceSockets sockets;
    sockets.http_proxy = BoundSocket(SOCK_STREAM, "127.0.0.1");
    sockets.socks_proxy = BoundSocket(SOCK_STREAM, "127.0.0.1");
    sockets.transparent_v4 = BoundSocket(SOCK_STREAM, "127.0.0.1");
    if (with_ipv6) sockets.transparent_v6 = BoundSocket(SOCK_STREAM, "127.0.0.1");
    sockets.dns = BoundSocket(SOCK_DGRAM, "127.0.0.1");
    DnsClient dns(LocalPort(sockets.dns.Get()));
    auto service = aarm::network::NetworkService::Start(std::move(sockets), engine, observer, {});
    REQUIRE(service.has_value());
    return dns.Ask(DnsQueryPacket(1, "six.test", kAaaa));
  };
  CHECK(ask(true).addresses == std::vector<std::string>{"2001:db8::6"});
  // A name pinned to ::1 gets a stand-in of its own family.
  {
    ServiceUnderTest s(EngineFor("mode = \"proxy\"\nallow = [\"l6.test\"]\n"
                                 "hosts = { \"l6.test\" = \"::1\" }\n"));
    DnsClient dns(s.dns_port);
    const DnsAnswer six = dns.Ask(DnsQueryPacket(2, "l6.test", kAaaa));
    if (s.transparent_v6_port != 0) {
      REQUIRE(six.addresses.size() == 1);
      CHECK(six.addresses[0].rfind("fd61:6172:6d00::", 0) == 0);
      CHECK(s.service->NameForAddress(six.addresses[0]) == "l6.test");
    }
  }
  const DnsAnswer without = ask(false);
  CHECK(without.rcode == 0);
  CHECK(without.addresses.empty());
}
