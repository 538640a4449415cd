// Mode proxy, for a program that resolves a name inside the sandbox and then connects to the
// address it got on a port of its own choosing: the supervisor decides the name the sandbox's
// resolver answered that address for before it redirects anything, so a name allowed on one
// port is no way to reach the same host on another. The servers are real ones on the host's
// loopback, named through `[network] hosts`.
#include <catch2/catch.hpp>

#include "support/loopback_servers.hpp"
#include "support/receipts.hpp"
#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

struct NamedPortsWorld {
  Workspace ws;
  LoopbackHttpServer allowed_port{"allowed port\n"};
  LoopbackHttpServer other_port{"other port\n"};

  NamedPortsWorld() {
    ws.WriteProfile(ProfileToml({}) + "\n[network]\nmode = \"proxy\"\nallow = [\"allowed.test:" +
                    std::to_string(allowed_port.Port()) +
                    "\"]\nhosts = { \"allowed.test\" = \"127.0.0.1\" }\n");
  }

  // getent (getaddrinfo) looks allowed.test up inside the sandbox and prints the address
  // answered; the probe then connects to that address on `port` and sends a request for
  // allowed.test. Its first line is the address, its second what the probe got.
  RecordedRun ResolveThenGet(int port) const {
    const std::string script =
        "address=$(/usr/bin/getent ahostsv4 allowed.test | { read first rest; echo \"$first\"; })"
        " && echo \"$address\" && exec \"$0\" http \"$address\" \"$1\" allowed.test";
    return RunRecorded(ws, {"/bin/sh", "-c", script, ProbePath(), std::to_string(port)},
                       {.quiet = false});
  }
};

std::string SecondLine(const std::string& text) {
  const size_t end = text.find('\n');
  return end == std::string::npos ? std::string() : FirstLine(text.substr(end + 1));
}

// A stand-in the sandbox's resolver answers for a name pinned to the host's loopback.
bool IsStandIn(const std::string& address) {
  return address.rfind("198.18.", 0) == 0 || address.rfind("198.19.", 0) == 0;
}

TEST_CASE("a name allowed on one port is refused at connect on another, before the redirect",
          "[escape][network][proxy]") {
  NamedPortsWorld world;
  const std::string other = std::to_string(world.other_port.Port());

  auto refused = world.ResolveThenGet(world.other_port.Port());
  INFO(refused.result.out << refused.result.err);
  CHECK(IsStandIn(FirstLine(refused.result.out)));
  // connect() itself fails, so no byte was sent. Decided only by the transparent listener,
  // the connect would succeed and the request be reset instead (ECONNRESET, receipt errno 13).
  CHECK(SecondLine(refused.result.out) == "errno 111 ECONNREFUSED");
  CHECK(world.other_port.Connections() == 0);
  CHECK(world.allowed_port.Connections() == 0);

  auto records = ActionRecords(refused.records, "net.connect");
  REQUIRE(records.size() == 1);
  const Json& record = records[0];
  CHECK(record["action"]["host"] == "allowed.test");
  CHECK(record["action"]["port"] == world.other_port.Port());
  CHECK(record["action"]["protocol"] == "tcp");
  CHECK(record["action"].value("address", "").empty());  // decided by the name, not its stand-in
  CHECK_THAT(record["action"]["process"].value("exe", ""), Catch::EndsWith("/probe"));
  CHECK(record["decision"]["verdict"] == "deny");
  CHECK(record["decision"]["rule"] == "network.default");
  CHECK(record["outcome"]["errno"] == ECONNREFUSED);
  CHECK_FALSE(record["outcome"].value("closed", false));
  CHECK_THAT(refused.result.err, Catch::Contains("aarm: denied net.connect allowed.test:" + other +
                                                 " (rule: network.default)"));
  CHECK(VerifyProblems(world.ws, refused.receipts).empty());

  auto reached = world.ResolveThenGet(world.allowed_port.Port());
  INFO(reached.result.out << reached.result.err);
  CHECK(IsStandIn(FirstLine(reached.result.out)));
  CHECK(SecondLine(reached.result.out) == "ok HTTP/1.1 200 OK");
  CHECK(world.allowed_port.Connections() == 1);
  CHECK(world.other_port.Connections() == 0);
  bool allowed = false;
  for (const Json& decision : ActionRecords(reached.records, "net.connect")) {
    if (decision["outcome"].value("closed", false)) continue;
    CHECK(decision["action"]["host"] == "allowed.test");
    CHECK(decision["action"]["port"] == world.allowed_port.Port());
    allowed = decision["decision"]["verdict"] == "allow";
  }
  CHECK(allowed);
  CHECK(VerifyProblems(world.ws, reached.receipts).empty());
}

}  // namespace
}  // namespace aarm::testing
