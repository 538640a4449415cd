// A worker's connect on the sandbox's loopback is bounded: a handshake that completes within the
// call is answered at once, one a full listener holds back is cut short and finished elsewhere,
// with what the agent's own blocking connect(2) would have answered.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <thread>

#include "../../../src/supervisor/slow_calls.hpp"
#include "aarm/base/unique_fd.hpp"

namespace aarm::supervisor {
namespace {

using std::chrono::milliseconds;
using State = BoundedConnect::State;

constexpr std::chrono::microseconds kLimit{2000};

// The handler the notify loop installs: none of SA_RESTART, so a blocking call returns EINTR.
void InstallInterruptHandler() {
  struct sigaction action {};
  action.sa_handler = [](int) {};
  sigemptyset(&action.sa_mask);
  REQUIRE(sigaction(InterruptSignal(), &action, nullptr) == 0);
}

UniqueFd TcpSocket() { return UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); }

// A listener on 127.0.0.1 with `backlog`, and its address.
struct Listener {
  UniqueFd fd = TcpSocket();
  sockaddr_in address{};

  explicit Listener(int backlog) {
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(bind(fd.Get(), To(), length) == 0);
    REQUIRE(getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    REQUIRE(listen(fd.Get(), backlog) == 0);
  }
  const sockaddr* To() const { return reinterpret_cast<const sockaddr*>(&address); }
  BoundedConnect Connect(const UniqueFd& socket) const {
    return ConnectWithin(socket.Get(), To(), sizeof address, kLimit);
  }
};

// A listener whose queue is full, which drops the next handshake until it has room, and a
// socket to connect to it.
struct FullListener {
  Listener listener{0};
  UniqueFd queued = TcpSocket();
  UniqueFd socket = TcpSocket();

  FullListener() {
    InstallInterruptHandler();
    REQUIRE(listener.Connect(queued).state == State::kDone);
  }
  BoundedConnect Connect() const { return listener.Connect(socket); }
  int Finish() const {
    return FinishConnect(socket.Get(), listener.To(), sizeof listener.address);
  }
};

TEST_CASE("A loopback connect that completes within the call is answered at once",
          "[supervisor][network]") {
  InstallInterruptHandler();
  Listener listener(8);
  UniqueFd socket = TcpSocket();
  auto done = listener.Connect(socket);
  CHECK(done.state == State::kDone);
  CHECK(done.err == 0);

  // Nothing listening: refused within the call too.
  sockaddr_in closed = listener.address;
  listener.fd.Reset();
  UniqueFd other = TcpSocket();
  auto refused = ConnectWithin(other.Get(), reinterpret_cast<sockaddr*>(&closed), sizeof closed,
                               kLimit);
  CHECK(refused.state == State::kDone);
  CHECK(refused.err == ECONNREFUSED);
}

TEST_CASE("A connect to a full listener is cut short, then finished when it accepts",
          "[supervisor][network]") {
  FullListener full;
  const auto start = std::chrono::steady_clock::now();
  CHECK(full.Connect().state == State::kCutShort);
  CHECK(std::chrono::steady_clock::now() - start < milliseconds(500));

  std::thread acceptor([&full] {
    std::this_thread::sleep_for(milliseconds(100));
    UniqueFd accepted(accept4(full.listener.fd.Get(), nullptr, nullptr, SOCK_CLOEXEC));
    CHECK(accepted);
  });
  // The dropped handshake is sent again a second later, to room by then.
  CHECK(full.Finish() == 0);
  acceptor.join();
  sockaddr_in peer{};
  socklen_t length = sizeof peer;
  CHECK(getpeername(full.socket.Get(), reinterpret_cast<sockaddr*>(&peer), &length) == 0);
}

TEST_CASE("A connect cut short answers EINPROGRESS when the socket's send timeout passes",
          "[supervisor][network]") {
  // What the kernel answers a blocking connect(2) that timed out, not the EALREADY a second
  // connect of the same socket gets.
  FullListener full;
  timeval timeout{0, 300000};
  REQUIRE(setsockopt(full.socket.Get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) == 0);
  CHECK(full.Connect().state == State::kCutShort);
  CHECK(full.Finish() == EINPROGRESS);
}

}  // namespace
}  // namespace aarm::supervisor
