// Where user namespaces are refused (a container's seccomp profile, as Docker's default does),
// aarm-run refuses to start unless the profile accepts running without them; then Landlock and
// the seccomp filter still confine the agent.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <catch2/catch.hpp>
#include <sstream>

#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

using namespace std::chrono_literals;

// aarm-run under a filter that refuses user namespaces: clone3 fails with `clone3_errno`
// (Docker answers ENOSYS, other profiles EPERM), clone and unshare with EPERM.
ProcessOptions WithoutUserNamespaces(const Workspace& ws, const std::vector<std::string>& command,
                                     int clone3_errno) {
  auto options = ws.AarmRun(command);
  options.argv.insert(options.argv.begin(),
                      {ProbePath(), "deny-userns", std::to_string(clone3_errno)});
  return options;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> Probe(const std::vector<std::string>& args) {
  std::vector<std::string> command = {ProbePath()};
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

TEST_CASE("without user namespaces aarm-run refuses to start by default",
          "[escape][fallback]") {
  Workspace ws;
  for (int clone3_errno : {ENOSYS, EPERM}) {
    INFO("clone3 fails with errno " << clone3_errno);
    auto result = RunProcess(
        WithoutUserNamespaces(ws, Probe({"write", ws.Project("ran"), "yes"}), clone3_errno));
    CHECK(result.status == 125);
    CHECK(result.out.empty());
    auto lines = Lines(result.err);
    REQUIRE(lines.size() == 2);
    CHECK_THAT(lines[0], Catch::StartsWith("aarm-run: ") && Catch::Contains("user namespaces"));
    CHECK_THAT(lines[1], Catch::StartsWith("aarm-run: hint: ") &&
                             Catch::Contains("require_namespaces = false"));
    CHECK_FALSE(PathExists(ws.Project("ran")));
  }
}

// A profile that accepts running without namespaces, with a read path beside the project.
struct FallbackWorld {
  Workspace ws;
  std::string shared = ws.Root() + "/shared";

  FallbackWorld() {
    WriteFileText(shared + "/victim", "original\n");
    WriteFileText(ws.Outside("victim"), "original\n");
    ProfileSpec spec;
    spec.read.push_back(shared);
    spec.require_namespaces = false;
    ws.WriteProfile(ProfileToml(spec));
  }

  ProcessResult Probe(const std::vector<std::string>& args, int clone3_errno = ENOSYS) const {
    return RunProcess(WithoutUserNamespaces(ws, testing::Probe(args), clone3_errno));
  }
  std::string ProbeLine(const std::vector<std::string>& args) const {
    return FirstLine(Probe(args).out);
  }
};

TEST_CASE("with require_namespaces = false the agent runs, with a warning",
          "[escape][fallback]") {
  FallbackWorld world;
  for (int clone3_errno : {ENOSYS, EPERM}) {
    INFO("clone3 fails with errno " << clone3_errno);
    auto result = world.Probe({"write", world.ws.Project("ran"), "yes"}, clone3_errno);
    CHECK(result.status == 0);
    CHECK(FirstLine(result.out) == "ok written");
    CHECK_THAT(result.err, Catch::Contains("warning: user namespaces are refused here"));
    CHECK(ReadFileText(world.ws.Project("ran")) == "yes");
  }
  // No PID namespace: the agent is an ordinary host process, and says so.
  CHECK_THAT(world.ProbeLine({"ids"}), !Catch::StartsWith("ok pid=2 "));
}

TEST_CASE("without namespaces Landlock still confines the agent's writes and reads",
          "[escape][fallback][needs:landlock]") {
  if (LandlockAbi() == 0) {
    WARN("this kernel has no Landlock: nothing confines the fallback");
    return;
  }
  FallbackWorld world;
  const auto& ws = world.ws;
  CHECK(world.ProbeLine({"write", ws.Outside("victim"), "pwned"}) == "errno 13 EACCES");
  CHECK(world.ProbeLine({"write", world.shared + "/victim", "pwned"}) == "errno 13 EACCES");
  CHECK(world.ProbeLine({"create", world.shared + "/new"}) == "errno 13 EACCES");
  CHECK(world.ProbeLine({"read", ws.Outside("victim")}) == "errno 13 EACCES");
  CHECK(world.ProbeLine({"read", world.shared + "/victim"}) == "ok original\\n");
  CHECK(world.ProbeLine({"child", "write", ws.Outside("victim"), "pwned"}) == "errno 13 EACCES");
  CHECK(world.ProbeLine({"thread", "write", ws.Outside("victim"), "pwned"}) == "errno 13 EACCES");
  // Out of the project by link and rename: Landlock judges the object reached.
  symlink(ws.Outside("victim").c_str(), ws.Project("to-outside").c_str());
  CHECK(world.ProbeLine({"write", ws.Project("to-outside"), "pwned"}) == "errno 13 EACCES");
  WriteFileText(ws.Project("notes.txt"), "notes\n");
  CHECK(world.ProbeLine({"rename", ws.Project("notes.txt"), ws.Outside("notes.txt")}) ==
        "errno 13 EACCES");
  CHECK(world.ProbeLine({"link", world.shared + "/victim", ws.Project("hard")}) ==
        "errno 18 EXDEV");

  CHECK(ReadFileText(ws.Outside("victim")) == "original\n");
  CHECK(ReadFileText(world.shared + "/victim") == "original\n");
  CHECK(ReadFileText(ws.Project("notes.txt")) == "notes\n");
  CHECK_FALSE(PathExists(ws.Outside("notes.txt")));
  CHECK_FALSE(PathExists(world.shared + "/new"));
}

TEST_CASE("without namespaces the agent cannot signal or reach host processes",
          "[escape][fallback][needs:landlock]") {
  if (LandlockAbi() < 6) {
    WARN("Landlock ABI " << LandlockAbi() << " has no signal and socket scoping");
    return;
  }
  FallbackWorld world;
  CHECK(world.ProbeLine({"kill", std::to_string(getpid()), "0"}) == "errno 1 EPERM");

  // A listener on an abstract unix socket of the host (the network namespace is the host's).
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string name = "aarm-e2e-" + std::to_string(getpid());
  memcpy(address.sun_path + 1, name.data(), name.size());
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&address), length) == 0);
  REQUIRE(listen(listener, 4) == 0);
  REQUIRE(FirstLine(RunProcess({{ProbePath(), "connect-abstract", name}}).out) == "ok connected");
  CHECK(world.ProbeLine({"connect-abstract", name}) == "errno 1 EPERM");
  close(listener);
}

TEST_CASE("without namespaces the seccomp filter still applies", "[escape][fallback]") {
  FallbackWorld world;
  CHECK(world.ProbeLine({"unshare-user"}) == "errno 1 EPERM");
  CHECK(world.ProbeLine({"tiocsti-own-pty"}) == "errno 1 EPERM");
  CHECK(world.ProbeLine({"ptrace-traceme"}) == "errno 1 EPERM");
  CHECK(world.Probe({"x32-getpid"}).status == 128 + SIGSYS);
  // As root the bounding set is emptied too; otherwise there is nothing to drop it with, and
  // no_new_privs keeps a set-user-ID program from using it.
  std::string own_bounding_set = ReadFileText("/proc/self/status");
  own_bounding_set = own_bounding_set.substr(own_bounding_set.find("CapBnd:") + 8, 16);
  CHECK(world.ProbeLine({"caps"}) ==
        "ok CapPrm=0000000000000000 CapEff=0000000000000000 CapBnd=" +
            (geteuid() == 0 ? std::string(16, '0') : own_bounding_set) +
            " CapAmb=0000000000000000 NoNewPrivs=1 Seccomp=2");
}

TEST_CASE("without namespaces no process of the agent outlives aarm-run", "[escape][fallback]") {
  FallbackWorld world;
  std::string token = UniqueToken("fallback-sleeper");
  std::string sleeper = std::string("sleep\0", 6) + token;
  SECTION("when the agent exits") {
    std::string script = "'" + ProbePath() + "' spawn-sleeper " + token + " & sleep 0.5; exit 4";
    auto result = RunProcess(WithoutUserNamespaces(world.ws, {"sh", "-c", script}, ENOSYS));
    CHECK(result.status == 4);
    CHECK_THAT(result.out, Catch::Contains("spawned"));
  }
  SECTION("when aarm-run is killed") {
    Process run(WithoutUserNamespaces(world.ws, Probe({"spawn-sleeper", token}), ENOSYS));
    REQUIRE(run.WaitForOutput("spawned\n", 10s));
    REQUIRE(ProcessesWith(sleeper).size() == 1);
    run.Signal(SIGKILL);
    CHECK(run.Wait(10s).status == 128 + SIGKILL);
  }
  CHECK(NoProcessWithin(token, 3s));
}

}  // namespace
}  // namespace aarm::testing
