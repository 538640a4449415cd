// Bad command lines: each is refused before anything runs, with one clear line and status 125.
#include <catch2/catch.hpp>

#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

void CheckRefused(const Workspace& ws, const std::vector<std::string>& options,
                  const std::string& named) {
  auto result = ws.Run({"/bin/sh", "-c", "echo ran > ran.txt"}, options);
  INFO(result.err);
  CHECK(result.status == 125);
  CHECK(FirstLine(result.err).find(named) != std::string::npos);
  CHECK_FALSE(PathExists(ws.Project("ran.txt")));
}

TEST_CASE("descriptors that are not open are refused before the agent runs",
          "[e2e][cli][bad-input]") {
  Workspace ws;
  CheckRefused(ws, {"--status-fd", "57"}, "--status-fd 57");
  CheckRefused(ws, {"--pass-fd", "58"}, "--pass-fd 58");
  CheckRefused(ws, {"--pass-fd", "1"}, "--pass-fd 1");
}

TEST_CASE("unknown options and bad option values are usage errors", "[e2e][cli][bad-input]") {
  Workspace ws;
  CheckRefused(ws, {"--no-such-option"}, "no-such-option");
  CheckRefused(ws, {"--log-level", "loud"}, "log-level");
}

}  // namespace
}  // namespace aarm::testing
