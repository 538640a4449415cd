// The agent's process world: PID 2 under the sandbox's init, nothing of the host's processes in
// sight, only the descriptors it was given, signals as from a terminal, and no process that
// outlives aarm-run.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

using namespace std::chrono_literals;

TEST_CASE("the agent is PID 2 under the sandbox's init and sees no other process",
          "[e2e][process]") {
  Workspace ws;
  CHECK(ws.ProbeLine({"ids"}).rfind("ok pid=2 ppid=1 ", 0) == 0);
  // /proc lists the init and the agent only: aarm-run and the rest of the host are elsewhere.
  CHECK(ws.ProbeLine({"procs"}) == "ok 1 2");
  CHECK(ws.ProbeLine({"exists", "/proc/" + std::to_string(getpid())}) == "errno 2 ENOENT");
}

TEST_CASE("the agent holds descriptors 0-2 and those passed with --pass-fd only",
          "[e2e][process]") {
  Workspace ws;
  // Two descriptors aarm-run inherits without close-on-exec, as a careless caller leaks them.
  int leaked = fcntl(open("/dev/null", O_RDONLY), F_DUPFD, 40);
  int passed = fcntl(open("/dev/null", O_RDONLY), F_DUPFD, 50);
  REQUIRE(leaked >= 40);
  REQUIRE(passed >= 50);

  auto options = ws.AarmRun({ProbePath(), "fds"});
  options.inherit_fds = {leaked, passed};
  CHECK(FirstLine(RunProcess(options).out) == "ok 0 1 2");

  options = ws.AarmRun({ProbePath(), "fds"}, {"--pass-fd", std::to_string(passed)});
  options.inherit_fds = {leaked, passed};
  CHECK(FirstLine(RunProcess(options).out) == "ok 0 1 2 " + std::to_string(passed));
  close(leaked);
  close(passed);
}

TEST_CASE("signals sent to aarm-run reach the agent", "[e2e][process][signals]") {
  Workspace ws;
  Process run(ws.AarmRun({ProbePath(), "wait-signals"}));
  REQUIRE(run.WaitForOutput("ready\n", 10s));
  for (auto [signal, name] : {std::pair{SIGINT, "INT"}, std::pair{SIGHUP, "HUP"},
                              std::pair{SIGUSR1, "USR1"}, std::pair{SIGUSR2, "USR2"},
                              std::pair{SIGQUIT, "QUIT"}}) {
    INFO("signal " << name);
    run.Signal(signal);
    CHECK(run.WaitForOutput(std::string("signal ") + name + "\n", 5s));
  }
  run.Signal(SIGTERM);
  auto result = run.Wait(10s);
  CHECK_THAT(result.out, Catch::Contains("signal TERM\n"));
  CHECK(result.status == 0);
}

TEST_CASE("SIGTERM to aarm-run ends an agent that does not catch it", "[e2e][process][signals]") {
  Workspace ws;
  Process run(ws.AarmRun({ProbePath(), "tick"}));
  REQUIRE(run.WaitForOutput("tick 1\n", 10s));
  run.Signal(SIGTERM);
  CHECK(run.Wait(10s).status == 128 + SIGTERM);
}

TEST_CASE("SIGTSTP stops the agent and aarm-run, SIGCONT resumes both",
          "[e2e][process][signals]") {
  Workspace ws;
  Process run(ws.AarmRun({ProbePath(), "tick"}));
  REQUIRE(run.WaitForOutput("tick 2\n", 10s));
  run.Signal(SIGTSTP);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (ProcessState(run.Pid()) != 'T' && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  CHECK(ProcessState(run.Pid()) == 'T');
  run.OutputDuring(200ms);  // lines written before the stop took effect
  CHECK(run.OutputDuring(500ms).empty());

  run.Signal(SIGCONT);
  CHECK_THAT(run.OutputDuring(1s), Catch::Contains("tick"));
  CHECK(ProcessState(run.Pid()) != 'T');
  run.Signal(SIGTERM);
  CHECK(run.Wait(10s).status == 128 + SIGTERM);
}

TEST_CASE("killing aarm-run with SIGKILL kills every process of the sandbox",
          "[e2e][process][signals]") {
  Workspace ws;
  std::string token = UniqueToken("sleeper");
  Process run(ws.AarmRun({ProbePath(), "spawn-sleeper", token}));
  REQUIRE(run.WaitForOutput("spawned\n", 10s));
  // The grandchild the agent left in a session of its own, where no group kill reaches.
  std::string sleeper = std::string("sleep\0", 6) + token;
  REQUIRE(ProcessesWith(sleeper).size() == 1);
  run.Signal(SIGKILL);
  CHECK(run.Wait(10s).status == 128 + SIGKILL);
  CHECK(NoProcessWithin(token, 3s));
}

TEST_CASE("processes the agent leaves behind end with it", "[e2e][process]") {
  Workspace ws;
  std::string token = UniqueToken("orphan");
  std::string script = "'" + ProbePath() + "' spawn-sleeper " + token + " & sleep 0.5; exit 5";
  auto result = ws.Run({"sh", "-c", script});
  CHECK(result.status == 5);
  CHECK_THAT(result.out, Catch::Contains("spawned"));
  CHECK(NoProcessWithin(token, 3s));
}

}  // namespace
}  // namespace aarm::testing
