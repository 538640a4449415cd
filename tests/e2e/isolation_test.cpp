// What the agent holds and shares with the host besides files: no capabilities, its own host
// name, and a network of its own with nothing but loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

TEST_CASE("the agent holds no capabilities, has no_new_privs and a seccomp filter",
          "[e2e][isolation]") {
  Workspace ws;
  // Whether aarm-run runs as root or not: the test binary runs both ways.
  CHECK(ws.ProbeLine({"caps"}) ==
        "ok CapPrm=0000000000000000 CapEff=0000000000000000 CapBnd=0000000000000000 "
        "CapAmb=0000000000000000 NoNewPrivs=1 Seccomp=2");
  CHECK(ws.ProbeLine({"child", "caps"}) == ws.ProbeLine({"caps"}));
}

TEST_CASE("the agent keeps the user's identity", "[e2e][isolation]") {
  Workspace ws;
  std::string ids = ws.ProbeLine({"ids"});
  CHECK_THAT(ids, Catch::EndsWith(" uid=" + std::to_string(getuid()) +
                                  " gid=" + std::to_string(getgid())));
}

TEST_CASE("the host name is the sandbox's own", "[e2e][isolation]") {
  Workspace ws;
  CHECK(ws.ProbeLine({"hostname"}) == "ok aarm");
  CHECK(ws.ProbeLine({"sethostname"}) == "errno 1 EPERM");
}

// A TCP listener on the host's loopback, reachable from the test itself.
class HostListener {
 public:
  HostListener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
  }
  ~HostListener() { close(fd_); }
  int Port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_CASE("the network holds loopback only, the host's listeners are out of reach",
          "[e2e][isolation][network]") {
  Workspace ws;
  HostListener listener;
  std::string port = std::to_string(listener.Port());

  // Outside the sandbox the listener answers.
  auto outside = RunProcess({{ProbePath(), "connect", "127.0.0.1", port}});
  REQUIRE(FirstLine(outside.out) == "ok connected");

  CHECK(ws.ProbeLine({"netifs"}) == "ok lo");
  CHECK(ws.ProbeLine({"connect", "127.0.0.1", port}) == "errno 111 ECONNREFUSED");
  CHECK(ws.ProbeLine({"connect", "10.0.0.1", "80"}) == "errno 101 ENETUNREACH");
}

}  // namespace
}  // namespace aarm::testing
