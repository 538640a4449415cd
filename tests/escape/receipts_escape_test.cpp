// The agent against its own record: with the receipt file and the signing key inside a
// writable project, it can neither read them nor change, replace, move or hold the log open for
// writing, by any name, and the log still verifies after every attempt.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/receipts.hpp"
#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

// The key pair in {project}/keys, the log in {project}/logs; the project is writable.
struct RecordInProject {
  Workspace ws;
  std::string key_dir = ws.Project("keys");
  std::string key = key_dir + "/signing-key.pem";
  std::string log = ws.Project("logs/receipts.jsonl");
  int sessions = 0;

  RecordInProject() {
    std::filesystem::create_directories(ws.Project("logs"));
    auto made = RunAarm(ws, {"keygen", "--out", key_dir});
    REQUIRE(made.status == 0);
    WriteFileText(ws.Project("decoy.jsonl"), "{}\n");
  }

  // One attempt, in a session of its own that appends to the log.
  std::string Attempt(const std::vector<std::string>& probe) {
    std::vector<std::string> command = {ProbePath()};
    command.insert(command.end(), probe.begin(), probe.end());
    auto options = ws.AarmRun(command, {"-r", log, "--key", key});
    ++sessions;
    auto result = RunProcess(options);
    INFO(result.err);
    CHECK(result.status == 0);
    return FirstLine(result.out);
  }

  void CheckLogIntact() const {
    auto verified = RunAarm(ws, {"verify", "--key", key_dir + "/signing-key.pub.pem", log});
    INFO(verified.out << verified.err);
    CHECK(verified.status == 0);
    CHECK(verified.out == "ok: " + log + ": " + std::to_string(sessions) + " sessions, " +
                              std::to_string(ReadReceipts(log).size()) + " records\n");
  }
};

TEST_CASE("the agent cannot read the signing key or the receipts", "[escape][receipts]") {
  RecordInProject world;
  std::string key_text = ReadFileText(world.key);
  REQUIRE(key_text.find("PRIVATE KEY") != std::string::npos);
  for (const auto& way : std::vector<std::vector<std::string>>{
           {"read", world.key},
           {"child", "read", world.key},
           {"thread", "read", world.key},
           {"read", world.ws.Project("keys/../keys/signing-key.pem")},
           {"read", "/proc/self/cwd/keys/signing-key.pem"},
           {"read", world.log},
           {"read", "/proc/self/root" + world.log}}) {
    std::string line = world.Attempt(way);
    INFO(way.back() << ": " << line);
    // The stand-in reads empty.
    CHECK(line == "ok");
  }
  symlink(world.key.c_str(), world.ws.Project("key-link").c_str());
  CHECK(world.Attempt({"read", world.ws.Project("key-link")}) == "ok");
  CHECK(world.Attempt({"link", world.key, world.ws.Project("key-hard")}) == "errno 18 EXDEV");
  CHECK_FALSE(PathExists(world.ws.Project("key-hard")));
  CHECK(ReadFileText(world.key) == key_text);
  world.CheckLogIntact();
}

TEST_CASE("the signing key stays unreadable wherever aarm-run found it", "[escape][receipts]") {
  Workspace ws;
  ProfileSpec spec;
  spec.read.push_back("{home}");
  ws.WriteProfile(ProfileToml(spec));
  // The default place, in a readable home; and a key named by AARM_SIGNING_KEY.
  std::string xdg_dir = ws.Home(".config/aarm");
  std::string env_dir = ws.Project("env-key");
  for (const auto& dir : {xdg_dir, env_dir}) {
    REQUIRE(RunAarm(ws, {"keygen", "--out", dir}).status == 0);
    std::string key = dir + "/signing-key.pem";
    INFO(key);
    auto options = ws.AarmRun({ProbePath(), "read", key}, {"-r", ws.Root() + "/receipts.jsonl"});
    if (dir == env_dir) options.env.push_back("AARM_SIGNING_KEY=" + key);
    auto result = RunProcess(options);
    CHECK(FirstLine(result.out) == "ok");
    // The key was used, and pinned: no warning about a fresh one.
    CHECK_THAT(result.err, !Catch::Contains("fresh key"));
  }
  auto verified = RunAarm(ws, {"verify", ws.Root() + "/receipts.jsonl"});
  CHECK(verified.status == 0);
}

TEST_CASE("the agent cannot change, replace, move or hold the receipt file", "[escape][receipts]") {
  RecordInProject world;
  const std::string& log = world.log;
  const std::string moved = world.ws.Project("moved.jsonl");
  symlink(log.c_str(), world.ws.Project("log-link").c_str());
  const std::vector<std::vector<std::string>> attempts = {
      {"write", log, "forged"},
      {"append", log, "forged"},
      {"open-write", log},
      {"truncate", log},
      {"chmod", log},
      {"unlink", log},
      {"rename", log, moved},
      {"rename", world.ws.Project("decoy.jsonl"), log},
      {"rename-exchange", world.ws.Project("decoy.jsonl"), log},
      {"link", log, moved},
      {"opath-reopen", log, "/proc/self/fd", "forged"},
      {"write", world.ws.Project("log-link"), "forged"},
      {"child", "write", log, "forged"},
      {"thread", "truncate", log},
      {"vfork", "unlink", log},
      // The directories above it.
      {"rename", world.ws.Project("logs"), world.ws.Project("logs-old")},
      {"rmdir", world.ws.Project("logs")},
      {"rename-exchange", world.ws.Project("logs"), world.ws.Project("keys")},
      {"rename", world.ws.Project("keys"), world.ws.Project("keys-old")},
  };
  for (const auto& attempt : attempts) {
    std::string shown;
    for (const auto& word : attempt) shown += word + " ";
    std::string line = world.Attempt(attempt);
    INFO(shown << "-> " << line);
    CHECK(line.rfind("errno ", 0) == 0);
    CHECK(PathExists(log));
  }
  CHECK_FALSE(PathExists(moved));
  CHECK_FALSE(PathExists(world.ws.Project("logs-old")));
  CHECK_FALSE(PathExists(world.ws.Project("keys-old")));
  CHECK(ReadFileText(world.ws.Project("decoy.jsonl")) == "{}\n");
  world.CheckLogIntact();
  // Every attempt left its own record in the log it failed to touch.
  CHECK(ActionRecords(ReadReceipts(log)).size() >= attempts.size());
}

}  // namespace
}  // namespace aarm::testing
