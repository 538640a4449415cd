// Host names and addresses in the forms the policy compares them (aarm/policy/host_name.hpp).
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "aarm/policy/host_name.hpp"

using aarm::policy::CanonicalAddress;
using aarm::policy::FindEmbeddedIpv4;
using aarm::policy::NormalizeHostName;

TEST_CASE("NormalizeHostName: lower case, one trailing dot dropped", "[policy][network]") {
  CHECK(NormalizeHostName("GitHub.COM") == "github.com");
  CHECK(NormalizeHostName("github.com.") == "github.com");
  CHECK(NormalizeHostName("localhost") == "localhost");
  CHECK(NormalizeHostName("_dmarc.x-y.test") == "_dmarc.x-y.test");
  CHECK(NormalizeHostName("a.1b") == "a.1b");
  CHECK(NormalizeHostName(std::string(63, 'a') + ".test") == std::string(63, 'a') + ".test");
  const std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                              std::string(63, 'c') + "." + std::string(61, 'd');
  CHECK(longest.size() == 253);
  CHECK(NormalizeHostName(longest) == longest);
}

TEST_CASE("NormalizeHostName: what is not a DNS name", "[policy][network]") {
  for (const std::string text :
       {"", ".", "a..b", ".a", "a.b..", "a b.test", "a/b", "github.com:443", "caf\xc3\xa9.test",
        "[::1]", "1.2.3.4", "1.2.3", "a.123", "x.test\n"}) {
    INFO(text);
    CHECK_FALSE(NormalizeHostName(text));
  }
  // A label of 64 characters, a name of 254.
  CHECK_FALSE(NormalizeHostName(std::string(64, 'a') + ".test"));
  CHECK_FALSE(NormalizeHostName(std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                                std::string(63, 'c') + "." + std::string(62, 'd')));
}

TEST_CASE("CanonicalAddress: inet_ntop's form, mapped addresses as IPv4", "[policy][network]") {
  CHECK(CanonicalAddress("10.1.2.3") == "10.1.2.3");
  CHECK(CanonicalAddress("2001:DB8:0:0::1") == "2001:db8::1");
  CHECK(CanonicalAddress("::ffff:10.1.2.3") == "10.1.2.3");
  CHECK(CanonicalAddress("::ffff:a01:203") == "10.1.2.3");
  CHECK(CanonicalAddress("::") == "::");
  // A translated address keeps its own form: it is what is dialled.
  CHECK(CanonicalAddress("64:ff9b::169.254.169.254") == "64:ff9b::a9fe:a9fe");
  CHECK(CanonicalAddress("::127.0.0.1") == "::127.0.0.1");
  for (const char* text : {"", "127.1", "0x7f.0.0.1", "010.0.0.1", "1.2.3.4.", "[::1]", "::1%lo",
                           "10.0.0.0/8", "github.com", "1.2.3.256"}) {
    INFO(text);
    CHECK_FALSE(CanonicalAddress(text));
  }
}

TEST_CASE("FindEmbeddedIpv4: NAT64 and the IPv4-compatible form", "[policy][network]") {
  const auto nat64 = FindEmbeddedIpv4("64:ff9b::a9fe:a9fe");
  REQUIRE(nat64);
  CHECK(nat64->ipv4 == "169.254.169.254");
  CHECK(nat64->via == "NAT64");
  const auto local_use = FindEmbeddedIpv4("64:ff9b:1:2::127.0.0.1");
  REQUIRE(local_use);
  CHECK(local_use->ipv4 == "127.0.0.1");
  const auto compatible = FindEmbeddedIpv4("::192.0.2.1");
  REQUIRE(compatible);
  CHECK(compatible->ipv4 == "192.0.2.1");
  CHECK(compatible->via == "the IPv4-compatible form");
  for (const char* text : {"::", "::1", "::0.1.2.3", "10.1.2.3", "::ffff:10.1.2.3",
                           "2002:a9fe:a9fe::1", "64:ff9b:0:1::1", "2001:db8::1", "not an address"}) {
    INFO(text);
    CHECK_FALSE(FindEmbeddedIpv4(text));
  }
}
