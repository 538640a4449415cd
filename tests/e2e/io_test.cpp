// The agent's standard input, output and error are the user's: pipes pass bytes unchanged and
// in bulk, and a terminal stays a terminal.
#include <catch2/catch.hpp>

#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

std::string EveryByteRepeated(size_t total) {
  std::string data(total, '\0');
  for (size_t i = 0; i < total; ++i) data[i] = static_cast<char>((i * 7 + i / 256) & 0xff);
  return data;
}

TEST_CASE("binary standard input reaches the agent and comes back unchanged", "[e2e][io]") {
  Workspace ws;
  auto options = ws.AarmRun({"cat"});
  options.input = EveryByteRepeated(3 * 1024 * 1024 + 17);
  auto result = RunProcess(options);
  CHECK(result.status == 0);
  REQUIRE(result.out.size() == options.input.size());
  CHECK(result.out == options.input);
}

TEST_CASE("large output passes through a pipe complete", "[e2e][io]") {
  Workspace ws;
  auto result = ws.Run({"head", "-c", "20000000", "/dev/zero"});
  CHECK(result.status == 0);
  CHECK(result.out.size() == 20000000);
  CHECK(result.out.find_first_not_of('\0') == std::string::npos);
}

TEST_CASE("standard error stays apart from standard output", "[e2e][io]") {
  Workspace ws;
  auto result = ws.Run({"sh", "-c", "echo to-out; echo to-err >&2; exit 3"});
  CHECK(result.status == 3);
  CHECK(result.out == "to-out\n");
  CHECK_THAT(result.err, Catch::Contains("to-err\n"));
  CHECK_THAT(result.err, !Catch::Contains("to-out"));
}

TEST_CASE("on a terminal the agent sees a terminal", "[e2e][io][tty]") {
  Workspace ws;
  auto options = ws.AarmRun({ProbePath(), "isatty"});
  options.pty = true;
  auto result = RunProcess(options);
  CHECK(result.status == 0);
  CHECK_THAT(result.out, Catch::Contains("ok 0=1 1=1 2=1"));

  // And a pipe stays a pipe.
  CHECK(ws.ProbeLine({"isatty"}) == "ok 0=0 1=0 2=0");
}

TEST_CASE("input typed on the terminal reaches the agent", "[e2e][io][tty]") {
  Workspace ws;
  auto options = ws.AarmRun({"sh", "-c", "read line; echo \"got:$line\""});
  options.pty = true;
  options.input = "typed-text\n";
  auto result = RunProcess(options);
  CHECK(result.status == 0);
  CHECK_THAT(result.out, Catch::Contains("got:typed-text"));
}

}  // namespace
}  // namespace aarm::testing
