// What the proxies make of the hosts and socket addresses they are given: the policy's forms.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "../../../src/network/address.hpp"

using aarm::network::detail::AddressOf;
using aarm::network::detail::HostIdentity;
using aarm::network::detail::IdentifyHost;
using aarm::network::detail::JoinHostPort;
using aarm::network::detail::MakeSockaddr;

TEST_CASE("IdentifyHost: a name, an address, or neither", "[network]") {
  const HostIdentity name = IdentifyHost("API.GitHub.com.");
  CHECK(name.kind == HostIdentity::Kind::kName);
  CHECK(name.text == "api.github.com");
  const HostIdentity mapped = IdentifyHost("::ffff:127.0.0.1");
  CHECK(mapped.kind == HostIdentity::Kind::kAddress);
  CHECK(mapped.text == "127.0.0.1");
  const HostIdentity nat64 = IdentifyHost("64:ff9b::169.254.169.254");
  CHECK(nat64.kind == HostIdentity::Kind::kAddress);
  CHECK(nat64.text == "64:ff9b::a9fe:a9fe");
  for (const char* junk : {"127.1", "a b.test", "github.com:443", "[::1]"}) {
    INFO(junk);
    const HostIdentity invalid = IdentifyHost(junk);
    CHECK(invalid.kind == HostIdentity::Kind::kInvalid);
    CHECK(invalid.text == junk);
  }
}

TEST_CASE("AddressOf and MakeSockaddr: canonical addresses both ways", "[network]") {
  for (const std::string address : {"10.1.2.3", "2001:db8::1", "64:ff9b::a9fe:a9fe"}) {
    INFO(address);
    sockaddr_storage storage;
    socklen_t length = 0;
    REQUIRE(MakeSockaddr(address, 8443, storage, length));
    uint16_t port = 0;
    CHECK(AddressOf(storage, &port) == address);
    CHECK(port == 8443);
  }
  // An IPv4-mapped socket address is its IPv4 form.
  sockaddr_storage storage{};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  v6->sin6_family = AF_INET6;
  REQUIRE(::inet_pton(AF_INET6, "::ffff:192.0.2.7", &v6->sin6_addr) == 1);
  CHECK(AddressOf(storage) == "192.0.2.7");
  storage.ss_family = AF_UNIX;
  CHECK_FALSE(AddressOf(storage));
  sockaddr_storage unused;
  socklen_t length = 0;
  CHECK_FALSE(MakeSockaddr("github.com", 443, unused, length));
}

TEST_CASE("JoinHostPort brackets IPv6 addresses", "[network]") {
  CHECK(JoinHostPort("github.com", 443) == "github.com:443");
  CHECK(JoinHostPort("10.1.2.3", 80) == "10.1.2.3:80");
  CHECK(JoinHostPort("2001:db8::1", 80) == "[2001:db8::1]:80");
}
