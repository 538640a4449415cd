// The threads that accept the agent's connections: each connection is served by the thread that
// took it, a connection held open does not keep the next one waiting, connections beyond the
// threads wait in the backlog rather than being lost, and a raised stop ends them all.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "../../../src/network/acceptor_pool.hpp"
#include "../../../src/network/socket_io.hpp"

namespace aarm::network::detail {
namespace {

using namespace std::chrono_literals;

struct LoopbackListener {
  UniqueFd fd;
  uint16_t port = 0;

  LoopbackListener() {
    fd.Reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(fd.Get(), reinterpret_cast<sockaddr*>(&address), length) == 0);
    REQUIRE(::listen(fd.Get(), 64) == 0);
    REQUIRE(::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port = ntohs(address.sin_port);
  }
};

// A client connection to `port`, and the local port it came from.
UniqueFd ConnectTo(uint16_t port, uint16_t* local_port = nullptr) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  REQUIRE(::connect(fd.Get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  if (local_port) {
    socklen_t length = sizeof address;
    ::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&address), &length);
    *local_port = ntohs(address.sin_port);
  }
  return fd;
}

// Reads one byte the server side sends; false on a timeout.
bool ReadsByte(const UniqueFd& fd, char expected) {
  timeval timeout{5, 0};
  ::setsockopt(fd.Get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char byte = 0;
  return ::recv(fd.Get(), &byte, 1, 0) == 1 && byte == expected;
}

// Serving answers the listener's letter, then holds the connection until released.
struct Gate {
  std::mutex mutex;
  std::condition_variable opened;
  bool open = false;
  std::atomic<int> serving{0};

  void Hold() {
    ++serving;
    std::unique_lock lock(mutex);
    opened.wait(lock, [this] { return open; });
    --serving;
  }
  void Release() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    opened.notify_all();
  }
};

// Serving sends the connection's number ('1', '2', ...) and holds the first `held` of them
// until the gate opens.
AcceptorPool::Serve NumberAndHold(std::atomic<int>& served, Gate& gate, int held) {
  return [&served, &gate, held](UniqueFd connection, uint16_t) {
    const int number = ++served;
    const char letter = static_cast<char>('0' + number);
    ::send(connection.Get(), &letter, 1, MSG_NOSIGNAL);
    if (number <= held) gate.Hold();
  };
}

TEST_CASE("each listener's connections are served with their peer port", "[network][pool]") {
  auto stop = Signal::Create();
  REQUIRE(stop);
  LoopbackListener first;
  LoopbackListener second;
  std::mutex mutex;
  std::vector<uint16_t> peers;
  auto serve = [&](char letter) {
    return [&, letter](UniqueFd connection, uint16_t peer) {
      {
        std::lock_guard lock(mutex);
        peers.push_back(peer);
      }
      ::send(connection.Get(), &letter, 1, MSG_NOSIGNAL);
    };
  };
  AcceptorPool pool(4, 10s);
  REQUIRE(pool.Start({{first.fd.Get(), serve('a')}, {second.fd.Get(), serve('b')}}, stop->Fd()));
  uint16_t from_first = 0;
  uint16_t from_second = 0;
  auto a = ConnectTo(first.port, &from_first);
  auto b = ConnectTo(second.port, &from_second);
  CHECK(ReadsByte(a, 'a'));
  CHECK(ReadsByte(b, 'b'));
  stop->Raise();
  pool.Stop();
  std::lock_guard lock(mutex);
  CHECK(std::count(peers.begin(), peers.end(), from_first) == 1);
  CHECK(std::count(peers.begin(), peers.end(), from_second) == 1);
}

TEST_CASE("a connection held open does not keep the next one waiting", "[network][pool]") {
  auto stop = Signal::Create();
  REQUIRE(stop);
  LoopbackListener listener;
  Gate gate;
  std::atomic<int> served{0};
  AcceptorPool pool(4, 10s);
  REQUIRE(pool.Start({{listener.fd.Get(), NumberAndHold(served, gate, 1)}}, stop->Fd()));
  auto held = ConnectTo(listener.port);
  CHECK(ReadsByte(held, '1'));
  auto next = ConnectTo(listener.port);
  CHECK(ReadsByte(next, '2'));  // served while the first is still held
  CHECK(gate.serving.load() == 1);
  gate.Release();
  stop->Raise();
  pool.Stop();
}

TEST_CASE("connections beyond the threads wait in the backlog and are served later",
          "[network][pool]") {
  auto stop = Signal::Create();
  REQUIRE(stop);
  LoopbackListener listener;
  Gate gate;
  std::atomic<int> served{0};
  AcceptorPool pool(2, 10s);
  REQUIRE(pool.Start({{listener.fd.Get(), NumberAndHold(served, gate, 2)}}, stop->Fd()));
  auto first = ConnectTo(listener.port);
  auto second = ConnectTo(listener.port);
  CHECK(ReadsByte(first, '1'));
  CHECK(ReadsByte(second, '2'));
  auto third = ConnectTo(listener.port);  // both threads are held: it waits, connected
  std::this_thread::sleep_for(100ms);
  CHECK(served.load() == 2);
  gate.Release();
  CHECK(ReadsByte(third, '3'));
  stop->Raise();
  pool.Stop();
}

TEST_CASE("a raised stop ends every waiting thread", "[network][pool]") {
  auto stop = Signal::Create();
  REQUIRE(stop);
  LoopbackListener listener;
  AcceptorPool pool(8, 10s);
  std::atomic<int> served{0};
  REQUIRE(pool.Start({{listener.fd.Get(), [&](UniqueFd, uint16_t) { ++served; }}}, stop->Fd()));
  auto client = ConnectTo(listener.port);
  for (int i = 0; i < 2000 && served.load() == 0; ++i) std::this_thread::sleep_for(1ms);
  CHECK(served.load() == 1);
  stop->Raise();
  pool.Stop();  // returns only once every thread has ended: a thread left waiting hangs here
  CHECK(served.load() == 1);
}

}  // namespace
}  // namespace aarm::network::detail
