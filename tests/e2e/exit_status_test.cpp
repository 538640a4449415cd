// aarm-run exits as the agent did, and says so when it could not run it at all.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

TEST_CASE("the agent's exit code is aarm-run's", "[e2e][exit]") {
  Workspace ws;
  auto result = ws.Run({"bash", "-c", "exit 7"});
  CHECK(result.status == 7);
  CHECK(ws.Run({"true"}).status == 0);
}

TEST_CASE("an agent killed by a signal gives 128 + the signal", "[e2e][exit]") {
  Workspace ws;
  CHECK(ws.Run({"sh", "-c", "kill -TERM $$"}).status == 128 + SIGTERM);
  CHECK(ws.Run({"sh", "-c", "kill -KILL $$"}).status == 128 + SIGKILL);
}

TEST_CASE("a command that does not exist gives 127", "[e2e][exit]") {
  Workspace ws;
  auto result = ws.Run({"aarm-no-such-command"});
  CHECK(result.status == 127);
  CHECK_THAT(result.err, Catch::Contains("aarm-no-such-command"));
}

TEST_CASE("a command that is not executable gives 126", "[e2e][exit]") {
  Workspace ws;
  WriteFileText(ws.Project("script.sh"), "#!/bin/sh\necho ran\n");
  chmod(ws.Project("script.sh").c_str(), 0644);
  auto result = ws.Run({"./script.sh"});
  CHECK(result.status == 126);
  CHECK(result.out.empty());
}

TEST_CASE("a profile with an unknown key fails with 125 and its place in the file",
          "[e2e][exit]") {
  Workspace ws;
  ws.WriteProfile("version = 1\n[filesystem]\nread = [\"/usr\"]\n  colour = \"blue\"\n");
  auto result = ws.Run({"true"});
  CHECK(result.status == 125);
  CHECK_THAT(result.err, Catch::Contains(ws.ProfilePath() + ":4:3"));
  CHECK_THAT(result.err, Catch::Contains("colour"));
}

}  // namespace
}  // namespace aarm::testing
