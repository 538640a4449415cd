// The service as a whole: --audit, a failing receipt log, Stop(), the relay's half-close and
// concurrency, and what the agent's environment gets.
#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <string>
#include <vector>

#include "unit/network/network_test_support.hpp"

using namespace aarm::network::testing;
using aarm::policy::Verdict;

namespace {

std::string Get(const ServiceUnderTest& s, const std::string& host, uint16_t port) {
  const auto result = Curl("-x http://127.0.0.1:" + std::to_string(s.http_port) + " http://" +
                           host + ":" + std::to_string(port) + "/");
  return result.out.substr(result.out.rfind('\n') + 1);
}

// Opens a CONNECT tunnel through the proxy; the agent's end, with the 200 read.
aarm::UniqueFd Tunnel(const ServiceUnderTest& s, const std::string& host, uint16_t port) {
  aarm::UniqueFd fd = ConnectTo(s.http_port);
  SendAll(fd.Get(), "CONNECT " + host + ":" + std::to_string(port) + " HTTP/1.1\r\n\r\n");
  const std::string answer = ReceiveUntil(fd.Get(), "\r\n\r\n");
  REQUIRE(answer.rfind("HTTP/1.1 200 ", 0) == 0);
  return fd;
}

// Reads until the peer half-closes, then answers how many bytes it read and closes.
void CountUntilEof(int fd, std::string& received) {
  char buffer[65536];
  size_t total = 0;
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) total += static_cast<size_t>(n);
  received = std::to_string(total);
  SendAll(fd, "read " + received);
}

}  // namespace

TEST_CASE("Under --audit a denial is recorded, not enforced, while forbid rules and forbidden addresses "
          "still are",
          "[network]") {
  LoopbackServer origin(HttpOrigin("audited"));
  aarm::network::ServiceOptions options;
  options.audit = true;
  ServiceUnderTest s(StandardEngine(), options);
  CHECK(Get(s, "audited.test", origin.Port()) == "200");
  CHECK(Get(s, "forbidden.test", origin.Port()) == "403");
  CHECK(Get(s, "localhost", origin.Port()) == "403");
  const auto decided = s.observer.WaitFor(3, IsDecided);
  REQUIRE(decided.size() == 3);
  CHECK(decided[0].decision.verdict == Verdict::kDeny);
  CHECK(decided[0].decision.rule == "network.default");
  CHECK_FALSE(decided[0].enforced);
  CHECK(decided[0].result.ok);
  CHECK(decided[0].action.address == "127.0.0.1");
  CHECK(decided[1].decision.rule == "never");
  CHECK(decided[1].enforced);
  CHECK(decided[2].decision.rule == "network.host-loopback");
  CHECK(decided[2].enforced);
  CHECK(origin.Connections() == 1);
  // Its closing record says the same: a denial let through, by audit, not by policy.
  const auto closed = s.observer.WaitFor(1, IsClosed);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].decision.rule == "network.default");
  CHECK_FALSE(closed[0].enforced);
  // An allowed connection is the audit's too, as every other action under --audit.
  CHECK(Get(s, "origin.test", origin.Port()) == "200");
  const auto all = s.observer.WaitFor(4, IsDecided);
  REQUIRE(all.size() == 4);
  CHECK(all[3].decision.verdict == Verdict::kAllow);
  CHECK_FALSE(all[3].enforced);
}

TEST_CASE("A record that cannot be written refuses the connection and fails the service",
          "[network]") {
  LoopbackServer origin(HttpOrigin("never"));
  ServiceUnderTest s(StandardEngine());
  pollfd before = {s.service->FailureFd(), POLLIN, 0};
  CHECK(::poll(&before, 1, 0) == 0);
  CHECK_FALSE(s.service->Failure().has_value());

  s.observer.FailFromNowOn();
  CHECK(Get(s, "origin.test", origin.Port()) == "503");
  CHECK(origin.Connections() == 0);
  pollfd after = {s.service->FailureFd(), POLLIN, 0};
  CHECK(::poll(&after, 1, 5000) == 1);
  REQUIRE(s.service->Failure().has_value());
  CHECK(s.service->Failure()->message == "cannot append to the receipt file");
  // Nothing more goes through once the service has failed.
  CHECK(Get(s, "origin.test", origin.Port()) == "503");
  CHECK(origin.Connections() == 0);
}

TEST_CASE("The relay carries a half-close both ways and counts the bytes", "[network]") {
  LoopbackServer origin(CountUntilEof);
  ServiceUnderTest s(StandardEngine());
  aarm::UniqueFd fd = Tunnel(s, "origin.test", origin.Port());
  const std::string upload(300 * 1024, 'u');
  SendAll(fd.Get(), upload);
  REQUIRE(::shutdown(fd.Get(), SHUT_WR) == 0);
  const Received answer = ReceiveAll(fd.Get());
  CHECK(answer.bytes == "read " + std::to_string(upload.size()));
  CHECK_FALSE(answer.reset);
  const auto closed = s.observer.WaitFor(1, IsClosed);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].transfer.bytes_up == upload.size());
  CHECK(closed[0].transfer.bytes_down == answer.bytes.size());
}

TEST_CASE("Many connections at once", "[network]") {
  LoopbackServer::Handler echo_count = CountUntilEof;
  // One server thread serves connections one at a time: give each client its own origin.
  constexpr int kClients = 24;
  std::vector<std::unique_ptr<LoopbackServer>> origins;
  for (int i = 0; i < kClients; ++i) origins.push_back(std::make_unique<LoopbackServer>(echo_count));
  ServiceUnderTest s(StandardEngine());
  std::vector<std::future<std::string>> results;
  for (int i = 0; i < kClients; ++i) {
    results.push_back(std::async(std::launch::async, [&, i] {
      aarm::UniqueFd fd = ConnectTo(s.http_port);
      SendAll(fd.Get(), "CONNECT origin.test:" + std::to_string(origins[i]->Port()) +
                            " HTTP/1.1\r\n\r\n");
      if (ReceiveUntil(fd.Get(), "\r\n\r\n").find(" 200 ") == std::string::npos) return std::string();
      SendAll(fd.Get(), std::string(1000 + i, 'x'));
      ::shutdown(fd.Get(), SHUT_WR);
      return ReceiveAll(fd.Get()).bytes;
    }));
  }
  for (int i = 0; i < kClients; ++i) CHECK(results[i].get() == "read " + std::to_string(1000 + i));
  CHECK(s.observer.WaitFor(kClients, IsClosed).size() == kClients);
}

TEST_CASE("Stop() ends open connections, each with its closing record", "[network]") {
  LoopbackServer origin(CountUntilEof);
  ServiceUnderTest s(StandardEngine());
  aarm::UniqueFd fd = Tunnel(s, "origin.test", origin.Port());
  const std::string request = "POST / HTTP/1.1\r\nHost: origin.test\r\nContent-Length: 100\r\n\r\n";
  SendAll(fd.Get(), request);
  // Neither a tunnel still waiting for its first bytes nor a client that never finishes its
  // head holds Stop() up.
  aarm::UniqueFd waiting = Tunnel(s, "origin.test", origin.Port());
  aarm::UniqueFd slow = ConnectTo(s.http_port);
  SendAll(slow.Get(), "GET http://origin.test/ HTTP/1.1\r\n");
  std::this_thread::sleep_for(200ms);

  const auto started = std::chrono::steady_clock::now();
  s.service->Stop();
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  const auto closed = s.observer.WaitFor(2, IsClosed, 1s);
  REQUIRE(closed.size() == 2);
  CHECK(closed[0].transfer.bytes_up + closed[1].transfer.bytes_up == request.size());
  // Being stopped is no refusal of the waiting tunnel.
  for (const Record& r : s.observer.Records()) CHECK(r.decision.verdict == Verdict::kAllow);
  CHECK_FALSE(ReceiveAll(fd.Get(), 2s).timed_out);
  // The listening sockets are closed.
  aarm::UniqueFd again(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage address;
  const socklen_t length = SocketAddress("127.0.0.1", s.http_port, address);
  CHECK(::connect(again.Get(), reinterpret_cast<sockaddr*>(&address), length) < 0);
}

TEST_CASE("The service needs its sockets", "[network]") {
  const aarm::policy::Engine engine = StandardEngine();
  RecordingObserver observer;
  auto started = aarm::network::NetworkService::Start({}, engine, observer, {});
  REQUIRE_FALSE(started.has_value());
  CHECK(started.error().message.find("needs its") != std::string::npos);
}

TEST_CASE("The agent's environment and resolv.conf in proxy mode", "[network]") {
  const auto env = aarm::network::ProxyEnvironment();
  const auto has = [&](const std::string& entry) {
    return std::find(env.begin(), env.end(), entry) != env.end();
  };
  CHECK(has("HTTP_PROXY=http://127.0.0.1:3128"));
  CHECK(has("http_proxy=http://127.0.0.1:3128"));
  CHECK(has("HTTPS_PROXY=http://127.0.0.1:3128"));
  CHECK(has("https_proxy=http://127.0.0.1:3128"));
  CHECK(has("ALL_PROXY=socks5h://127.0.0.1:1080"));
  CHECK(has("all_proxy=socks5h://127.0.0.1:1080"));
  CHECK(has("NO_PROXY=localhost,127.0.0.1,::1"));
  CHECK(has("no_proxy=localhost,127.0.0.1,::1"));
  CHECK(env.size() == 8);
  const std::string resolv = aarm::network::ResolvConf();
  CHECK(resolv.find("\nnameserver 127.0.0.1\n") != std::string::npos);
  CHECK(resolv.find("options timeout:") != std::string::npos);
}
