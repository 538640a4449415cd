// The network service's tests: an engine compiled from a profile written to a scratch
// directory, an observer that keeps every record, the service on sockets of the test's own on
// 127.0.0.1, and small servers and clients on the loopback.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aarm/base/unique_fd.hpp"
#include "aarm/network/network_service.hpp"
#include "aarm/policy/action_observer.hpp"
#include "aarm/policy/engine.hpp"
#include "aarm/policy/profile.hpp"
#include "unit/network/wire_builders.hpp"
#include "unit/policy/policy_test_support.hpp"

namespace aarm::network::testing {

using namespace std::chrono_literals;

struct Record {
  bool closed = false;  // OnConnectionClosed, else OnDecided
  policy::Action action;
  policy::Decision decision;
  bool enforced = true;
  policy::ActionResult result;
  policy::Transfer transfer;
};

class RecordingObserver : public policy::ActionObserver {
 public:
  Result<void> OnDecided(const policy::Action& action, const policy::Decision& decision,
                         bool enforced, const policy::ActionResult& result) override {
    std::lock_guard lock(mutex_);
    if (fail_) return Fail("cannot append to the receipt file");
    records_.push_back({false, action, decision, enforced, result, {}});
    if (on_decided_) on_decided_(records_.back());
    changed_.notify_all();
    return {};
  }
  Result<void> OnConnectionClosed(const policy::Action& action, const policy::Decision& decision,
                                  bool enforced, const policy::Transfer& transfer) override {
    std::lock_guard lock(mutex_);
    if (fail_) return Fail("cannot append to the receipt file");
    records_.push_back({true, action, decision, enforced, {}, transfer});
    changed_.notify_all();
    return {};
  }

  // Runs inside OnDecided, before the service goes on: what holds then held before the dial.
  void OnDecidedDo(std::function<void(const Record&)> hook) {
    std::lock_guard lock(mutex_);
    on_decided_ = std::move(hook);
  }

  void FailFromNowOn() {
    std::lock_guard lock(mutex_);
    fail_ = true;
  }

  std::vector<Record> Records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }

  // Waits until `count` records satisfy `match`; returns them (fewer on timeout).
  std::vector<Record> WaitFor(size_t count, const std::function<bool(const Record&)>& match,
                              std::chrono::milliseconds timeout = 10s) const {
    std::unique_lock lock(mutex_);
    std::vector<Record> found;
    changed_.wait_for(lock, timeout, [&] {
      found.clear();
      for (const Record& r : records_) {
        if (match(r)) found.push_back(r);
      }
      return found.size() >= count;
    });
    return found;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<Record> records_;
  std::function<void(const Record&)> on_decided_;
  bool fail_ = false;
};

inline bool IsDecided(const Record& r) { return !r.closed; }
inline bool IsClosed(const Record& r) { return r.closed; }

// A profile of `network_toml` (the body of [network]) and `rules` (TOML after it).
inline policy::Engine EngineFor(const std::string& network_toml, const std::string& rules = "") {
  policy::testing::TempDir dir;
  const std::string path = dir.Write(
      "p.toml", "version = 1\n[session]\ndefault = \"deny\"\n[network]\n" + network_toml + "\n" + rules);
  auto profile = policy::LoadProfile(path, policy::testing::ShippedDir());
  if (!profile) FAIL(profile.error().message);
  auto engine = policy::Engine::Compile(*profile, {"/p", "/home/u", "/p", "/tmp"});
  if (!engine) FAIL(engine.error().message);
  return std::move(*engine);
}

// The profile most tests use: origin.test is allowed and pinned to the host's loopback, where
// the tests' servers listen; other.test and audited.test are pinned but not allowed;
// localhost is allowed by name but resolves to the host's loopback without a pin; evil.test
// is denied by a rule, forbidden.test by a forbid rule; names under .invalid are allowed and
// never resolve.
inline policy::Engine StandardEngine() {
  return EngineFor(
      "mode = \"proxy\"\n"
      "allow = [\"origin.test\", \"localhost\", \"*.invalid\"]\n"
      "default = \"deny\"\n"
      "hosts = { \"origin.test\" = \"127.0.0.1\", \"other.test\" = \"127.0.0.1\", "
      "\"audited.test\" = \"127.0.0.1\", \"forbidden.test\" = \"127.0.0.1\" }\n",
      "[[rule]]\nid = \"no-evil\"\non = \"net.connect\"\nmatch = { host = \"evil.test\" }\n"
      "decision = \"deny\"\nreason = \"evil\"\n"
      "[[rule]]\nid = \"never\"\non = \"net.connect\"\nmatch = { host = \"forbidden.test\" }\n"
      "decision = \"forbid\"\n");
}

// A port on 127.0.0.1 that nothing listens on.
inline uint16_t UnusedPort();

inline uint16_t LocalPort(int fd) {
  sockaddr_storage address = {};
  socklen_t length = sizeof(address);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

// The socket address of numeric `address` and `port`.
inline socklen_t SocketAddress(const char* address, uint16_t port, sockaddr_storage& storage) {
  storage = {};
  if (std::string(address).find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    REQUIRE(::inet_pton(AF_INET6, address, &a->sin6_addr) == 1);
    return sizeof(*a);
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&storage);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  REQUIRE(::inet_pton(AF_INET, address, &a->sin_addr) == 1);
  return sizeof(*a);
}

// A socket bound to `address` on a port of the kernel's choosing; listening when a stream.
inline UniqueFd BoundSocket(int type, const char* address) {
  sockaddr_storage storage;
  const socklen_t length = SocketAddress(address, 0, storage);
  UniqueFd fd(::socket(storage.ss_family, type | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  REQUIRE(::bind(fd.Get(), reinterpret_cast<sockaddr*>(&storage), length) == 0);
  if (type == SOCK_STREAM) REQUIRE(::listen(fd.Get(), 128) == 0);
  return fd;
}

inline bool HasIpv6Loopback() {
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 a = {};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  return fd && ::bind(fd.Get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
}

inline uint16_t UnusedPort() {
  UniqueFd fd = BoundSocket(SOCK_STREAM, "127.0.0.1");
  return LocalPort(fd.Get());
}

// A TCP connection to `address`:`port`, from `from` when given (a socket bound already).
inline UniqueFd ConnectTo(uint16_t port, const char* address = "127.0.0.1", UniqueFd from = {}) {
  sockaddr_storage storage;
  const socklen_t length = SocketAddress(address, port, storage);
  UniqueFd fd = from ? std::move(from) : UniqueFd(::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  REQUIRE(::connect(fd.Get(), reinterpret_cast<sockaddr*>(&storage), length) == 0);
  return fd;
}

inline void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// What the peer sends until it closes (or resets, or `timeout` passes).
struct Received {
  std::string bytes;
  bool reset = false;
  bool timed_out = false;
};
inline Received ReceiveAll(int fd, std::chrono::milliseconds timeout = 10s, size_t limit = 1 << 20) {
  Received received;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[16384];
  while (received.bytes.size() < limit) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p = {fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      received.timed_out = true;
      return received;
    }
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == ECONNRESET) received.reset = true;
    if (n <= 0) return received;
    received.bytes.append(buffer, static_cast<size_t>(n));
  }
  return received;
}

// Reads until `bytes` holds `marker` (or the peer stops).
inline std::string ReceiveUntil(int fd, std::string_view marker, std::chrono::milliseconds timeout = 10s) {
  std::string bytes;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char c[4096];
  while (bytes.find(marker) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p = {fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(fd, c, sizeof(c), 0);
    if (n <= 0) break;
    bytes.append(c, static_cast<size_t>(n));
  }
  return bytes;
}

// A TCP server on 127.0.0.1 that runs `serve` for each connection, one at a time, on a thread
// of its own; it remembers what each connection sent it.
class LoopbackServer {
 public:
  using Handler = std::function<void(int fd, std::string& received)>;
  explicit LoopbackServer(Handler serve) : listen_(BoundSocket(SOCK_STREAM, "127.0.0.1")), serve_(std::move(serve)) {
    port_ = LocalPort(listen_.Get());
    thread_ = std::thread([this] { Run(); });
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  ~LoopbackServer() {
    stopping_ = true;
    ::shutdown(listen_.Get(), SHUT_RDWR);
    thread_.join();
  }
  uint16_t Port() const { return port_; }
  int Connections() const { return connections_; }
  std::vector<std::string> Received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void Run() {
    while (!stopping_) {
      UniqueFd fd(::accept4(listen_.Get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!fd) return;
      ++connections_;
      std::string received;
      serve_(fd.Get(), received);
      std::lock_guard lock(mutex_);
      received_.push_back(std::move(received));
    }
  }

  UniqueFd listen_;
  Handler serve_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> received_;
  std::thread thread_;
};

// An HTTP/1.1 origin: reads one request head (and a Content-Length body), answers 200 with
// `body`, closes.
inline LoopbackServer::Handler HttpOrigin(std::string body) {
  return [body](int fd, std::string& received) {
    received = ReceiveUntil(fd, "\r\n\r\n");
    const size_t head = received.find("\r\n\r\n");
    const size_t length_at = received.find("Content-Length: ");
    if (head != std::string::npos && length_at != std::string::npos && length_at < head) {
      const size_t want = head + 4 + std::stoul(received.substr(length_at + 16));
      char c[4096];
      while (received.size() < want) {
        pollfd p = {fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) break;
        const ssize_t n = ::recv(fd, c, sizeof(c), 0);
        if (n <= 0) break;
        received.append(c, static_cast<size_t>(n));
      }
    }
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + body);
  };
}

// A DNS client on the loopback, talking to the service's resolver.
class DnsClient {
 public:
  explicit DnsClient(uint16_t port) : fd_(BoundSocket(SOCK_DGRAM, "127.0.0.1")) {
    length_ = SocketAddress("127.0.0.1", port, to_);
  }
  void Send(const std::string& packet) {
    ::sendto(fd_.Get(), packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to_), length_);
  }
  // The next answer, or nothing within `timeout`.
  std::string Receive(std::chrono::milliseconds timeout = 5s) {
    pollfd p = {fd_.Get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return {};
    char buffer[4096];
    const ssize_t n = ::recv(fd_.Get(), buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  }
  DnsAnswer Ask(const std::string& packet) {
    Send(packet);
    auto answer = ReadDnsAnswer(Receive());
    REQUIRE(answer.has_value());
    return *answer;
  }

 private:
  aarm::UniqueFd fd_;
  sockaddr_storage to_ = {};
  socklen_t length_ = 0;
};

// The service on sockets of its own on 127.0.0.1 (and ::1 when the machine has it).
struct ServiceUnderTest {
  explicit ServiceUnderTest(policy::Engine engine_in, ServiceOptions options = {})
      : engine(std::move(engine_in)) {
    ServiceSockets sockets;
    sockets.http_proxy = BoundSocket(SOCK_STREAM, "127.0.0.1");
    sockets.socks_proxy = BoundSocket(SOCK_STREAM, "127.0.0.1");
    sockets.transparent_v4 = BoundSocket(SOCK_STREAM, "127.0.0.1");
    if (HasIpv6Loopback()) sockets.transparent_v6 = BoundSocket(SOCK_STREAM, "::1");
    sockets.dns = BoundSocket(SOCK_DGRAM, "127.0.0.1");
    http_port = LocalPort(sockets.http_proxy.Get());
    socks_port = LocalPort(sockets.socks_proxy.Get());
    transparent_port = LocalPort(sockets.transparent_v4.Get());
    if (sockets.transparent_v6) transparent_v6_port = LocalPort(sockets.transparent_v6.Get());
    dns_port = LocalPort(sockets.dns.Get());
    auto started = NetworkService::Start(std::move(sockets), engine, observer, options);
    if (!started) FAIL(started.error().message);
    service = std::move(*started);
  }
  ~ServiceUnderTest() { service->Stop(); }

  policy::Engine engine;
  RecordingObserver observer;
  uint16_t http_port = 0, socks_port = 0, transparent_port = 0, transparent_v6_port = 0,
           dns_port = 0;
  std::unique_ptr<NetworkService> service;
};

// Runs a shell command; its standard output and exit status.
struct CommandResult {
  int status = -1;
  std::string out;
};
inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.out.append(buffer, n);
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// curl with no proxy from the environment, a bounded time, and the status code last.
inline CommandResult Curl(const std::string& arguments) {
  return RunCommand("env -u http_proxy -u https_proxy -u all_proxy -u HTTP_PROXY -u HTTPS_PROXY "
                    "-u ALL_PROXY -u NO_PROXY -u no_proxy curl -gsS --max-time 20 -w '\\n%{http_code}' " +
                    arguments + " 2>/dev/null");
}

}  // namespace aarm::network::testing
