// The agent's own socket calls: connect, bind, listen and the sends, made directly (no proxy)
// by a static probe. In mode none nothing leaves the sandbox's namespace and every attempt is
// recorded; in mode host each is decided by address, on the address the supervisor read —
// a thread rewriting it meanwhile, an IPv4-mapped or unspecified address, a blocking connect
// that never completes change nothing; unix sockets are decided by the path they reach. A batch
// of sends goes only where it was decided, a Fast Open send is a connect, the descriptors a
// send passes are the agent's, never the supervisor's, and the kernel keeps no pages of the
// supervisor's copy after the call (MSG_ZEROCOPY). No IPv6 routing header, as a socket option
// or as a send's control data, takes a packet past the address decided, and control data
// borrows none of aarm-run's privileges, nor its pid (SCM_CREDENTIALS).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "support/process.hpp"
#include "support/receipts.hpp"
#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

using namespace std::chrono_literals;

// A socket of `type` bound to the loopback address of `family` (127.0.0.1 or ::1) on a port
// of its own, which `port` receives; -1 when it cannot be bound.
int TryLoopbackSocket(int type, int* port, int family = AF_INET) {
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  sockaddr_storage address{};
  socklen_t length = sizeof(sockaddr_in);
  auto* in = reinterpret_cast<sockaddr_in*>(&address);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (family == AF_INET6) {
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    length = sizeof(sockaddr_in6);
  } else {
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  *port = ntohs(family == AF_INET6 ? in6->sin6_port : in->sin_port);
  return fd;
}

int LoopbackSocket(int type, int* port, int family = AF_INET) {
  int fd = TryLoopbackSocket(type, port, family);
  if (fd < 0) {
    throw std::runtime_error(std::string("cannot bind on ") +
                             (family == AF_INET6 ? "::1" : "127.0.0.1"));
  }
  return fd;
}

// Whether this host has an IPv6 loopback address to bind on.
bool HostHasIpv6Loopback() {
  int port = 0;
  int fd = TryLoopbackSocket(SOCK_DGRAM, &port, AF_INET6);
  if (fd < 0) return false;
  close(fd);
  return true;
}

// Counts what reaches one socket of the host: TCP connections accepted (then closed), or
// datagrams received. On 127.0.0.1 or ::1 with a port of its own, or at a unix socket path.
class CountingListener {
 public:
  static std::unique_ptr<CountingListener> Inet(int type) {
    return std::unique_ptr<CountingListener>(new CountingListener(type, "", AF_INET));
  }
  static std::unique_ptr<CountingListener> Inet6(int type) {
    return std::unique_ptr<CountingListener>(new CountingListener(type, "", AF_INET6));
  }
  static std::unique_ptr<CountingListener> Unix(int type, const std::string& path) {
    return std::unique_ptr<CountingListener>(new CountingListener(type, path, AF_UNIX));
  }
  CountingListener(const CountingListener&) = delete;
  CountingListener& operator=(const CountingListener&) = delete;
  ~CountingListener() {
    stopping_ = true;
    thread_.join();
    close(fd_);
  }

  int Port() const { return port_; }
  std::string PortText() const { return std::to_string(port_); }
  int Count() const { return count_; }
  // Waits until the count has not changed for a while (datagrams still in flight).
  int SettledCount() const {
    int last = -1;
    while (last != count_) {
      last = count_;
      std::this_thread::sleep_for(200ms);
    }
    return last;
  }

 private:
  CountingListener(int type, const std::string& path, int family) : type_(type) {
    if (family != AF_UNIX) {
      fd_ = LoopbackSocket(type, &port_, family);
    } else {
      fd_ = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      memcpy(address.sun_path, path.data(), std::min(path.size(), sizeof address.sun_path - 1));
      if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        throw std::runtime_error("cannot bind " + path);
      }
    }
    if (type == SOCK_STREAM && listen(fd_, 512) != 0) throw std::runtime_error("listen");
    thread_ = std::thread([this] { Serve(); });
  }

  void Serve() {
    while (!stopping_) {
      pollfd ready{fd_, POLLIN, 0};
      if (poll(&ready, 1, 50) <= 0) continue;
      if (type_ == SOCK_STREAM) {
        int peer = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (peer < 0) continue;
        close(peer);
      } else {
        char buffer[64];
        if (recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT) < 0) continue;
      }
      ++count_;
    }
  }

  int type_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> count_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A TCP listener on 127.0.0.1 whose queue is full and which never accepts: a connect to it
// waits for an answer that never comes, as to a host that drops the packets.
class StalledListener {
 public:
  StalledListener() {
    fd_ = LoopbackSocket(SOCK_STREAM, &port_);
    if (listen(fd_, 0) != 0) throw std::runtime_error("listen");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port_));
    for (int& filler : fillers_) {
      filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      connect(filler, reinterpret_cast<sockaddr*>(&address), sizeof address);
    }
    std::this_thread::sleep_for(200ms);
  }
  ~StalledListener() {
    for (int filler : fillers_) close(filler);
    close(fd_);
  }
  int Port() const { return port_; }
  std::string PortText() const { return std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
  int fillers_[3] = {-1, -1, -1};
};

std::vector<std::string> ProbeCommand(const std::vector<std::string>& args) {
  std::vector<std::string> command = {ProbePath()};
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

// The net.* records of `kind` for `address` (or, for unix sockets, `path`).
std::vector<Json> NetRecords(const std::vector<Json>& records, const std::string& kind,
                             const std::string& address, const std::string& path = "") {
  std::vector<Json> found;
  for (const auto& record : ActionRecords(records, kind)) {
    const Json& action = record["action"];
    if (action.value("address", "") == address && action.value("path", "") == path) {
      found.push_back(record);
    }
  }
  return found;
}

// Exactly one record of `kind` for `address`:`port` with `verdict`; returns it.
Json OneNetRecord(const RecordedRun& run, const std::string& kind, const std::string& address,
                  int port, const std::string& verdict) {
  auto found = NetRecords(run.records, kind, address);
  REQUIRE(found.size() == 1);
  const Json& record = found.front();
  CHECK(record["action"].value("port", 0) == port);
  CHECK(record["decision"]["verdict"] == verdict);
  return record;
}

// `items` as a TOML array of strings.
std::string TomlStrings(const std::vector<std::string>& items) {
  std::string list;
  for (const auto& item : items) list += (list.empty() ? "\"" : ", \"") + item + "\"";
  return "[" + list + "]";
}

// [network] mode = "host" and rules allowing `kinds` to `hosts` (127.0.0.1 unless given) on
// `ports`.
std::string HostModeToml(const ProfileSpec& spec, const std::vector<std::string>& kinds,
                         const std::vector<int>& ports,
                         const std::vector<std::string>& hosts = {"127.0.0.1"}) {
  std::string toml = ProfileToml(spec) + "\n[network]\nmode = \"host\"\n";
  if (ports.empty()) return toml;
  std::string port_list;
  for (int port : ports) port_list += (port_list.empty() ? "" : ", ") + std::to_string(port);
  return toml + "\n[[rule]]\nid = \"local-service\"\non = " + TomlStrings(kinds) +
         "\nmatch = { host = " + TomlStrings(hosts) + ", port = [" + port_list +
         "] }\ndecision = \"allow\"\n";
}

// "name=N" out of the probe's counts line.
long Count(const std::string& line, const std::string& name) {
  auto at = line.find(name + "=");
  if (at == std::string::npos) return -1;
  return std::stol(line.substr(at + name.size() + 1));
}

TEST_CASE("in mode none every connect out of the sandbox is unreachable and recorded",
          "[escape][network]") {
  Workspace ws;
  struct Attempt {
    std::vector<std::string> probe;
    std::string recorded;  // the address in the record
    int port;
    std::string protocol;
  };
  const std::vector<Attempt> attempts = {
      {{"connect-ip", "203.0.113.9", "443"}, "203.0.113.9", 443, "tcp"},
      {{"connect-ip", "169.254.169.254", "80"}, "169.254.169.254", 80, "tcp"},
      {{"connect-ip", "::ffff:203.0.113.9", "443"}, "203.0.113.9", 443, "tcp"},
      {{"connect-ip", "2001:db8::1", "443"}, "2001:db8::1", 443, "tcp"},
      {{"connect-ip-nonblock", "203.0.113.9", "22"}, "203.0.113.9", 22, "tcp"},
      {{"udp-connect", "198.51.100.1", "53"}, "198.51.100.1", 53, "udp"},
  };
  for (const auto& attempt : attempts) {
    INFO(attempt.probe[0] << " " << attempt.probe[1]);
    auto run = RunRecorded(ws, ProbeCommand(attempt.probe), {.quiet = false});
    CHECK(FirstLine(run.result.out) == "errno 101 ENETUNREACH");
    Json record = OneNetRecord(run, "net.connect", attempt.recorded, attempt.port, "deny");
    CHECK(record["decision"]["rule"] == "network.mode");
    CHECK(record["action"]["protocol"] == attempt.protocol);
    CHECK(record["outcome"]["errno"] == ENETUNREACH);
    CHECK_THAT(record["action"]["process"].value("exe", ""), Catch::EndsWith("/probe"));
    std::string where = attempt.recorded.find(':') != std::string::npos
                            ? "[" + attempt.recorded + "]"
                            : attempt.recorded;
    CHECK_THAT(run.result.err,
               Catch::Contains("aarm: denied net.connect " + where + ":" +
                               std::to_string(attempt.port) + " (rule: network.mode)"));
    CHECK(VerifyProblems(ws, run.receipts).empty());
  }
}

TEST_CASE("in mode none the sandbox's own loopback is reached without a decision",
          "[escape][network]") {
  Workspace ws;
  // The host's listener is not the sandbox's: nothing listens on that port in there.
  auto host = CountingListener::Inet(SOCK_STREAM);
  for (const std::string address : {"127.0.0.1", "::ffff:127.0.0.1", "0.0.0.0"}) {
    INFO(address);
    auto run = RunRecorded(ws, ProbeCommand({"connect-ip", address, host->PortText()}));
    CHECK(FirstLine(run.result.out) == "errno 111 ECONNREFUSED");
    CHECK(ActionRecords(run.records, "net.connect").empty());
  }
  CHECK(host->Count() == 0);
}

TEST_CASE("in mode host a connect is decided by the address it reaches, however written",
          "[escape][network]") {
  Workspace ws;
  auto allowed = CountingListener::Inet(SOCK_STREAM);
  auto denied = CountingListener::Inet(SOCK_STREAM);
  ws.WriteProfile(HostModeToml({}, {"net.connect"}, {allowed->Port()}));

  for (const std::string address : {"127.0.0.1", "::ffff:127.0.0.1"}) {
    INFO(address);
    auto run = RunRecorded(ws, ProbeCommand({"connect-ip", address, allowed->PortText()}));
    CHECK(FirstLine(run.result.out) == "ok connected");
    Json record = OneNetRecord(run, "net.connect", "127.0.0.1", allowed->Port(), "allow");
    CHECK(record["decision"]["rule"] == "local-service");
  }
  // The unspecified address reaches the loopback: it is decided as the loopback address.
  for (const std::string address : {"127.0.0.1", "::ffff:127.0.0.1", "0.0.0.0", "::ffff:0.0.0.0"}) {
    INFO(address);
    auto run = RunRecorded(ws, ProbeCommand({"connect-ip", address, denied->PortText()}),
                           {.quiet = false});
    CHECK(FirstLine(run.result.out) == "errno 111 ECONNREFUSED");
    Json record = OneNetRecord(run, "net.connect", "127.0.0.1", denied->Port(), "deny");
    CHECK(record["outcome"]["errno"] == ECONNREFUSED);
    CHECK_THAT(run.result.err, Catch::Contains("aarm: denied net.connect 127.0.0.1:" +
                                               denied->PortText()));
  }
  CHECK(allowed->SettledCount() == 2);
  CHECK(denied->Count() == 0);
}

TEST_CASE("a thread rewriting the address during connect never reaches a denied port",
          "[escape][network][race]") {
  Workspace ws;
  auto allowed = CountingListener::Inet(SOCK_STREAM);
  auto denied = CountingListener::Inet(SOCK_STREAM);
  ws.WriteProfile(HostModeToml({}, {"net.connect"}, {allowed->Port()}));
  auto result = ws.Probe(
      {"connect-race", "127.0.0.1", allowed->PortText(), denied->PortText(), "2000"});
  std::string line = FirstLine(result.out);
  INFO(line);
  CHECK(Count(line, "went") > 0);
  CHECK(Count(line, "failed") > 0);  // the rewrite did race the reads
  CHECK(Count(line, "reached_denied") == 0);
  CHECK(denied->Count() == 0);
  CHECK(allowed->SettledCount() == Count(line, "went"));
}

TEST_CASE("a thread rewriting the address during sendto never sends to a denied port",
          "[escape][network][race]") {
  Workspace ws;
  auto allowed = CountingListener::Inet(SOCK_DGRAM);
  auto denied = CountingListener::Inet(SOCK_DGRAM);
  ws.WriteProfile(HostModeToml({}, {"net.send"}, {allowed->Port()}));
  auto result =
      ws.Probe({"send-race", "127.0.0.1", allowed->PortText(), denied->PortText(), "2000"});
  std::string line = FirstLine(result.out);
  INFO(line);
  CHECK(Count(line, "went") > 0);
  CHECK(Count(line, "failed") > 0);
  CHECK(allowed->SettledCount() > 0);
  CHECK(denied->Count() == 0);
}

TEST_CASE("in mode host a datagram to a port no rule allows is refused, however sent",
          "[escape][network]") {
  Workspace ws;
  auto allowed = CountingListener::Inet(SOCK_DGRAM);
  auto denied = CountingListener::Inet(SOCK_DGRAM);
  ws.WriteProfile(HostModeToml({}, {"net.send"}, {allowed->Port()}));
  for (const std::string how : {"sendto", "sendmsg", "sendmmsg"}) {
    INFO(how);
    auto refused = RunRecorded(ws, ProbeCommand({"udp-send", how, "127.0.0.1",
                                                 denied->PortText(), "hi"}));
    CHECK(FirstLine(refused.result.out) == "errno 13 EACCES");
    Json record = OneNetRecord(refused, "net.send", "127.0.0.1", denied->Port(), "deny");
    CHECK(record["action"]["protocol"] == "udp");

    auto sent = RunRecorded(ws, ProbeCommand({"udp-send", how, "127.0.0.1",
                                              allowed->PortText(), "hi"}));
    // sendmmsg's second message names no destination on an unconnected socket: one goes.
    CHECK(FirstLine(sent.result.out) == (how == "sendmmsg" ? "ok sent=1 len=2" : "ok 2"));
    OneNetRecord(sent, "net.send", "127.0.0.1", allowed->Port(), "allow");
  }
  CHECK(allowed->SettledCount() == 3);
  CHECK(denied->Count() == 0);
}

TEST_CASE("a descriptor passed with sendmsg arrives; a control header longer than its buffer "
          "is EINVAL and harms nothing",
          "[escape][network]") {
  // In mode host the supervisor copies every sendmsg, and with it the descriptors an
  // SCM_RIGHTS header names. The header's length is the agent's to write: trusted, it made the
  // supervisor read and rewrite descriptor numbers past the copied buffer (heap corruption).
  Workspace ws;
  ws.WriteProfile(HostModeToml({}, {}, {}));
  auto passed = RunRecorded(ws, ProbeCommand({"pass-fd", "ok"}));
  CHECK(FirstLine(passed.result.out) == "ok passed marker");
  CHECK(VerifyProblems(ws, passed.receipts).empty());
  for (const std::string claim : {"65536", "4096", "40"}) {
    INFO("cmsg_len " << claim);
    auto lying = RunRecorded(ws, ProbeCommand({"pass-fd", claim}));
    CHECK(FirstLine(lying.result.out) == "errno 22 EINVAL");
    CHECK(lying.result.status == 0);
    REQUIRE_FALSE(lying.records.empty());
    CHECK(lying.records.back()["type"] == "session.end");
    CHECK(VerifyProblems(ws, lying.receipts).empty());
  }
}

TEST_CASE("in mode host bind and listen are decided", "[escape][network]") {
  Workspace ws;
  auto taken = CountingListener::Inet(SOCK_DGRAM);  // a port known to be free for TCP
  std::string port = taken->PortText();
  ws.WriteProfile(HostModeToml({}, {}, {}));
  auto refused = RunRecorded(ws, ProbeCommand({"bind-ip", "127.0.0.1", port}));
  CHECK(FirstLine(refused.result.out) == "errno 13 EACCES");
  OneNetRecord(refused, "net.bind", "127.0.0.1", taken->Port(), "deny");

  // listen(2) on an unbound socket binds it to every address.
  auto unbound = RunRecorded(ws, ProbeCommand({"listen-unbound"}));
  CHECK(FirstLine(unbound.result.out) == "errno 13 EACCES");
  OneNetRecord(unbound, "net.bind", "0.0.0.0", 0, "deny");

  ws.WriteProfile(HostModeToml({}, {"net.bind"}, {taken->Port()}));
  auto bound = RunRecorded(ws, ProbeCommand({"bind-ip", "127.0.0.1", port}));
  CHECK(FirstLine(bound.result.out) == "ok bound");
  OneNetRecord(bound, "net.bind", "127.0.0.1", taken->Port(), "allow");
}

TEST_CASE("a connect waiting on a host that never answers holds no worker",
          "[escape][network]") {
  Workspace ws;
  StalledListener stalled;
  auto allowed = CountingListener::Inet(SOCK_STREAM);
  ws.WriteProfile(HostModeToml({}, {"net.connect"}, {allowed->Port(), stalled.Port()}));
  // More blocked connects than the supervisor has workers, then one that must go through.
  std::string blocked = "'" + ProbePath() + "' connect-ip 127.0.0.1 " + stalled.PortText();
  std::string script;
  for (int i = 0; i < 8; ++i) script += blocked + " & ";
  script += "sleep 1; '" + ProbePath() + "' connect-ip 127.0.0.1 " + allowed->PortText();
  auto started = std::chrono::steady_clock::now();
  auto result = ws.Run({"/bin/sh", "-c", script});
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(result.status == 0);
  CHECK(FirstLine(result.out) == "ok connected");
  // The blocked connects end with the session, not with the kernel's minutes of retries.
  CHECK(took < 20s);
  CHECK(allowed->SettledCount() == 1);
}

TEST_CASE("a unix socket of a host service is refused, the agent's own are reached",
          "[escape][network]") {
  Workspace ws;
  std::string services = ws.Root() + "/services";
  std::filesystem::create_directories(services);
  ProfileSpec spec;
  spec.read.push_back(services);
  // {tmp} is /tmp inside, and the workspace lies below /tmp: the services' read path nested in
  // a write path must still keep their sockets the host's.
  spec.write = {"{project}", "{tmp}"};
  ws.WriteProfile(ProfileToml(spec));
  auto host_stream = CountingListener::Unix(SOCK_STREAM, services + "/daemon.sock");
  auto host_datagram = CountingListener::Unix(SOCK_DGRAM, services + "/log.sock");
  auto own_stream = CountingListener::Unix(SOCK_STREAM, ws.Project("own.sock"));
  auto own_datagram = CountingListener::Unix(SOCK_DGRAM, ws.Project("own-log.sock"));
  // A link in the project to the service's socket is the service's socket.
  std::filesystem::create_symlink(services + "/daemon.sock", ws.Project("daemon.sock"));

  for (const std::string& path : {services + "/daemon.sock", ws.Project("daemon.sock")}) {
    INFO(path);
    auto run = RunRecorded(ws, ProbeCommand({"connect-unix", path}), {.quiet = false});
    CHECK(FirstLine(run.result.out) == "errno 13 EACCES");
    auto records = NetRecords(run.records, "net.connect", "", services + "/daemon.sock");
    REQUIRE(records.size() == 1);
    CHECK(records[0]["action"]["protocol"] == "unix");
    CHECK(records[0]["decision"]["verdict"] == "deny");
    CHECK(records[0]["decision"]["rule"] == "network.unix-socket");
    CHECK_THAT(run.result.err, Catch::Contains("aarm: denied net.connect " + services +
                                               "/daemon.sock (rule: network.unix-socket)"));
  }
  auto datagram = RunRecorded(ws, ProbeCommand({"unix-dgram", services + "/log.sock", "hi"}));
  CHECK(FirstLine(datagram.result.out) == "errno 13 EACCES");
  CHECK(NetRecords(datagram.records, "net.send", "", services + "/log.sock").size() == 1);

  auto own = RunRecorded(ws, ProbeCommand({"connect-unix", ws.Project("own.sock")}));
  CHECK(FirstLine(own.result.out) == "ok connected");
  auto allowed = NetRecords(own.records, "net.connect", "", ws.Project("own.sock"));
  REQUIRE(allowed.size() == 1);
  CHECK(allowed[0]["decision"]["verdict"] == "allow");
  CHECK(ws.ProbeLine({"unix-dgram", ws.Project("own-log.sock"), "hi"}) == "ok 2");

  CHECK(host_stream->Count() == 0);
  CHECK(host_datagram->Count() == 0);
  CHECK(own_stream->SettledCount() == 1);
  CHECK(own_datagram->SettledCount() == 1);
}

TEST_CASE("the agent binds and reaches its own unix socket in {tmp}", "[escape][network]") {
  for (const std::string mode : {"none", "host"}) {
    INFO(mode);
    Workspace ws;
    ws.WriteProfile(ProfileToml({}) + "\n[network]\nmode = \"" + mode + "\"\n");
    auto run = RunRecorded(ws, ProbeCommand({"unix-echo", "/tmp/echo.sock"}));
    CHECK(FirstLine(run.result.out) == "ok echo");
    auto connects = NetRecords(run.records, "net.connect", "", "/tmp/echo.sock");
    REQUIRE(connects.size() == 1);
    CHECK(connects[0]["decision"]["verdict"] == "allow");
  }
}

TEST_CASE("a unix socket bound by path is a file created, decided in every network mode",
          "[escape][network]") {
  // bind(2) makes the socket file itself: a profile that refuses a file there refuses the
  // socket too, whether or not the agent has a network of its own.
  for (const std::string mode : {"none", "proxy", "host"}) {
    INFO(mode);
    Workspace ws;
    ws.WriteProfile(ProfileToml({}) +
                    RulesToml({{"no-sock", {"file.create"}, "path", {"{project}/denied.sock"},
                                "deny"}}) +
                    "\n[network]\nmode = \"" + mode + "\"\n");
    auto refused = RunRecorded(ws, ProbeCommand({"bind-unix", ws.Project("denied.sock")}));
    CHECK(FirstLine(refused.result.out) == "errno 13 EACCES");
    CHECK_FALSE(PathExists(ws.Project("denied.sock")));
    auto record = FindAction(refused.records, "file.create", ws.Project("denied.sock"));
    REQUIRE(record);
    CHECK((*record)["decision"]["rule"] == "no-sock");
    CHECK(VerifyProblems(ws, refused.receipts).empty());

    auto bound = RunRecorded(ws, ProbeCommand({"bind-unix", ws.Project("allowed.sock")}));
    CHECK(FirstLine(bound.result.out) == "ok bound");
    CHECK(PathExists(ws.Project("allowed.sock")));
  }
}

TEST_CASE("a vsock socket, which no network namespace confines, can neither listen nor connect",
          "[escape][network]") {
  // vsock reaches the hypervisor's host whatever the namespace: its binds and connects are
  // refused in every mode, so the agent can neither open a channel out nor wait for one in.
  for (const std::string mode : {"none", "proxy", "host"}) {
    INFO(mode);
    Workspace ws;
    ws.WriteProfile(ProfileToml({}) + "\n[network]\nmode = \"" + mode + "\"\n");
    auto listening = RunRecorded(ws, ProbeCommand({"vsock", "bind", "40123"}));
    if (FirstLine(listening.result.out) == "errno 97 EAFNOSUPPORT") {
      WARN("this kernel has no vsock (socket(AF_VSOCK) is EAFNOSUPPORT)");
      return;
    }
    CHECK(FirstLine(listening.result.out) == "errno 13 EACCES");
    auto binds = NetRecords(listening.records, "net.bind", "");
    REQUIRE(binds.size() == 1);
    CHECK(binds[0]["decision"]["rule"] == "network.family");
    CHECK(binds[0]["action"]["protocol"] == "vsock");

    auto connecting =
        RunRecorded(ws, ProbeCommand({"vsock", "connect", "40123"}), {.quiet = false});
    CHECK(FirstLine(connecting.result.out) == "errno 111 ECONNREFUSED");
    CHECK_THAT(connecting.result.err,
               Catch::Contains("aarm: denied net.connect vsock (rule: network.family)"));
    auto connects = NetRecords(connecting.records, "net.connect", "");
    REQUIRE(connects.size() == 1);
    CHECK(connects[0]["decision"]["rule"] == "network.family");
    CHECK(VerifyProblems(ws, connecting.receipts).empty());
  }
}


TEST_CASE("sendmmsg sends no message to a destination it did not decide", "[escape][network]") {
  // One destination is decided per call, the first message's: a later message naming another
  // ends the batch, and the agent's retry of the rest is decided on its own.
  Workspace ws;
  auto allowed = CountingListener::Inet(SOCK_DGRAM);
  auto denied = CountingListener::Inet(SOCK_DGRAM);
  ws.WriteProfile(HostModeToml({}, {"net.send"}, {allowed->Port()}));

  auto run = RunRecorded(ws, ProbeCommand({"udp-batch", "127.0.0.1", allowed->PortText(),
                                           denied->PortText()}),
                         {.quiet = false});
  // What the kernel answers a batch whose second message fails: the one sent, its length.
  CHECK(FirstLine(run.result.out) == "ok sent=1 len=3,0 rest=EACCES");
  auto sends = NetRecords(run.records, "net.send", "127.0.0.1");
  REQUIRE(sends.size() == 2);
  CHECK(sends[0]["action"]["port"] == allowed->Port());
  CHECK(sends[0]["decision"]["verdict"] == "allow");
  CHECK(sends[1]["action"]["port"] == denied->Port());
  CHECK(sends[1]["decision"]["verdict"] == "deny");
  CHECK(sends[1]["decision"]["rule"] == "network.host-loopback");
  CHECK(sends[1]["outcome"]["errno"] == EACCES);
  CHECK_THAT(run.result.err,
             Catch::Contains("aarm: denied net.send 127.0.0.1:" + denied->PortText()));
  CHECK(VerifyProblems(ws, run.receipts).empty());

  auto reversed = RunRecorded(ws, ProbeCommand({"udp-batch", "127.0.0.1", denied->PortText(),
                                                allowed->PortText()}));
  CHECK(FirstLine(reversed.result.out) == "errno 13 EACCES");
  OneNetRecord(reversed, "net.send", "127.0.0.1", denied->Port(), "deny");
  CHECK(NetRecords(reversed.records, "net.send", "127.0.0.1").size() == 1);
  CHECK(VerifyProblems(ws, reversed.receipts).empty());

  CHECK(allowed->SettledCount() == 1);
  CHECK(denied->Count() == 0);
}

TEST_CASE("TCP Fast Open reaches only what a connect may reach", "[escape][network]") {
  // sendto, sendmsg or sendmmsg with MSG_FASTOPEN on a socket never connected connects it,
  // with the data on the SYN where the server allows; TCP_FASTOPEN_CONNECT lets connect(2)
  // hold the SYN back until the first write. Each is a connect, decided as one.
  Workspace ws;
  auto allowed = CountingListener::Inet(SOCK_STREAM);
  auto denied = CountingListener::Inet(SOCK_STREAM);
  ws.WriteProfile(HostModeToml({}, {"net.connect"}, {allowed->Port()}));
  const std::vector<std::string> ways = {"tfo-sendto", "tfo-connect", "tfo-sendmsg",
                                         "tfo-sendmmsg"};
  for (const std::string& how : ways) {
    INFO(how);
    auto refused = RunRecorded(ws, ProbeCommand({how, "127.0.0.1", denied->PortText(), "secret"}),
                               {.quiet = false});
    CHECK(FirstLine(refused.result.out) == "errno 111 ECONNREFUSED");
    Json record = OneNetRecord(refused, "net.connect", "127.0.0.1", denied->Port(), "deny");
    CHECK(record["action"]["protocol"] == "tcp");
    CHECK_THAT(refused.result.err,
               Catch::Contains("aarm: denied net.connect 127.0.0.1:" + denied->PortText()));
    CHECK(VerifyProblems(ws, refused.receipts).empty());

    auto sent = RunRecorded(ws, ProbeCommand({how, "127.0.0.1", allowed->PortText(), "secret"}));
    // sendmmsg answers the messages sent, the others the bytes.
    CHECK(FirstLine(sent.result.out) == (how == "tfo-sendmmsg" ? "ok 1" : "ok 6"));
    OneNetRecord(sent, "net.connect", "127.0.0.1", allowed->Port(), "allow");
  }
  CHECK(allowed->SettledCount() == static_cast<int>(ways.size()));
  CHECK(denied->Count() == 0);
}

TEST_CASE("a MSG_ZEROCOPY send never lends the kernel the supervisor's copy",
          "[escape][network]") {
  // The supervisor sends a copy it frees once the call returns; with MSG_ZEROCOPY the kernel
  // would read those pages after that, whatever they hold by then. The kernel posts a
  // completion for each send that lent it pages: none may come.
  Workspace ws;
  auto allowed = CountingListener::Inet(SOCK_DGRAM);
  ws.WriteProfile(HostModeToml({}, {"net.send"}, {allowed->Port()}));
  auto run =
      RunRecorded(ws, ProbeCommand({"zerocopy", "127.0.0.1", allowed->PortText(), "hello"}));
  CHECK(FirstLine(run.result.out) == "ok sent=5 completions=0");
  OneNetRecord(run, "net.send", "127.0.0.1", allowed->Port(), "allow");
  CHECK(allowed->SettledCount() == 1);
}

TEST_CASE("a descriptor number the agent does not hold passes nothing, aarm-run's least of all",
          "[escape][network]") {
  // The supervisor sends the agent's SCM_RIGHTS message itself, from a process that holds
  // descriptors of its own — the receipt file among them. Each number is the agent's: one the
  // agent has not open is EBADF, as from the kernel, whatever aarm-run holds under it.
  Workspace ws;
  ws.WriteProfile(HostModeToml({}, {}, {}));
  std::string list = ws.Project("numbers");
  std::string receipts;
  Process run(RecordingRun(ws, ProbeCommand({"pass-unheld", list}), {}, &receipts));
  REQUIRE(run.WaitForOutput("ready\n", 10s));
  std::string numbers;
  std::string receipt_fd;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(run.Pid()) + "/fd")) {
    std::string number = entry.path().filename().string();
    numbers += number + " ";
    std::error_code error;
    if (std::filesystem::read_symlink(entry.path(), error) == receipts) receipt_fd = number;
  }
  INFO("aarm-run holds " << numbers);
  REQUIRE_FALSE(receipt_fd.empty());
  WriteFileText(list + ".part", numbers);
  std::filesystem::rename(list + ".part", list);

  auto result = run.Wait(10s);
  std::string line = result.out.substr(result.out.find('\n') + 1);
  line = FirstLine(line);
  INFO(line);
  REQUIRE_THAT(line, Catch::StartsWith("ok tried="));
  std::string tried = line.substr(9, line.find(' ', 9) - 9);
  CHECK_THAT("," + tried + ",", Catch::Contains("," + receipt_fd + ","));
  long count = std::count(tried.begin(), tried.end(), ',') + 1;
  CHECK(Count(line, "ebadf") == 2 * count);  // the number alone, and after one the agent holds
  CHECK(Count(line, "went") == 0);
  CHECK(Count(line, "received") == 0);
  CHECK(result.status == 0);
  CHECK(VerifyProblems(ws, receipts).empty());
}

TEST_CASE("a send's credentials cannot claim aarm-run's pid", "[escape][network]") {
  // The kernel checks an explicit SCM_CREDENTIALS against the process that sends. The
  // supervisor sends the agent's sendmsg itself: passed through, credentials naming aarm-run's
  // pid would reach a host service as aarm-run's. Refused (EPERM) before anything is sent,
  // whichever pid they name; a send without them still goes.
  Workspace ws;
  ws.WriteProfile(HostModeToml({}, {}, {}));
  std::string pid_file = ws.Project("pid");
  std::string receipts;
  Process run(RecordingRun(ws, ProbeCommand({"pass-cred", pid_file}), {}, &receipts));
  REQUIRE(run.WaitForOutput("ready\n", 10s));
  WriteFileText(pid_file + ".part", std::to_string(run.Pid()));
  std::filesystem::rename(pid_file + ".part", pid_file);
  auto result = run.Wait(10s);
  CHECK(FirstLine(result.out.substr(result.out.find('\n') + 1)) ==
        "ok named=EPERM own=EPERM plain=sent received=1");
  CHECK(result.status == 0);
  CHECK(VerifyProblems(ws, receipts).empty());
}

// False, with the reason printed, when a probe run failed for want of IPv6 in the kernel.
bool KernelHasIpv6(const RecordedRun& run) {
  if (FirstLine(run.result.out) != "errno 97 EAFNOSUPPORT") return true;
  WARN("this kernel has no IPv6 (socket(AF_INET6) is EAFNOSUPPORT)");
  return false;
}

TEST_CASE("in mode host a routing header cannot send past the address decided",
          "[escape][network]") {
  // A routing header set with setsockopt(IPV6_RTHDR) makes the kernel send each packet of the
  // socket to the header's first segment, whatever address the supervisor decided and sent to
  // (a segment routing header needs no privilege). It would hold for the sends the supervisor
  // never sees too: write(2) on a connected socket. The filter refuses the option: the
  // datagrams and the connection reach [::1], as decided, and nothing goes to fd00::99.
  if (!HostHasIpv6Loopback()) {
    WARN("skipped: this host has no IPv6 loopback address (::1) to listen on");
    return;
  }
  Workspace ws;
  auto datagrams = CountingListener::Inet6(SOCK_DGRAM);
  auto connections = CountingListener::Inet6(SOCK_STREAM);
  ws.WriteProfile(HostModeToml({}, {"net.connect", "net.send"},
                               {datagrams->Port(), connections->Port()}, {"::1"}));
  struct Way {
    std::string how;
    const CountingListener& listener;
    std::string kind;  // what the supervisor decided
    std::string line;
  };
  const std::vector<Way> ways = {
      {"sendto", *datagrams, "net.send", "ok rthdr=EPERM sent=2"},
      {"write", *datagrams, "net.connect", "ok rthdr=EPERM sent=2"},
      {"tcp", *connections, "net.connect", "ok rthdr=EPERM connected"},
  };
  for (const auto& way : ways) {
    INFO(way.how);
    auto run = RunRecorded(ws, ProbeCommand({"rthdr-send", way.how, way.listener.PortText(),
                                             "fd00::99", "hi"}));
    CHECK(FirstLine(run.result.out) == way.line);
    OneNetRecord(run, way.kind, "::1", way.listener.Port(), "allow");
    CHECK(NetRecords(run.records, way.kind, "fd00::99").empty());
    CHECK(VerifyProblems(ws, run.receipts).empty());
  }
  CHECK(datagrams->SettledCount() == 2);
  CHECK(connections->SettledCount() == 1);
}

TEST_CASE("a routing header is refused in every mode, however the option is written",
          "[escape][network][seccomp]") {
  // Inside the sandbox's own namespace a routing header has nowhere to go, and nothing needs
  // one: the filter refuses the three options that set one in every mode, comparing the low
  // 32 bits the kernel reads. Other IPv6 options still work.
  for (const std::string mode : {"none", "proxy", "host"}) {
    Workspace ws;
    ws.WriteProfile(ProfileToml({}) + "\n[network]\nmode = \"" + mode + "\"\n");
    for (int option : {IPV6_RTHDR, IPV6_2292RTHDR, IPV6_2292PKTOPTIONS}) {
      for (const std::string high : {"0", "1"}) {
        INFO(mode << ": option " << option << ", high bits " << high);
        auto run = RunRecorded(ws, ProbeCommand({"setsockopt-ipv6", std::to_string(option), high}));
        if (!KernelHasIpv6(run)) return;
        CHECK(FirstLine(run.result.out) == "errno 1 EPERM");
        CHECK(run.result.status == 0);
      }
    }
    for (const std::string high : {"0", "1"}) {
      INFO(mode << ": IPV6_V6ONLY, high bits " << high);
      CHECK(ws.ProbeLine({"setsockopt-ipv6", std::to_string(IPV6_V6ONLY), high}) == "ok set");
    }
  }
}

TEST_CASE("a send's control data cannot route it elsewhere or borrow aarm-run's privileges",
          "[escape][network]") {
  // In mode host the supervisor sends the agent's sendmsg itself, control data included. A
  // routing header there would send the datagram past the address decided: refused (EPERM)
  // before anything is decided or sent. What the kernel grants only with CAP_NET_RAW or
  // CAP_NET_ADMIN (hop-by-hop and destination options, IPv4 options with a source route, a
  // firewall mark) is judged on the capabilities of the thread that sends, which holds none
  // even when aarm-run runs as root: decided, then EPERM from the kernel, as for the agent's
  // own call. Other control messages still go.
  bool ipv6 = HostHasIpv6Loopback();
  if (!ipv6) WARN("the IPv6 cases are skipped: this host has no IPv6 loopback address (::1)");
  Workspace ws;
  auto v4 = CountingListener::Inet(SOCK_DGRAM);
  auto v6 = ipv6 ? CountingListener::Inet6(SOCK_DGRAM) : nullptr;
  std::vector<int> ports = {v4->Port()};
  if (v6) ports.push_back(v6->Port());
  ws.WriteProfile(HostModeToml({}, {"net.send"}, ports, {"127.0.0.1", "::1"}));
  struct Control {
    bool v6;
    int level;
    int type;
    std::string data;  // hex, or rt2:ADDRESS for a type 2 routing header to ADDRESS
  };
  auto send = [&](const Control& control) {
    return RunRecorded(ws, ProbeCommand({"udp-cmsg", control.v6 ? "::1" : "127.0.0.1",
                                         (control.v6 ? v6 : v4)->PortText(),
                                         std::to_string(control.level),
                                         std::to_string(control.type), control.data, "hi"}));
  };
  auto record = [&](const RecordedRun& run, const Control& control) {
    return OneNetRecord(run, "net.send", control.v6 ? "::1" : "127.0.0.1",
                        (control.v6 ? v6 : v4)->Port(), "allow");
  };

  for (int type : {IPV6_RTHDR, IPV6_2292RTHDR}) {
    if (!v6) break;
    INFO("routing header, type " << type);
    auto run = send({true, IPPROTO_IPV6, type, "rt2:fd00::99"});
    CHECK(FirstLine(run.result.out) == "errno 1 EPERM");
    CHECK(ActionRecords(run.records, "net.send").empty());
    CHECK(VerifyProblems(ws, run.receipts).empty());
  }
  const std::string no_options = "0000010400000000";  // one PadN of 4 bytes
  const std::string refused = "errno 1 EPERM";
  const std::vector<std::pair<Control, std::string>> decided = {
      {{true, IPPROTO_IPV6, IPV6_HOPOPTS, no_options}, refused},
      {{true, IPPROTO_IPV6, IPV6_2292HOPOPTS, no_options}, refused},
      {{true, IPPROTO_IPV6, IPV6_DSTOPTS, no_options}, refused},
      {{true, IPPROTO_IPV6, IPV6_2292DSTOPTS, no_options}, refused},
      {{true, IPPROTO_IPV6, IPV6_RTHDRDSTOPTS, no_options}, refused},
      // A loose source route via 10.0.0.99.
      {{false, IPPROTO_IP, IP_RETOPTS, "018307040a000063"}, refused},
      {{false, SOL_SOCKET, SO_MARK, "07000000"}, refused},
      {{true, IPPROTO_IPV6, IPV6_HOPLIMIT, "05000000"}, "ok 2"},
      {{false, IPPROTO_IP, IP_TTL, "05000000"}, "ok 2"},
  };
  for (const auto& [control, line] : decided) {
    if (control.v6 && !v6) continue;
    INFO("level " << control.level << ", type " << control.type);
    auto run = send(control);
    CHECK(FirstLine(run.result.out) == line);
    Json sent = record(run, control);
    if (line == refused) CHECK(sent["outcome"]["errno"] == EPERM);
  }
  CHECK(v4->SettledCount() == 1);
  if (v6) CHECK(v6->SettledCount() == 1);
}

}  // namespace
}  // namespace aarm::testing
