// Other names of protected files. A hidden file is masked at its own path; a hard link to it made
// before the session, inside a path the agent may read and write, must not reach it either — the
// supervisor decides on the object (device and inode), not the name.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/receipts.hpp"
#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

TEST_CASE("a hard link made before the session to a hidden file does not reach it",
          "[escape][hide][link][mediation]") {
  ProfileSpec spec;
  spec.read.push_back("{home}");
  spec.hide = {"{home}/.ssh"};
  Workspace ws(spec);
  std::filesystem::create_directories(ws.Home(".ssh"));
  WriteFileText(ws.Home(".ssh/id_ed25519"), "PRIVATE KEY\n");
  REQUIRE(link(ws.Home(".ssh/id_ed25519").c_str(), ws.Project("notes.txt").c_str()) == 0);
  ws.WriteProfile(ProfileToml(spec));

  CHECK(ws.ProbeLine({"read", ws.Home(".ssh/id_ed25519")}) == "errno 2 ENOENT");
  CHECK(ws.ProbeLine({"read", ws.Project("notes.txt")}) == "errno 13 EACCES");
  CHECK(ws.ProbeLine({"write", ws.Project("notes.txt"), "replaced"}) == "errno 13 EACCES");
  CHECK(ws.ProbeLine({"truncate", ws.Project("notes.txt")}) == "errno 13 EACCES");
  CHECK(ws.ProbeLine({"link", ws.Project("notes.txt"), ws.Project("again.txt")}) ==
        "errno 13 EACCES");
  CHECK(ReadFileText(ws.Home(".ssh/id_ed25519")) == "PRIVATE KEY\n");
  CHECK_FALSE(PathExists(ws.Project("again.txt")));
}

TEST_CASE("a denial line shows an agent's hostile path escaped on one line",
          "[escape][mediation][bad-input]") {
  Workspace ws;
  ws.WriteProfile(ProfileToml({}) +
                  RulesToml({{"no-secrets", {"file.read"}, "path", {"{project}/secret*"}, "deny"}}));
  std::string name = "secret\n\x1b[31mred\x1b]0;title\x07";
  WriteFileText(ws.Project(name), "x\n");
  RecordOptions loud;
  loud.quiet = false;
  auto result = RunRecorded(ws, {ProbePath(), "read", ws.Project(name)}, loud).result;
  CHECK(FirstLine(result.out) == "errno 13 EACCES");
  auto at = result.err.find("aarm: denied");
  REQUIRE(at != std::string::npos);
  std::string line = result.err.substr(at, result.err.find('\n', at) - at);
  CHECK(line.find("secret\\n\\x1b[31mred\\x1b]0;title\\x07") != std::string::npos);
  CHECK(line.find("(rule: no-secrets)") != std::string::npos);
  CHECK(result.err.find('\x1b') == std::string::npos);
}

}  // namespace
}  // namespace aarm::testing
