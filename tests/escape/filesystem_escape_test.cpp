// Attacks on the filesystem view: writing outside the write paths and reading hidden paths by
// every other name the kernel knows for them, from the agent, a child and a second thread.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

constexpr const char* kVictimText = "original\n";

// A world with a file outside the view, a file in a read path, a hidden file in the project
// and a hidden directory in the (readable) home.
struct EscapeWorld {
  Workspace ws;
  std::string shared = ws.Root() + "/shared";

  EscapeWorld() {
    WriteFileText(shared + "/victim", kVictimText);
    WriteFileText(ws.Outside("victim"), kVictimText);
    WriteFileText(ws.Project(".env"), "TOKEN=project-secret\n");
    WriteFileText(ws.Project("notes.txt"), "notes\n");
    mkdir(ws.Project("sub").c_str(), 0755);
    WriteFileText(ws.Home(".ssh/id_ed25519"), "PRIVATE KEY\n");
    ProfileSpec spec;
    spec.read.push_back(shared);
    spec.read.push_back("{home}");
    spec.hide = {"{project}/.env", "{home}/.ssh"};
    ws.WriteProfile(ProfileToml(spec));
  }

  void CheckHostUntouched() const {
    CHECK(ReadFileText(shared + "/victim") == kVictimText);
    CHECK(ReadFileText(ws.Outside("victim")) == kVictimText);
    CHECK(ReadFileText(ws.Project(".env")) == "TOKEN=project-secret\n");
    CHECK(ReadFileText(ws.Home(".ssh/id_ed25519")) == "PRIVATE KEY\n");
    CHECK(ReadFileText(ws.Project("notes.txt")) == "notes\n");
  }
};

// The probe, then the same from a child process and from a second thread.
std::vector<std::vector<std::string>> EveryWay(const std::vector<std::string>& probe) {
  std::vector<std::vector<std::string>> ways = {probe, {"child"}, {"thread"}};
  for (size_t i = 1; i < ways.size(); ++i) ways[i].insert(ways[i].end(), probe.begin(), probe.end());
  return ways;
}

void CheckEveryWay(const Workspace& ws, const std::vector<std::string>& probe,
                   const std::string& expected) {
  for (const auto& way : EveryWay(probe)) {
    std::string command;
    for (const auto& arg : way) command += arg + " ";
    INFO("probe " << command);
    CHECK(ws.ProbeLine(way) == expected);
  }
}

TEST_CASE("a symlink in the project does not lead writes out of the view",
          "[escape][filesystem]") {
  EscapeWorld world;
  const auto& ws = world.ws;
  // Planted before the session (a cloned repository can hold such links).
  symlink(world.ws.Outside("victim").c_str(), ws.Project("to-outside").c_str());
  symlink((world.shared + "/victim").c_str(), ws.Project("to-shared").c_str());
  CheckEveryWay(ws, {"write", ws.Project("to-outside"), "pwned"}, "errno 2 ENOENT");
  CheckEveryWay(ws, {"write", ws.Project("to-shared"), "pwned"}, "errno 30 EROFS");
  // Planted by the agent itself.
  auto result = ws.Run({"sh", "-c", "ln -s " + world.shared + "/victim mine && echo pwned > mine"});
  CHECK(result.status != 0);
  CHECK_THAT(result.err, Catch::Contains("Read-only file system"));
  world.CheckHostUntouched();
}

TEST_CASE("a hard link cannot reach a file outside the write paths", "[escape][filesystem]") {
  EscapeWorld world;
  const auto& ws = world.ws;
  CheckEveryWay(ws, {"link", world.shared + "/victim", ws.Project("hard")}, "errno 18 EXDEV");
  CheckEveryWay(ws, {"link", ws.Project(".env"), ws.Project("hard")}, "errno 13 EACCES");
  CheckEveryWay(ws, {"link", ws.Outside("victim"), ws.Project("hard")}, "errno 2 ENOENT");
  CHECK_FALSE(PathExists(ws.Project("hard")));
  world.CheckHostUntouched();
}

TEST_CASE("/proc/*/root and /proc/*/cwd lead nowhere new", "[escape][filesystem]") {
  EscapeWorld world;
  const auto& ws = world.ws;
  CheckEveryWay(ws, {"write", "/proc/self/root" + world.shared + "/victim", "pwned"},
                "errno 30 EROFS");
  CheckEveryWay(ws, {"write", "/proc/self/root" + ws.Outside("victim"), "pwned"},
                "errno 2 ENOENT");
  CheckEveryWay(ws, {"read", "/proc/self/root" + ws.Project(".env")}, "ok");
  // The init's root and working directory are the init's: the agent may not look through them.
  CheckEveryWay(ws, {"write", "/proc/1/root" + world.shared + "/victim", "pwned"},
                "errno 13 EACCES");
  CheckEveryWay(ws, {"read", "/proc/1/root" + ws.Project(".env")}, "errno 13 EACCES");
  CheckEveryWay(ws, {"read", "/proc/1/cwd" + ws.Project(".env")}, "errno 13 EACCES");
  // Another process of the agent's own: the same view, nothing more.
  auto result = ws.Run({"sh", "-c",
                        "cd sub && sleep 2 & sleep 0.2; '" + ProbePath() +
                            "' read /proc/$!/cwd/../.env; '" + ProbePath() +
                            "' write /proc/$!/cwd/../../shared/victim pwned; kill $!"});
  CHECK(result.out == "ok\nerrno 30 EROFS\n");
  world.CheckHostUntouched();
}

TEST_CASE("renaming out of the project fails and leaves the file in place",
          "[escape][filesystem]") {
  EscapeWorld world;
  const auto& ws = world.ws;
  CheckEveryWay(ws, {"rename", ws.Project("notes.txt"), world.shared + "/notes.txt"},
                "errno 18 EXDEV");
  CheckEveryWay(ws, {"rename", ws.Project("notes.txt"), "/tmp/notes.txt"}, "errno 18 EXDEV");
  // Next to the project lies the private /tmp, not the host's directory.
  CheckEveryWay(ws, {"rename", ws.Project("notes.txt"), ws.Root() + "/notes.txt"},
                "errno 18 EXDEV");
  CHECK(ws.ProbeLine({"write", ws.Root() + "/beside", "x"}) == "ok written");
  CHECK_FALSE(PathExists(ws.Root() + "/beside"));
  CHECK_FALSE(PathExists(ws.Root() + "/notes.txt"));
  world.CheckHostUntouched();
}

TEST_CASE("a hidden path stays hidden under every name", "[escape][filesystem][hide]") {
  EscapeWorld world;
  const auto& ws = world.ws;
  symlink(ws.Project(".env").c_str(), ws.Project("env-absolute").c_str());
  symlink(".env", ws.Project("env-relative").c_str());
  symlink(ws.Home(".ssh/id_ed25519").c_str(), ws.Project("key").c_str());
  for (const auto& name : std::vector<std::string>{
           ws.Project(".env"), ws.Project("sub/../.env"),
                           ws.Project("sub/../sub/./../.env"), ws.Project("env-absolute"),
                           ws.Project("env-relative"), "/proc/self/root" + ws.Project(".env"),
                           "/proc/self/cwd/.env", "/dev/fd/../cwd/.env"}) {
    CheckEveryWay(ws, {"read", name}, "ok");
  }
  for (const auto& name : {ws.Home(".ssh/id_ed25519"), ws.Project("key"),
                           ws.Home(".ssh/../.ssh/id_ed25519")}) {
    CheckEveryWay(ws, {"read", name}, "errno 2 ENOENT");
  }
  CheckEveryWay(ws, {"list", ws.Home(".ssh")}, "ok");
  // Unmounting the stand-in would reveal it: the filter and the missing capability refuse.
  auto result = ws.Run({"umount", ws.Project(".env")});
  CHECK(result.status != 0);
  CHECK(ws.ProbeLine({"read", ws.Project(".env")}) == "ok");
  world.CheckHostUntouched();
}

TEST_CASE("a readonly carve-out cannot be replaced by renaming a directory above it",
          "[escape][filesystem][readonly]") {
  Workspace ws;
  WriteFileText(ws.Project(".git/hooks/pre-commit"), "#!/bin/sh\nexit 0\n");
  ProfileSpec spec;
  spec.readonly = {"{project}/.git/hooks"};
  ws.WriteProfile(ProfileToml(spec));

  // Moving .git aside and making a new one with a hook would run the hook on the host.
  auto result = ws.Run({"sh", "-c",
                        "mv .git .git-old && mkdir -p .git/hooks && "
                        "printf '#!/bin/sh\\necho pwned\\n' > .git/hooks/pre-commit"});
  CHECK(result.status != 0);
  CHECK(ReadFileText(ws.Project(".git/hooks/pre-commit")) == "#!/bin/sh\nexit 0\n");
  CHECK_FALSE(PathExists(ws.Project(".git-old")));
  CHECK(ws.ProbeLine({"rename", ws.Project(".git"), ws.Project(".git-old")}) ==
        "errno 16 EBUSY");
}

TEST_CASE("a carve-out and a hidden path named through a symlinked directory still apply",
          "[escape][filesystem][readonly][hide]") {
  Workspace ws;
  WriteFileText(ws.Project(".git/hooks/pre-commit"), "#!/bin/sh\nexit 0\n");
  WriteFileText(ws.Project(".env"), "TOKEN=project-secret\n");
  // The profile names the project through a link, as a home reached through /home -> /usr/home.
  std::string alias = ws.Root() + "/alias";
  symlink(ws.Project().c_str(), alias.c_str());
  ProfileSpec spec;
  spec.write = {alias, "{tmp}"};
  spec.readonly = {alias + "/.git/hooks"};
  spec.hide = {alias + "/.env"};
  ws.WriteProfile(ProfileToml(spec));

  for (const auto& base : {alias, ws.Project()}) {
    INFO(base);
    CHECK(ws.ProbeLine({"write", base + "/.git/hooks/pre-commit", "pwned"}) == "errno 30 EROFS");
    CHECK(ws.ProbeLine({"read", base + "/.env"}) == "ok");
  }
  CHECK(ws.ProbeLine({"write", alias + "/written", "fine"}) == "ok written");
  CHECK(ReadFileText(ws.Project("written")) == "fine");
  CHECK(ReadFileText(ws.Project(".git/hooks/pre-commit")) == "#!/bin/sh\nexit 0\n");
}

TEST_CASE("the host's kernel settings under /proc cannot be changed", "[escape][filesystem]") {
  Workspace ws;
  // uid 0 needs no capability to write most of these (the kernel checks the file mode against
  // the uid): run as root, only the read-only view refuses. Opening for writing proves it
  // without changing anything.
  std::string refused = geteuid() == 0 ? "errno 30 EROFS" : "errno 13 EACCES";
  for (const char* setting :
       {"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe", "/proc/sys/vm/drop_caches",
        "/proc/sys/fs/file-max", "/proc/sys/net/ipv4/ip_forward", "/proc/irq/default_smp_affinity",
        "/proc/sysrq-trigger"}) {
    if (!PathExists(setting)) continue;  // not in this kernel
    INFO(setting);
    CHECK(ws.ProbeLine({"open-write", setting}) == refused);
    CHECK(ws.ProbeLine({"child", "open-write", setting}) == refused);
  }
  // The agent's own process settings stay writable.
  CHECK(ws.ProbeLine({"open-write", "/proc/self/oom_score_adj"}) == "ok opened");
}

}  // namespace
}  // namespace aarm::testing
