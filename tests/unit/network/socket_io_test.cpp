// A listening socket the service prepared hands every connection it accepts the options the
// relay relies on (no Nagle delay, Reno toward the agent), without a call per connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "../../../src/network/socket_io.hpp"

namespace aarm::network::detail {
namespace {

TEST_CASE("a prepared listener's accepted connections have TCP_NODELAY and Reno",
          "[network][socket_io]") {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(listener.Get(), reinterpret_cast<sockaddr*>(&address), length) == 0);
  REQUIRE(::listen(listener.Get(), 4) == 0);
  REQUIRE(::getsockname(listener.Get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
  REQUIRE(PrepareListener(listener, "test"));

  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(::connect(client.Get(), reinterpret_cast<sockaddr*>(&address), length) == 0);
  UniqueFd accepted;
  for (int tries = 0; tries < 1000 && !accepted; ++tries) {
    accepted.Reset(::accept4(listener.Get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!accepted) REQUIRE(errno == EAGAIN);  // the listener is non-blocking now
  }
  REQUIRE(accepted);

  int no_delay = 0;
  socklen_t size = sizeof no_delay;
  REQUIRE(::getsockopt(accepted.Get(), IPPROTO_TCP, TCP_NODELAY, &no_delay, &size) == 0);
  CHECK(no_delay == 1);
  char congestion[16] = {};
  size = sizeof congestion;
  REQUIRE(::getsockopt(accepted.Get(), IPPROTO_TCP, TCP_CONGESTION, congestion, &size) == 0);
  CHECK(std::string(congestion) == "reno");
}

TEST_CASE("a datagram listener is only made non-blocking", "[network][socket_io]") {
  UniqueFd dns(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(PrepareListener(dns, "DNS"));
  char byte;
  CHECK(::recv(dns.Get(), &byte, 1, 0) < 0);
  CHECK(errno == EAGAIN);
}

}  // namespace
}  // namespace aarm::network::detail
