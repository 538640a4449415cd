// The first-bytes reader: TLS ClientHellos (hand-made and OpenSSL's own) and HTTP heads.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "../../../src/network/sniff.hpp"
#include "unit/network/network_test_support.hpp"
#include "unit/network/wire_builders.hpp"

using namespace aarm::network::testing;
using aarm::network::detail::SniffFirstBytes;
using Kind = aarm::network::detail::Sniffed::Kind;

TEST_CASE("Sniff: TLS server names", "[network]") {
  const std::string hello = ClientHello({{"api.example.com"}});
  auto sniffed = SniffFirstBytes(hello, false);
  CHECK(sniffed.kind == Kind::kTls);
  CHECK(sniffed.host == "api.example.com");

  sniffed = SniffFirstBytes(ClientHello({}), false);
  CHECK(sniffed.kind == Kind::kTls);
  CHECK_FALSE(sniffed.host.has_value());

  // Spread over records of 50 bytes, and arriving a byte at a time.
  const std::string split = ClientHello({{"api.example.com"}, false, 50});
  for (size_t n = 0; n < split.size(); ++n) {
    CHECK(SniffFirstBytes(split.substr(0, n), false).kind == Kind::kNeedMore);
  }
  CHECK(SniffFirstBytes(split, false).host == "api.example.com");
  CHECK(SniffFirstBytes(split.substr(0, 70), true).kind == Kind::kMalformed);

  CHECK(SniffFirstBytes(ClientHello({{"a.test", "b.test"}}), false).kind == Kind::kMalformed);
  CHECK(SniffFirstBytes(ClientHello({{"a.test"}, true}), false).kind == Kind::kMalformed);
  // A record with more than the ClientHello in it.
  std::string padded = hello;
  padded[4] = static_cast<char>(padded[4] + 1);
  padded.push_back('\0');
  CHECK(SniffFirstBytes(padded, false).kind == Kind::kMalformed);
  // A handshake that is not a ClientHello, a record that is not a handshake.
  std::string server_hello = hello;
  server_hello[5] = 2;
  CHECK(SniffFirstBytes(server_hello, false).kind == Kind::kMalformed);
  CHECK(SniffFirstBytes(std::string("\x16\x03\x01\x00\x00", 5), false).kind == Kind::kMalformed);
  CHECK(SniffFirstBytes(std::string("\x16\x02", 2), false).kind == Kind::kOther);
  // Every truncation of the body, claimed complete, is refused rather than misread.
  for (size_t cut = 9; cut < hello.size(); ++cut) {
    std::string truncated = hello.substr(0, cut);
    const size_t record = cut - 5;
    truncated[3] = static_cast<char>(record >> 8);
    truncated[4] = static_cast<char>(record & 0xFF);
    const size_t body = record - 4;
    truncated[6] = static_cast<char>(body >> 16);
    truncated[7] = static_cast<char>((body >> 8) & 0xFF);
    truncated[8] = static_cast<char>(body & 0xFF);
    const auto result = SniffFirstBytes(truncated, false);
    INFO(cut);
    CHECK((result.kind == Kind::kMalformed || result.kind == Kind::kTls));
    if (result.kind == Kind::kTls) CHECK(!result.host.has_value());
  }
}

TEST_CASE("Sniff: the ClientHello OpenSSL sends", "[network]") {
  aarm::UniqueFd listener = BoundSocket(SOCK_STREAM, "127.0.0.1");
  const std::string command = "timeout 10 openssl s_client -connect 127.0.0.1:" +
                              std::to_string(LocalPort(listener.Get())) +
                              " -servername Real.Example.org </dev/null >/dev/null 2>&1 &";
  REQUIRE(std::system(command.c_str()) == 0);
  aarm::UniqueFd client(::accept4(listener.Get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(client);
  std::string bytes;
  aarm::network::detail::Sniffed sniffed;
  while ((sniffed = SniffFirstBytes(bytes, false)).kind == Kind::kNeedMore) {
    char chunk[4096];
    pollfd p = {client.Get(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 10000) == 1);
    const ssize_t n = ::recv(client.Get(), chunk, sizeof(chunk), 0);
    REQUIRE(n > 0);
    bytes.append(chunk, static_cast<size_t>(n));
  }
  CHECK(sniffed.kind == Kind::kTls);
  CHECK(sniffed.host == "Real.Example.org");
}

TEST_CASE("Sniff: HTTP request heads", "[network]") {
  auto sniffed = SniffFirstBytes("GET /x HTTP/1.1\r\nHost: Example.com:8080\r\n\r\n", false);
  CHECK(sniffed.kind == Kind::kHttp);
  CHECK(sniffed.host == "Example.com");
  sniffed = SniffFirstBytes("GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\nbody", false);
  CHECK(sniffed.host == "2001:db8::1");
  sniffed = SniffFirstBytes("GET / HTTP/1.0\r\n\r\n", false);
  CHECK(sniffed.kind == Kind::kHttp);
  CHECK_FALSE(sniffed.host.has_value());

  CHECK(SniffFirstBytes("GET / HT", false).kind == Kind::kNeedMore);
  CHECK(SniffFirstBytes("GET / HTTP/1.1\r\nHost: a", false).kind == Kind::kNeedMore);
  CHECK(SniffFirstBytes("GET / HTTP/1.1\r\nHost: a", true).kind == Kind::kMalformed);
  CHECK(SniffFirstBytes("GET / HTTP/1.1\r\n\r\n", false).kind == Kind::kMalformed);
  CHECK(SniffFirstBytes("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", false).kind ==
        Kind::kMalformed);
  CHECK(SniffFirstBytes("GET http://b.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n", false).kind ==
        Kind::kMalformed);
  CHECK(SniffFirstBytes("GET http://A.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n", false).host ==
        "a.test");
  CHECK(SniffFirstBytes("CONNECT b.test:443 HTTP/1.1\r\nHost: a.test\r\n\r\n", false).kind ==
        Kind::kMalformed);

  // Other line protocols are not held up waiting for an HTTP head.
  CHECK(SniffFirstBytes("SSH-2.0-OpenSSH_9.2\r\n", false).kind == Kind::kOther);
  CHECK(SniffFirstBytes("SET key value\r\n", false).kind == Kind::kOther);
  CHECK(SniffFirstBytes("GET /\r\n", false).kind == Kind::kOther);
  // A first line held back, that could still become a request line, is not let through.
  CHECK(SniffFirstBytes("GET / HTTP/1.1", true).kind == Kind::kMalformed);
  CHECK(SniffFirstBytes("SET key", true).kind == Kind::kMalformed);
  CHECK(SniffFirstBytes("GET /" + std::string(9000, 'a'), false).kind == Kind::kMalformed);
  CHECK(SniffFirstBytes(std::string("\x00\x01\x02", 3), false).kind == Kind::kOther);
  CHECK(SniffFirstBytes("", true).kind == Kind::kOther);
  CHECK(SniffFirstBytes("", false).kind == Kind::kNeedMore);
}
