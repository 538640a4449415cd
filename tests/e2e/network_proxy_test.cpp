// Network in proxy mode, end to end: real servers on the host's loopback, named by
// `[network] hosts`, reached from inside the sandbox by curl, python and git through the HTTP
// proxy, the SOCKS5 proxy and the transparent path; what the agent got, what the servers saw,
// the receipts, the denial lines, and that the receipts verify.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support/loopback_servers.hpp"
#include "support/receipts.hpp"
#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

struct NetworkWorld {
  Workspace ws;
  LoopbackHttpServer web{"hello from the host\n"};
  std::string allowed;  // "allowed.test:PORT"
  std::string denied;   // "denied.test:PORT"

  // `extra` goes into [network] after allow and hosts.
  explicit NetworkWorld(const std::string& extra_allow = "", const std::string& rules = "") {
    allowed = "allowed.test:" + std::to_string(web.Port());
    denied = "denied.test:" + std::to_string(web.Port());
    std::string allow = "\"" + allowed + "\"";
    if (!extra_allow.empty()) allow += ", " + extra_allow;
    ws.WriteProfile(ProfileToml({}) + "\n[network]\nmode = \"proxy\"\nallow = [" + allow +
                    "]\nhosts = { \"allowed.test\" = \"127.0.0.1\", \"denied.test\" = "
                    "\"127.0.0.1\", \"tls.test\" = \"127.0.0.1\" }\n" + rules);
  }

  RecordedRun Curl(std::vector<std::string> args, bool quiet = false) const {
    std::vector<std::string> command = {"/usr/bin/curl", "-sS", "--max-time", "20"};
    command.insert(command.end(), args.begin(), args.end());
    return RunRecorded(ws, command, {.quiet = quiet});
  }
};

std::vector<Json> ConnectRecords(const std::vector<Json>& records, const std::string& host) {
  std::vector<Json> found;
  for (const Json& record : ActionRecords(records, "net.connect")) {
    if (record["action"].value("host", "") == host) found.push_back(record);
  }
  return found;
}

// The decision record of a connection (not the one it leaves when it closes).
std::optional<Json> DecisionRecord(const std::vector<Json>& records, const std::string& host) {
  for (const Json& record : ConnectRecords(records, host)) {
    if (!record["outcome"].value("closed", false)) return record;
  }
  return std::nullopt;
}

std::optional<Json> ClosingRecord(const std::vector<Json>& records, const std::string& host) {
  for (const Json& record : ConnectRecords(records, host)) {
    if (record["outcome"].value("closed", false)) return record;
  }
  return std::nullopt;
}

void ExpectAllowedConnection(const RecordedRun& run, const std::string& host, int port) {
  auto decision = DecisionRecord(run.records, host);
  REQUIRE(decision);
  CHECK((*decision)["decision"]["verdict"] == "allow");
  CHECK((*decision)["action"]["port"] == port);
  CHECK((*decision)["action"]["address"] == "127.0.0.1");
  CHECK((*decision)["action"]["protocol"] == "tcp");
  // The process that connected, whichever way it came (proxy, SOCKS or transparent).
  CHECK((*decision)["action"]["process"]["pid"].get<int>() > 0);
  CHECK_FALSE((*decision)["action"]["process"]["exe"].get<std::string>().empty());
  auto closing = ClosingRecord(run.records, host);
  REQUIRE(closing);
  CHECK((*closing)["outcome"]["bytes_down"].get<uint64_t>() > 0);
  CHECK((*closing)["outcome"]["bytes_up"].get<uint64_t>() > 0);
}

void ExpectDeniedConnection(const RecordedRun& run, const std::string& host,
                            const std::string& rule) {
  auto decision = DecisionRecord(run.records, host);
  REQUIRE(decision);
  CHECK((*decision)["decision"]["verdict"] == "deny");
  CHECK((*decision)["decision"]["rule"] == rule);
  CHECK_FALSE(ClosingRecord(run.records, host));
}

}  // namespace

TEST_CASE("curl through the HTTP proxy reaches an allowed name, and the connection is recorded",
          "[e2e][network]") {
  NetworkWorld world;
  auto run = world.Curl({"-f", "http://" + world.allowed + "/page"});
  INFO(run.result.err);
  CHECK(run.result.status == 0);
  CHECK(run.result.out == "hello from the host\n");
  CHECK(world.web.HostsSeen() == std::vector<std::string>{world.allowed});
  ExpectAllowedConnection(run, "allowed.test", world.web.Port());
  CHECK(VerifyProblems(world.ws, run.receipts).empty());
  // aarm show prints what the closing record says the connection carried.
  auto closing = ClosingRecord(run.records, "allowed.test");
  REQUIRE(closing);
  auto shown = RunAarm(world.ws, {"show", run.receipts});
  CHECK(shown.status == 0);
  CHECK_THAT(shown.out, Catch::Contains(
                            "closed, " + std::to_string((*closing)["outcome"]["bytes_up"].get<uint64_t>()) +
                            " bytes up, " +
                            std::to_string((*closing)["outcome"]["bytes_down"].get<uint64_t>()) +
                            " down"));
}

TEST_CASE("a name no rule allows gets 403 from the proxy, is never dialled, and is recorded",
          "[e2e][network]") {
  NetworkWorld world;
  auto run = world.Curl({"-f", "http://" + world.denied + "/page"});
  CHECK(run.result.status == 22);  // curl -f: the HTTP error
  CHECK(run.result.err.find("aarm: denied net.connect " + world.denied +
                            " (rule: network.default)") != std::string::npos);
  CHECK(world.web.Connections() == 0);
  ExpectDeniedConnection(run, "denied.test", "network.default");
  CHECK(VerifyProblems(world.ws, run.receipts).empty());

  SECTION("-q silences the line, not the receipt") {
    auto quiet = world.Curl({"-f", "http://" + world.denied + "/page"}, true);
    CHECK(quiet.result.err.find("aarm: denied") == std::string::npos);
    ExpectDeniedConnection(quiet, "denied.test", "network.default");
  }
}

TEST_CASE("HTTPS through CONNECT reaches an allowed TLS server", "[e2e][network]") {
  NetworkWorld world;
  LoopbackTlsServer tls(world.ws.Root(), "tls.test");
  std::string target = "tls.test:" + std::to_string(tls.Port());
  // tls.test is pinned; allow it by name on its port.
  std::string profile = ReadFileText(world.ws.ProfilePath());
  profile.replace(profile.find("allow = ["), 9, "allow = [\"" + target + "\", ");
  world.ws.WriteProfile(profile);
  // The certificate lives in the workspace root, outside the view: hand it in through the project.
  WriteFileText(world.ws.Project("ca.pem"), ReadFileText(tls.CertificatePath()));
  auto run = world.Curl({"-f", "--cacert", world.ws.Project("ca.pem"), "https://" + target + "/"});
  INFO(run.result.err);
  CHECK(run.result.status == 0);
  CHECK(run.result.out.find("s_server") != std::string::npos);
  ExpectAllowedConnection(run, "tls.test", tls.Port());
  CHECK(VerifyProblems(world.ws, run.receipts).empty());
}

TEST_CASE("a CONNECT to an allowed name whose TLS SNI names another host is refused",
          "[e2e][network]") {
  NetworkWorld world;
  LoopbackTlsServer tls(world.ws.Root(), "tls.test");
  std::string profile = ReadFileText(world.ws.ProfilePath());
  std::string fronted = "allowed.test:" + std::to_string(tls.Port());
  profile.replace(profile.find("allow = ["), 9, "allow = [\"" + fronted + "\", ");
  world.ws.WriteProfile(profile);
  // curl asks the proxy for allowed.test, then speaks TLS naming denied.test inside the tunnel.
  auto run = world.Curl({"-k", "--connect-to", "denied.test:" + std::to_string(tls.Port()) +
                                                   ":allowed.test:" + std::to_string(tls.Port()),
                         "--proxytunnel", "https://denied.test:" + std::to_string(tls.Port()) + "/"});
  CHECK(run.result.status != 0);
  bool fronting_denied = false;
  for (const Json& record : ActionRecords(run.records, "net.connect")) {
    if (record["decision"]["verdict"] == "deny" &&
        record["decision"]["rule"] == "network.fronting") {
      fronting_denied = true;
    }
  }
  CHECK(fronting_denied);
  CHECK(VerifyProblems(world.ws, run.receipts).empty());
}

TEST_CASE("the SOCKS5 proxy decides by the name it is given", "[e2e][network]") {
  NetworkWorld world;
  auto allowed = world.Curl({"-f", "--proxy", "socks5h://127.0.0.1:1080",
                             "http://" + world.allowed + "/"});
  INFO(allowed.result.err);
  CHECK(allowed.result.status == 0);
  CHECK(allowed.result.out == "hello from the host\n");
  ExpectAllowedConnection(allowed, "allowed.test", world.web.Port());

  auto denied = world.Curl({"-f", "--proxy", "socks5h://127.0.0.1:1080",
                            "http://" + world.denied + "/"});
  CHECK(denied.result.status != 0);
  CHECK(world.web.Connections() == 1);
  ExpectDeniedConnection(denied, "denied.test", "network.default");
  CHECK(VerifyProblems(world.ws, denied.receipts).empty());
}

TEST_CASE("a program ignoring the proxy variables is caught at connect and decided by name",
          "[e2e][network]") {
  NetworkWorld world;
  auto allowed = world.Curl({"-f", "--noproxy", "*", "http://" + world.allowed + "/"});
  INFO(allowed.result.err);
  CHECK(allowed.result.status == 0);
  CHECK(allowed.result.out == "hello from the host\n");
  ExpectAllowedConnection(allowed, "allowed.test", world.web.Port());
  CHECK(VerifyProblems(world.ws, allowed.receipts).empty());

  auto denied = world.Curl({"-f", "--noproxy", "*", "http://" + world.denied + "/"});
  CHECK(denied.result.status != 0);
  CHECK(world.web.Connections() == 1);
  ExpectDeniedConnection(denied, "denied.test", "network.default");
}

TEST_CASE("python's urllib goes through the proxy", "[e2e][network]") {
  NetworkWorld world;
  std::string script = "import urllib.request, sys\n"
                       "try:\n"
                       "    print(urllib.request.urlopen(sys.argv[1], timeout=20).read().decode(), end='')\n"
                       "except Exception as e:\n"
                       "    print('failed', getattr(e, 'code', e))\n";
  auto allowed = RunRecorded(world.ws, {"/usr/bin/python3", "-c", script,
                                        "http://" + world.allowed + "/"});
  CHECK(allowed.result.out == "hello from the host\n");
  ExpectAllowedConnection(allowed, "allowed.test", world.web.Port());
  auto denied = RunRecorded(world.ws, {"/usr/bin/python3", "-c", script,
                                       "http://" + world.denied + "/"});
  CHECK(denied.result.out == "failed 403\n");
  ExpectDeniedConnection(denied, "denied.test", "network.default");
}

TEST_CASE("git clones over HTTP from an allowed host", "[e2e][network]") {
  Workspace scratch;
  // A bare repository served by the dumb HTTP protocol from the host.
  std::string bare = scratch.Root() + "/served/repo.git";
  std::string source = scratch.Root() + "/source";
  ProcessOptions make;
  make.env = scratch.Environment();
  make.argv = {"/bin/sh", "-c",
               "set -e; git init -q " + source + " && cd " + source +
                   " && echo cloned > file.txt && git add file.txt && git -c user.name=t "
                   "-c user.email=t@t commit -qm one && git clone -q --bare " + source + " " +
                   bare + " && cd " + bare + " && git update-server-info"};
  REQUIRE(RunProcess(make).status == 0);
  int port = FreeLoopbackPort();
  ProcessOptions serve;
  serve.env = scratch.Environment();
  serve.argv = {"/usr/bin/python3", "-u", "-m", "http.server", "--bind", "127.0.0.1",
                std::to_string(port), "--directory", scratch.Root() + "/served"};
  Process server(serve);
  REQUIRE(server.WaitForOutput("Serving HTTP", std::chrono::milliseconds(10000)));

  NetworkWorld world("\"git.test:" + std::to_string(port) + "\"");
  std::string profile = ReadFileText(world.ws.ProfilePath());
  profile.replace(profile.find("hosts = { "), 10, "hosts = { \"git.test\" = \"127.0.0.1\", ");
  world.ws.WriteProfile(profile);
  auto run = RunRecorded(world.ws, {"/usr/bin/git", "clone", "-q",
                                    "http://git.test:" + std::to_string(port) + "/repo.git",
                                    world.ws.Project("clone")});
  INFO(run.result.err);
  CHECK(run.result.status == 0);
  CHECK(ReadFileText(world.ws.Project("clone/file.txt")) == "cloned\n");
  CHECK(DecisionRecord(run.records, "git.test"));
  CHECK(VerifyProblems(world.ws, run.receipts).empty());
}

TEST_CASE("the sandbox's resolver answers only names the policy could allow", "[e2e][network]") {
  NetworkWorld world;
  auto allowed = world.ws.Run({"/usr/bin/getent", "ahostsv4", "allowed.test"});
  CHECK(allowed.status == 0);
  auto denied = world.ws.Run({"/usr/bin/getent", "ahostsv4", "secret-in-a-label.denied.test"});
  CHECK(denied.status == 2);  // getent: not found
  auto unknown = world.ws.Run({"/usr/bin/getent", "ahostsv4", "exfil.example.com"});
  CHECK(unknown.status == 2);
}

TEST_CASE("a name resolving to the host's loopback is refused unless pinned", "[e2e][network]") {
  // localhost resolves to 127.0.0.1 on the host, like a rebinding name would.
  NetworkWorld world;
  std::string profile = ReadFileText(world.ws.ProfilePath());
  std::string target = "localhost:" + std::to_string(world.web.Port());
  profile.replace(profile.find("allow = ["), 9, "allow = [\"" + target + "\", ");
  world.ws.WriteProfile(profile);
  // NO_PROXY names localhost: --noproxy '' sends it to the proxy all the same.
  auto run = world.Curl({"-f", "--noproxy", "", "--proxy", "http://127.0.0.1:3128",
                         "http://" + target + "/"});
  CHECK(run.result.status != 0);
  CHECK(world.web.Connections() == 0);
  ExpectDeniedConnection(run, "localhost", "network.host-loopback");
}

TEST_CASE("cloud metadata is out of reach by proxy, by address and by UDP", "[e2e][network]") {
  NetworkWorld world;
  auto proxied = world.Curl({"-f", "http://169.254.169.254/latest/meta-data/"});
  CHECK(proxied.result.status != 0);
  bool recorded = false;
  for (const Json& record : ActionRecords(proxied.records, "net.connect")) {
    if (record["action"].value("address", "") == "169.254.169.254") {
      CHECK(record["decision"]["verdict"] == "deny");
      CHECK(record["decision"]["rule"] == "network.metadata");
      recorded = true;
    }
  }
  CHECK(recorded);
  auto raw = RunRecorded(world.ws, {ProbePath(), "connect", "169.254.169.254", "80"});
  CHECK(FirstLine(raw.result.out).rfind("errno", 0) == 0);
  CHECK(VerifyProblems(world.ws, raw.receipts).empty());
  // The sandbox has no route but its loopback: a datagram has no way there either.
  auto datagram =
      RunRecorded(world.ws, {ProbePath(), "udp-send", "sendto", "169.254.169.254", "80", "x"});
  CHECK(FirstLine(datagram.result.out) == "errno 101 ENETUNREACH");
  CHECK(VerifyProblems(world.ws, datagram.receipts).empty());
}

TEST_CASE("mode none: nothing but loopback, and outside connections are recorded",
          "[e2e][network]") {
  Workspace ws;
  ws.WriteProfile(ProfileToml({}) + "\n[network]\nmode = \"none\"\n");
  auto run = RunRecorded(ws, {ProbePath(), "connect", "192.0.2.1", "80"});
  CHECK(FirstLine(run.result.out) == "errno 101 ENETUNREACH");
  auto records = ActionRecords(run.records, "net.connect");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["action"]["address"] == "192.0.2.1");
  CHECK(records[0]["decision"]["verdict"] == "deny");
  CHECK(records[0]["decision"]["rule"] == "network.mode");
  auto env = ws.ProbeLine({"env", "HTTP_PROXY"});
  CHECK(env.find("3128") == std::string::npos);
  CHECK(VerifyProblems(ws, run.receipts).empty());
}

}  // namespace aarm::testing
