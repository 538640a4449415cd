// Mode proxy, for a program that ignores the proxy variables and calls connect() on an address
// itself: the supervisor carries the agent's socket to the sandbox's transparent listener, and
// the network service decides by the name the first bytes give — so a bare address, however
// written, is no way around the proxy. The servers are real ones on the host's loopback,
// named through `[network] hosts`.
#include <catch2/catch.hpp>

#include "support/loopback_servers.hpp"
#include "support/receipts.hpp"
#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

struct RedirectWorld {
  Workspace ws;
  LoopbackHttpServer web{"hello\n"};
  std::string port = std::to_string(web.Port());

  RedirectWorld() {
    ws.WriteProfile(ProfileToml({}) + "\n[network]\nmode = \"proxy\"\nallow = [\"svc.test:" +
                    port + "\"]\nhosts = { \"svc.test\" = \"127.0.0.1\" }\n");
  }

  RecordedRun Probe(const std::vector<std::string>& args) const {
    std::vector<std::string> command = {ProbePath()};
    command.insert(command.end(), args.begin(), args.end());
    return RunRecorded(ws, command);
  }
};

// The decision on a connection to `host` (not the record it leaves when it closes).
std::optional<Json> ConnectDecision(const std::vector<Json>& records, const std::string& host) {
  for (const Json& record : ActionRecords(records, "net.connect")) {
    if (record["action"].value("host", "") == host && !record["outcome"].value("closed", false)) {
      return record;
    }
  }
  return std::nullopt;
}

// The sandbox's loopback has ::1 where the kernel has IPv6 at all.
bool HostHasIpv6() { return PathExists("/proc/net/if_inet6"); }

TEST_CASE("a connect to a bare address reaches only what the name it sends is allowed",
          "[escape][network][proxy]") {
  RedirectWorld world;
  std::vector<std::string> addresses = {"198.51.100.7", "::ffff:198.51.100.7"};
  if (HostHasIpv6()) addresses.push_back("2001:db8::7");
  for (const auto& address : addresses) {
    INFO(address);
    auto run = world.Probe({"http", address, world.port, "svc.test"});
    CHECK(FirstLine(run.result.out) == "ok HTTP/1.1 200 OK");
    auto decision = ConnectDecision(run.records, "svc.test");
    REQUIRE(decision);
    CHECK((*decision)["decision"]["verdict"] == "allow");
    CHECK((*decision)["action"]["port"] == world.web.Port());
    // The acting process came with the redirect: the probe, not the proxy.
    CHECK_THAT((*decision)["action"]["process"].value("exe", ""), Catch::EndsWith("/probe"));
    CHECK(VerifyProblems(world.ws, run.receipts).empty());
  }
  CHECK(world.web.Connections() == static_cast<int>(addresses.size()));

  auto refused = world.Probe({"http", "198.51.100.7", world.port, "other.test"});
  CHECK_THAT(FirstLine(refused.result.out), Catch::StartsWith("errno "));
  auto decision = ConnectDecision(refused.records, "other.test");
  REQUIRE(decision);
  CHECK((*decision)["decision"]["verdict"] == "deny");
  CHECK(world.web.Connections() == static_cast<int>(addresses.size()));
}

TEST_CASE("an IPv6 address is refused where the sandbox has no IPv6 to carry it",
          "[escape][network][proxy]") {
  if (HostHasIpv6()) {
    WARN("this kernel has IPv6: the sandbox carries IPv6 connections");
    return;
  }
  RedirectWorld world;
  auto run = world.Probe({"connect-ip", "2001:db8::7", world.port});
  CHECK(FirstLine(run.result.out) == "errno 101 ENETUNREACH");
  auto records = ActionRecords(run.records, "net.connect");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["decision"]["rule"] == "network.ipv6");
}

TEST_CASE("a non-blocking connect to an address is carried like a blocking one",
          "[escape][network][proxy]") {
  RedirectWorld world;
  auto run = world.Probe({"connect-ip-nonblock", "198.51.100.7", world.port});
  std::string line = FirstLine(run.result.out);
  // Not ENETUNREACH: the socket went to the listener, whatever its O_NONBLOCK.
  CHECK((line == "ok connected" || line == "errno 115 EINPROGRESS"));
}

TEST_CASE("UDP to an outside address has no way out in proxy mode", "[escape][network][proxy]") {
  RedirectWorld world;
  auto run = world.Probe({"udp-connect", "198.51.100.1", "53"});
  CHECK(FirstLine(run.result.out) == "errno 101 ENETUNREACH");
  auto records = ActionRecords(run.records, "net.connect");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["action"]["protocol"] == "udp");
  CHECK(records[0]["action"]["address"] == "198.51.100.1");
  CHECK(records[0]["decision"]["verdict"] == "deny");
}

TEST_CASE("the sandbox's own proxy is reached on its loopback without a redirect",
          "[escape][network][proxy]") {
  RedirectWorld world;
  auto run = world.Probe({"connect-ip", "127.0.0.1", "3128"});
  CHECK(FirstLine(run.result.out) == "ok connected");
  for (const Json& record : ActionRecords(run.records, "net.connect")) {
    CHECK(record["action"].value("address", "") != "127.0.0.1");
  }
}

TEST_CASE("a thread rewriting the address of a connect to the proxy reaches nothing else",
          "[escape][network][proxy]") {
  // The kernel completes a connect to the proxy once the supervisor has bound the socket and
  // announced its port: a port written meanwhile must still reach only the sandbox's loopback,
  // never the host's server on that port.
  RedirectWorld world;
  auto run = world.Probe({"connect-race", "127.0.0.1", "3128", world.port, "2000"});
  INFO(run.result.out << run.result.err);
  CHECK(run.result.status == 0);
  const std::string line = FirstLine(run.result.out);
  CHECK(line.rfind("ok went=", 0) == 0);
  CHECK(line.find(" reached_denied=0") != std::string::npos);
  CHECK(line.find("ok went=0 ") == std::string::npos);  // the proxy itself was reached
  CHECK(world.web.Connections() == 0);
  CHECK(VerifyProblems(world.ws, run.receipts).empty());
}

}  // namespace
}  // namespace aarm::testing
