// Mode proxy: the transparent listener on the sandbox's loopback (127.0.0.1:15001, [::1]:15001)
// takes only the connections the supervisor carries there. The agent connecting to it itself —
// in any spelling of the address, by Fast Open, or by rewriting a connect's port while the
// supervisor decides it — would fill its accept queue, where redirected connections wait.
#include <catch2/catch.hpp>

#include <cerrno>

#include "support/loopback_servers.hpp"
#include "support/receipts.hpp"
#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

constexpr int kTransparentPort = 15001;

struct ListenerWorld {
  Workspace ws;
  LoopbackHttpServer web{"hello\n"};
  std::string port = std::to_string(web.Port());

  ListenerWorld() {
    ws.WriteProfile(ProfileToml({}) + "\n[network]\nmode = \"proxy\"\nallow = [\"svc.test:" +
                    port + "\"]\nhosts = { \"svc.test\" = \"127.0.0.1\" }\n");
  }

  RecordedRun Probe(const std::vector<std::string>& args) const {
    std::vector<std::string> command = {ProbePath()};
    command.insert(command.end(), args.begin(), args.end());
    return RunRecorded(ws, command, {.quiet = false});
  }
};

bool HostHasIpv6() { return PathExists("/proc/net/if_inet6"); }

// The one net.connect of `run`: refused under network.transparent-port, to `address`.
void CheckRefusal(const ListenerWorld& world, const RecordedRun& run, const std::string& address) {
  auto records = ActionRecords(run.records, "net.connect");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["action"]["address"] == address);
  CHECK(records[0]["action"]["port"] == kTransparentPort);
  CHECK(records[0]["action"]["protocol"] == "tcp");
  CHECK(records[0]["decision"]["verdict"] == "deny");
  CHECK(records[0]["decision"]["rule"] == "network.transparent-port");
  CHECK(records[0]["outcome"]["errno"] == ECONNREFUSED);
  CHECK_THAT(run.result.err, Catch::Contains("(rule: network.transparent-port)"));
  CHECK(VerifyProblems(world.ws, run.receipts).empty());
}

TEST_CASE("the agent cannot connect to the transparent listener itself",
          "[escape][network][proxy]") {
  ListenerWorld world;
  struct Spelling {
    std::string written;
    std::string recorded;
  };
  std::vector<Spelling> spellings = {{"127.0.0.1", "127.0.0.1"}, {"0.0.0.0", "127.0.0.1"}};
  if (HostHasIpv6()) {
    spellings.push_back({"::ffff:127.0.0.1", "127.0.0.1"});
    spellings.push_back({"::1", "::1"});
    spellings.push_back({"::", "::1"});
  }
  for (const auto& [written, recorded] : spellings) {
    for (const std::string mode : {"connect-ip", "connect-ip-nonblock"}) {
      INFO(mode << " " << written);
      auto run = world.Probe({mode, written, std::to_string(kTransparentPort)});
      CHECK(FirstLine(run.result.out) == "errno 111 ECONNREFUSED");
      CheckRefusal(world, run, recorded);
    }
  }
  auto run = world.Probe({"connect-ip", "127.0.0.1", std::to_string(kTransparentPort)});
  CHECK_THAT(run.result.err, Catch::Contains("aarm: denied net.connect 127.0.0.1:15001 (rule: "
                                             "network.transparent-port)"));

  // The connections the supervisor redirects there still arrive.
  auto redirected = world.Probe({"http", "198.51.100.7", world.port, "svc.test"});
  CHECK(FirstLine(redirected.result.out) == "ok HTTP/1.1 200 OK");
  CHECK(world.web.Connections() == 1);
  CHECK(VerifyProblems(world.ws, redirected.receipts).empty());
}

TEST_CASE("a Fast Open connect cannot reach the transparent listener",
          "[escape][network][proxy]") {
  // sendto, sendmsg or sendmmsg with MSG_FASTOPEN connects an unconnected TCP socket;
  // TCP_FASTOPEN_CONNECT makes connect(2) wait for the first write to do it. The filter
  // notifies sendmsg and sendmmsg in the sandbox only with that flag, the supervisor decides
  // them as the connect they are.
  ListenerWorld world;
  for (const std::string how : {"tfo-sendto", "tfo-connect", "tfo-sendmsg", "tfo-sendmmsg"}) {
    INFO(how);
    auto run = world.Probe({how, "127.0.0.1", std::to_string(kTransparentPort), "x"});
    CHECK(FirstLine(run.result.out) == "errno 111 ECONNREFUSED");
    CheckRefusal(world, run, "127.0.0.1");
  }
  // The sandbox's own proxy is still reached that way (one byte, or one message).
  for (const std::string how : {"tfo-sendto", "tfo-sendmsg", "tfo-sendmmsg"}) {
    INFO(how);
    auto proxy = world.Probe({how, "127.0.0.1", "3128", "x"});
    CHECK(FirstLine(proxy.result.out) == "ok 1");
    CHECK(ActionRecords(proxy.records, "net.connect").empty());
  }
}

TEST_CASE("a thread rewriting a connect's port never reaches the transparent listener",
          "[escape][network][proxy]") {
  // The port a connect goes to is read once: the supervisor connects to what it read, so a
  // port written while it decides is not read again by the kernel.
  ListenerWorld world;
  auto run = world.Probe(
      {"connect-race", "127.0.0.1", "3128", std::to_string(kTransparentPort), "2000"});
  INFO(run.result.out << run.result.err);
  CHECK(run.result.status == 0);
  const std::string line = FirstLine(run.result.out);
  CHECK(line.rfind("ok went=", 0) == 0);
  CHECK(line.find("ok went=0 ") == std::string::npos);  // the proxy itself was reached
  CHECK(line.find(" reached_denied=0") != std::string::npos);
  for (const Json& record : ActionRecords(run.records, "net.connect")) {
    CHECK(record["decision"]["rule"] == "network.transparent-port");
  }
  CHECK(VerifyProblems(world.ws, run.receipts).empty());
}

}  // namespace
}  // namespace aarm::testing
