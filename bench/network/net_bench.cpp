// What the network service adds: connections per second through each of its proxies beside a
// direct connection, and a bulk download through a CONNECT tunnel beside the same download
// direct. The service runs in this process on sockets of its own on 127.0.0.1 and decides every
// connection against a compiled profile; records go to an observer that keeps nothing, so the
// receipt log's cost (bench/receipts.sh) is not counted here.
//
// usage: net_bench connections COUNT [PATH...]
//                                      per path (all of bare, floor, floor-connect,
//                                      http-connect, http-get, socks5 unless named): one line "PATH<TAB>NANOSECONDS<TAB>CPU_NS"
//                                      for COUNT sequential connections, each a small request
//                                      and answer, CPU_NS the whole process's CPU time;
//                                      "floor" and "floor-connect" go through a bare forwarding
//                                      proxy (ForwardingFloor)
//        net_bench download BYTES      per path: one line
//                                      "PATH<TAB>NANOSECONDS<TAB>CPU_NS<TAB>SERVICE_CPU_NS" for
//                                      BYTES sent by the origin and read by the client; CPU_NS
//                                      the CPU time of the whole process meanwhile (origin,
//                                      service and client: on a machine with fewer free cores
//                                      than busy threads, the fairer comparison), SERVICE_CPU_NS
//                                      that less the origin's and the client's threads
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../src/positive_argument.h"
#include "aarm/base/unique_fd.hpp"
#include "aarm/network/network_service.hpp"
#include "aarm/policy/engine.hpp"
#include "aarm/policy/profile.hpp"

namespace {

using aarm::UniqueFd;
using Clock = std::chrono::steady_clock;

constexpr const char* kOriginName = "origin.bench";
constexpr size_t kChunk = 1 << 20;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "net_bench: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

UniqueFd Bound(int type) {
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in address = Loopback(0);
  if (!fd || ::bind(fd.Get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) {
    Die("bind");
  }
  if (type == SOCK_STREAM && ::listen(fd.Get(), 1024) < 0) Die("listen");
  return fd;
}

uint16_t PortOf(const UniqueFd& fd) {
  sockaddr_in address = {};
  socklen_t length = sizeof(address);
  ::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

UniqueFd Connect(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address = Loopback(port);
  if (!fd || ::connect(fd.Get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) {
    Die("connect");
  }
  const int one = 1;
  ::setsockopt(fd.Get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) Die("send");
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void WriteAll(int fd, const std::string& data) { WriteAll(fd, data.data(), data.size()); }

// Reads until `marker` has been read; the bytes read.
std::string ReadUntil(int fd, const std::string& marker) {
  std::string bytes;
  char c[4096];
  while (bytes.find(marker) == std::string::npos) {
    const ssize_t n = ::recv(fd, c, sizeof(c), 0);
    if (n <= 0) Die("recv");
    bytes.append(c, static_cast<size_t>(n));
  }
  return bytes;
}

// Reads `count` bytes exactly.
void ReadExactly(int fd, size_t count) {
  static thread_local std::vector<char> buffer(kChunk);
  while (count > 0) {
    const ssize_t n = ::recv(fd, buffer.data(), std::min(count, buffer.size()), 0);
    if (n <= 0) Die("recv");
    count -= static_cast<size_t>(n);
  }
}

// Accepts connections on its own thread and runs `serve` on each, on a thread per connection.
class Origin {
 public:
  explicit Origin(std::function<void(int)> serve) : listen_(Bound(SOCK_STREAM)), serve_(std::move(serve)) {
    thread_ = std::thread([this] {
      for (;;) {
        const int fd = ::accept4(listen_.Get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        std::thread([this, fd] {
          const int one = 1;
          ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          serve_(fd);
          ::close(fd);
        }).detach();
      }
    });
  }
  ~Origin() {
    ::shutdown(listen_.Get(), SHUT_RDWR);
    thread_.join();
  }
  uint16_t Port() const { return PortOf(listen_); }

 private:
  UniqueFd listen_;
  std::function<void(int)> serve_;
  std::thread thread_;
};

class NullObserver : public aarm::policy::ActionObserver {
 public:
  aarm::Result<void> OnDecided(const aarm::policy::Action&, const aarm::policy::Decision& d, bool,
                               const aarm::policy::ActionResult&) override {
    if (d.verdict != aarm::policy::Verdict::kAllow) {
      std::fprintf(stderr, "net_bench: a connection was denied (%s)\n", d.rule.c_str());
      std::exit(1);
    }
    return {};
  }
  aarm::Result<void> OnConnectionClosed(const aarm::policy::Action&,
                                        const aarm::policy::Decision&, bool,
                                        const aarm::policy::Transfer&) override {
    return {};
  }
};

// The least a proxy in the service's place costs: one thread, blocking calls, no parsing, no
// deciding. It reads a request head, dials the origin, forwards the head and copies the answer
// back until the origin closes; for a CONNECT it answers 200 once dialled and forwards the
// request head that follows in the tunnel. Connections are served one at a time, as the bench
// makes them.
class ForwardingFloor {
 public:
  explicit ForwardingFloor(uint16_t origin_port)
      : listen_(Bound(SOCK_STREAM)), origin_port_(origin_port) {
    thread_ = std::thread([this] {
      for (;;) {
        UniqueFd client(::accept4(listen_.Get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!client) return;
        const int one = 1;
        ::setsockopt(client.Get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        std::string head = ReadUntil(client.Get(), "\r\n\r\n");
        UniqueFd origin = Connect(origin_port_);
        if (head.rfind("CONNECT ", 0) == 0) {
          WriteAll(client.Get(), "HTTP/1.1 200 Connection established\r\n\r\n");
          head = ReadUntil(client.Get(), "\r\n\r\n");
        }
        WriteAll(origin.Get(), head);
        char buffer[4096];
        ssize_t n;
        while ((n = ::recv(origin.Get(), buffer, sizeof(buffer), 0)) > 0) {
          WriteAll(client.Get(), buffer, static_cast<size_t>(n));
        }
        ::shutdown(client.Get(), SHUT_WR);
      }
    });
  }
  ~ForwardingFloor() {
    ::shutdown(listen_.Get(), SHUT_RDWR);
    thread_.join();
  }
  uint16_t Port() const { return PortOf(listen_); }

 private:
  UniqueFd listen_;
  uint16_t origin_port_;
  std::thread thread_;
};

struct Proxies {
  uint16_t http = 0;
  uint16_t socks = 0;
  uint16_t floor = 0;
};

aarm::policy::Engine BenchEngine() {
  aarm::policy::Profile profile;
  profile.network.mode = aarm::policy::NetworkMode::kProxy;
  profile.network.mode_set = true;
  profile.network.allow = {{kOriginName, {"net_bench", 1, 1}}};
  profile.network.hosts = {{kOriginName, "127.0.0.1"}};
  auto engine = aarm::policy::Engine::Compile(profile, {"/", "/", "/", "/tmp"});
  if (!engine) {
    std::fprintf(stderr, "net_bench: %s\n", engine.error().message.c_str());
    std::exit(1);
  }
  return std::move(*engine);
}

// A connection to the origin at `port` along `path`; ready for the first request byte.
UniqueFd Open(const std::string& path, const Proxies& proxies, uint16_t port) {
  if (path == "bare") return Connect(port);
  if (path == "floor") return Connect(proxies.floor);
  if (path == "http-connect" || path == "floor-connect") {
    UniqueFd fd = Connect(path == "http-connect" ? proxies.http : proxies.floor);
    WriteAll(fd.Get(), "CONNECT " + std::string(kOriginName) + ":" + std::to_string(port) +
                           " HTTP/1.1\r\n\r\n");
    if (ReadUntil(fd.Get(), "\r\n\r\n").rfind("HTTP/1.1 200 ", 0) != 0) Die("CONNECT refused");
    return fd;
  }
  if (path == "socks5") {
    UniqueFd fd = Connect(proxies.socks);
    std::string request = std::string("\x05\x01\x00\x05\x01\x00\x03", 7);
    request.push_back(static_cast<char>(std::strlen(kOriginName)));
    request += kOriginName;
    request.push_back(static_cast<char>(port >> 8));
    request.push_back(static_cast<char>(port & 0xFF));
    WriteAll(fd.Get(), request);
    char reply[12];
    size_t got = 0;
    while (got < sizeof(reply)) {
      const ssize_t n = ::recv(fd.Get(), reply + got, sizeof(reply) - got, 0);
      if (n <= 0) Die("SOCKS reply");
      got += static_cast<size_t>(n);
    }
    if (reply[3] != 0) Die("SOCKS refused");
    return fd;
  }
  return Connect(proxies.http);  // http-get: the request itself names the origin
}

std::string Request(const std::string& path, uint16_t port) {
  if (path == "http-get") {
    return "GET http://" + std::string(kOriginName) + ":" + std::to_string(port) +
           "/ HTTP/1.1\r\n\r\n";
  }
  return "GET / HTTP/1.1\r\nHost: " + std::string(kOriginName) + "\r\n\r\n";
}

int64_t Nanoseconds(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

int64_t ThreadCpuNanoseconds() {
  timespec t = {};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

// CPU time of every thread of the process so far.
int64_t CpuNanoseconds() {
  rusage usage = {};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto ns = [](const timeval& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_usec * 1000; };
  return ns(usage.ru_utime) + ns(usage.ru_stime);
}

void Connections(long count, Proxies proxies, const std::vector<std::string>& paths) {
  const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  Origin origin([&answer](int fd) {
    ReadUntil(fd, "\r\n\r\n");
    WriteAll(fd, answer);
  });
  const ForwardingFloor floor(origin.Port());
  proxies.floor = floor.Port();
  for (const std::string& path : paths) {
    const std::string request = Request(path, origin.Port());
    const auto one = [&] {
      UniqueFd fd = Open(path, proxies, origin.Port());
      WriteAll(fd.Get(), request);
      char c[256];
      while (::recv(fd.Get(), c, sizeof(c), 0) > 0) {
      }
    };
    for (long i = 0; i < count / 10 + 1; ++i) one();  // warm-up
    const auto start = Clock::now();
    const int64_t cpu_start = CpuNanoseconds();
    for (long i = 0; i < count; ++i) one();
    std::printf("%s\t%lld\t%lld\n", path.c_str(),
                static_cast<long long>(Nanoseconds(Clock::now() - start)),
                static_cast<long long>(CpuNanoseconds() - cpu_start));
  }
}

void Download(size_t bytes, const Proxies& proxies) {
  std::atomic<int64_t> origin_cpu{0};
  Origin origin([bytes, &origin_cpu](int fd) {
    const int64_t start = ThreadCpuNanoseconds();
    ReadUntil(fd, "\r\n\r\n");
    static const std::vector<char> data(kChunk, 'd');
    for (size_t left = bytes; left > 0;) {
      const size_t n = std::min(left, data.size());
      WriteAll(fd, data.data(), n);
      left -= n;
    }
    origin_cpu = ThreadCpuNanoseconds() - start;
  });
  for (const std::string path : {"bare", "http-connect"}) {
    UniqueFd fd = Open(path, proxies, origin.Port());
    origin_cpu = -1;
    const auto start = Clock::now();
    const int64_t cpu_start = CpuNanoseconds();
    const int64_t client_start = ThreadCpuNanoseconds();
    WriteAll(fd.Get(), Request(path, origin.Port()));
    ReadExactly(fd.Get(), bytes);
    const int64_t elapsed = Nanoseconds(Clock::now() - start);
    const int64_t client = ThreadCpuNanoseconds() - client_start;
    // The origin's thread notes its time once it has written the last byte.
    while (origin_cpu < 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const int64_t cpu = CpuNanoseconds() - cpu_start;
    std::printf("%s\t%lld\t%lld\t%lld\n", path.c_str(), static_cast<long long>(elapsed),
                static_cast<long long>(cpu),
                static_cast<long long>(std::max<int64_t>(0, cpu - client - origin_cpu)));
  }
}

}  // namespace

int main(int argc, char** argv) {
  constexpr const char* kUsage = "usage: net_bench connections COUNT [PATH...] | download BYTES\n";
  const std::vector<std::string> all_paths = {"bare",         "floor",    "floor-connect",
                                              "http-connect", "http-get", "socks5"};
  if (argc < 3) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string mode = argv[1];
  const long amount = PositiveArgument(argv[2], LONG_MAX);
  std::vector<std::string> paths(argv + 3, argv + argc);
  const bool known_paths = std::all_of(paths.begin(), paths.end(), [&](const std::string& p) {
    return std::find(all_paths.begin(), all_paths.end(), p) != all_paths.end();
  });
  if (amount < 0) {
    std::fprintf(stderr, "net_bench: %s must be a positive number, not '%s'\n",
                 mode == "download" ? "BYTES" : "COUNT", argv[2]);
    return 2;
  }
  if ((mode != "connections" && mode != "download") || !known_paths ||
      (mode == "download" && !paths.empty())) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (paths.empty()) paths = all_paths;
  const aarm::policy::Engine engine = BenchEngine();
  NullObserver observer;
  aarm::network::ServiceSockets sockets;
  sockets.http_proxy = Bound(SOCK_STREAM);
  sockets.socks_proxy = Bound(SOCK_STREAM);
  sockets.transparent_v4 = Bound(SOCK_STREAM);
  sockets.dns = Bound(SOCK_DGRAM);
  const Proxies proxies{PortOf(sockets.http_proxy), PortOf(sockets.socks_proxy)};
  auto service = aarm::network::NetworkService::Start(std::move(sockets), engine, observer, {});
  if (!service) {
    std::fprintf(stderr, "net_bench: %s\n", service.error().message.c_str());
    return 1;
  }
  if (mode == "connections") {
    Connections(amount, proxies, paths);
  } else {
    Download(static_cast<size_t>(amount), proxies);
  }
  (*service)->Stop();
  return 0;
}
