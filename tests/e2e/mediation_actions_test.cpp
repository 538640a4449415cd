// Each kind of action the supervisor decides, allowed and denied: what the agent saw, what the
// disk holds after, the receipt of the decision, the line on standard error, and that the
// receipt file verifies. Then -q, --audit and forbid rules.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support/receipts.hpp"
#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

// One rule per kind, each denying one file of the project; everything else is allowed by
// session.default.
const std::vector<TestRule> kRules = {
    {"no-read-secret", {"file.read"}, "path", {"{project}/secret.txt"}, "deny"},
    {"no-write-locked", {"file.write"}, "path", {"{project}/locked.txt"}, "deny"},
    {"no-create-sealed", {"file.create"}, "path", {"{project}/sealed/**"}, "deny"},
    {"no-delete-keep", {"file.delete"}, "path", {"{project}/keep.txt"}, "deny"},
    {"no-rename-stay", {"file.rename"}, "from", {"{project}/stay.txt"}, "deny"},
    {"no-link-linked", {"file.link"}, "path", {"{project}/linked.txt"}, "deny"},
    {"no-chmod-mode", {"file.chmod"}, "path", {"{project}/mode.txt"}, "deny"},
    {"no-touch", {"process.exec"}, "path", {"/usr/bin/touch"}, "deny"},
    {"never-forbidden", {"file.read"}, "path", {"{project}/forbidden.txt"}, "forbid"},
};

struct ActionWorld {
  Workspace ws;

  ActionWorld() {
    for (const char* name : {"secret.txt", "notes.txt", "locked.txt", "open.txt", "keep.txt",
                             "trash.txt", "stay.txt", "move-me.txt", "linked.txt", "linkable.txt",
                             "mode.txt", "modable.txt", "forbidden.txt"}) {
      WriteFileText(ws.Project(name), std::string(name) + "\n");
      chmod(ws.Project(name).c_str(), 0644);
    }
    mkdir(ws.Project("sealed").c_str(), 0755);
    ws.WriteProfile(ProfileToml({}) + RulesToml(kRules));
  }

  std::string P(const std::string& name) const { return ws.Project(name); }
};

std::string Joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : " ") + word;
  return out;
}

// The agent's action went through: the probe says `line`, and the receipt of `kind` on `path`
// records an allowed, successful action.
RecordedRun ExpectAllowed(const Workspace& ws, const std::vector<std::string>& probe,
                          const std::string& line, const std::string& kind,
                          const std::string& path) {
  INFO("probe " << Joined(probe));
  std::vector<std::string> command = {ProbePath()};
  command.insert(command.end(), probe.begin(), probe.end());
  auto run = RunRecorded(ws, command, {.quiet = false});
  CHECK(FirstLine(run.result.out) == line);
  CHECK(run.result.status == 0);
  CHECK_THAT(run.result.err, !Catch::Contains("aarm: denied"));
  auto record = FindAction(run.records, kind, path);
  REQUIRE(record);
  CHECK((*record)["decision"]["verdict"] == "allow");
  CHECK((*record)["decision"]["by"] == "policy");
  CHECK((*record)["outcome"]["ok"] == true);
  CHECK(VerifyProblems(ws, run.receipts).empty());
  return run;
}

struct Denial {
  std::string kind;
  std::string path;
  std::string to;  // rename and link
  std::string rule;
  int err = 13;       // EACCES for files, EPERM for exec
  std::string shown;  // the object as the stderr line names it
};

// The agent's action was refused with the denial's errno; the receipt records the rule and
// the stderr line names the action and the rule.
RecordedRun ExpectDenied(const Workspace& ws, const std::vector<std::string>& probe,
                         const Denial& denial) {
  INFO("probe " << Joined(probe));
  std::vector<std::string> command = {ProbePath()};
  command.insert(command.end(), probe.begin(), probe.end());
  auto run = RunRecorded(ws, command, {.quiet = false});
  CHECK(FirstLine(run.result.out) == (denial.err == 1 ? "errno 1 EPERM" : "errno 13 EACCES"));
  CHECK_THAT(run.result.err, Catch::Contains("aarm: denied " + denial.kind + " " + denial.shown +
                                             " (rule: " + denial.rule + ")\n"));
  auto record = FindAction(run.records, denial.kind, denial.path);
  REQUIRE(record);
  CHECK((*record)["decision"]["verdict"] == "deny");
  CHECK((*record)["decision"]["rule"] == denial.rule);
  CHECK((*record)["decision"]["by"] == "policy");
  CHECK((*record)["outcome"]["ok"] == false);
  CHECK((*record)["outcome"]["errno"] == denial.err);
  if (!denial.to.empty()) CHECK((*record)["action"]["to"] == denial.to);
  CHECK(VerifyProblems(ws, run.receipts).empty());
  return run;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

TEST_CASE("process.exec: an allowed program runs, a denied one gets EPERM", "[e2e][mediation]") {
  ActionWorld world;
  auto allowed = ExpectAllowed(world.ws, {"exec", "/usr/bin/mkdir", world.P("made-by-exec")}, "",
                               "process.exec", "/usr/bin/mkdir");
  CHECK(PathExists(world.P("made-by-exec")));
  auto record = FindAction(allowed.records, "process.exec", "/usr/bin/mkdir");
  REQUIRE(record);
  CHECK((*record)["action"]["argv"] == Json::array({"/usr/bin/mkdir", world.P("made-by-exec")}));

  auto denied = ExpectDenied(world.ws, {"exec", "/usr/bin/touch", world.P("touched")},
                             {"process.exec", "/usr/bin/touch", "", "no-touch", 1,
                              "/usr/bin/touch " + world.P("touched")});
  CHECK_FALSE(PathExists(world.P("touched")));
  record = FindAction(denied.records, "process.exec", "/usr/bin/touch");
  REQUIRE(record);
  CHECK((*record)["action"]["argv"] == Json::array({"/usr/bin/touch", world.P("touched")}));
  CHECK((*record)["action"]["cwd"] == world.ws.Project());
}

TEST_CASE("a denial line is cut to a terminal's measure; its receipt keeps the action whole",
          "[e2e][mediation]") {
  ActionWorld world;
  // 4 KiB of argument, with an escape sequence and a newline at its start.
  const std::string argument = "\x1b[31m\n" + std::string(4096, 'a');
  auto run = RunRecorded(world.ws, {ProbePath(), "exec", "/usr/bin/touch", argument},
                         {.quiet = false});
  CHECK(FirstLine(run.result.out) == "errno 1 EPERM");
  const std::string& err = run.result.err;
  auto line_start = err.find("aarm: denied process.exec /usr/bin/touch \\x1b[31m\\naaa");
  REQUIRE(line_start != std::string::npos);
  const std::string line = err.substr(line_start, err.find('\n', line_start) - line_start);
  CHECK(line.size() < 640);
  CHECK_THAT(line, Catch::EndsWith("aaa... (rule: no-touch)"));
  CHECK(err.find('\x1b') == std::string::npos);
  auto record = FindAction(run.records, "process.exec", "/usr/bin/touch");
  REQUIRE(record);
  CHECK((*record)["action"]["argv"][1] == argument);
  CHECK(VerifyProblems(world.ws, run.receipts).empty());
}

TEST_CASE("file.read: an allowed file is read, a denied one gets EACCES", "[e2e][mediation]") {
  ActionWorld world;
  ExpectAllowed(world.ws, {"read", world.P("notes.txt")}, "ok notes.txt\\n", "file.read",
                world.P("notes.txt"));
  ExpectDenied(
      world.ws, {"read", world.P("secret.txt")},
      {"file.read", world.P("secret.txt"), "", "no-read-secret", 13, world.P("secret.txt")});
  CHECK(ReadFileText(world.P("secret.txt")) == "secret.txt\n");
}

TEST_CASE("an opened file carries the status flags the agent asked for, as a bare open does",
          "[e2e][mediation]") {
  ActionWorld world;
  // The supervisor opens with O_NONBLOCK (a FIFO swapped in must not hold a worker) and takes
  // it off again: F_GETFL must read as after the same open outside the sandbox.
  const std::string script =
      "import fcntl, os, sys\n"
      "for name, flags in [('notes.txt', os.O_RDONLY),\n"
      "                    ('open.txt', os.O_WRONLY | os.O_APPEND),\n"
      "                    ('notes.txt', os.O_RDONLY | os.O_NONBLOCK),\n"
      "                    ('notes.txt', os.O_RDONLY | os.O_ASYNC),\n"
      "                    ('fresh.txt', os.O_WRONLY | os.O_CREAT | os.O_EXCL)]:\n"
      "    fd = os.open(name, flags, 0o644)\n"
      "    print(oct(fcntl.fcntl(fd, fcntl.F_GETFL)))\n"
      "    os.close(fd)\n";
  WriteFileText(world.P("flags.py"), script);
  auto bare = RunProcess({.argv = {"/usr/bin/python3", world.P("flags.py")},
                          .env = {"PATH=/usr/bin:/bin"},
                          .cwd = world.ws.Project()});
  REQUIRE(bare.status == 0);
  unlink(world.P("fresh.txt").c_str());
  auto run = RunRecorded(world.ws, {"python3", world.P("flags.py")});
  CHECK(run.result.status == 0);
  CHECK(run.result.out == bare.out);
  CHECK(std::count(run.result.out.begin(), run.result.out.end(), '\n') == 5);
  CHECK(FindAction(run.records, "file.create", world.P("fresh.txt")));
  CHECK(VerifyProblems(world.ws, run.receipts).empty());
}

TEST_CASE("file.write: an allowed file is written, a denied one stays as it was",
          "[e2e][mediation]") {
  ActionWorld world;
  ExpectAllowed(world.ws, {"write", world.P("open.txt"), "changed"}, "ok written", "file.write",
                world.P("open.txt"));
  CHECK(ReadFileText(world.P("open.txt")) == "changed");
  for (const char* mode : {"write", "append", "open-write", "truncate"}) {
    std::vector<std::string> probe = {mode, world.P("locked.txt")};
    if (std::string(mode) == "write" || std::string(mode) == "append") probe.push_back("x");
    ExpectDenied(
        world.ws, probe,
        {"file.write", world.P("locked.txt"), "", "no-write-locked", 13, world.P("locked.txt")});
  }
  CHECK(ReadFileText(world.P("locked.txt")) == "locked.txt\n");
}

TEST_CASE("file.create: an allowed file is created, a denied one does not appear",
          "[e2e][mediation]") {
  ActionWorld world;
  ExpectAllowed(world.ws, {"create", world.P("made.txt")}, "ok written", "file.create",
                world.P("made.txt"));
  CHECK(PathExists(world.P("made.txt")));
  ExpectDenied(world.ws, {"create", world.P("sealed/new.txt")},
               {"file.create", world.P("sealed/new.txt"), "", "no-create-sealed", 13,
                world.P("sealed/new.txt")});
  ExpectDenied(
      world.ws, {"mkdir", world.P("sealed/dir")},
      {"file.create", world.P("sealed/dir"), "", "no-create-sealed", 13, world.P("sealed/dir")});
  CHECK_FALSE(PathExists(world.P("sealed/new.txt")));
  CHECK_FALSE(PathExists(world.P("sealed/dir")));
}

TEST_CASE("file.delete: an allowed file is removed, a denied one stays", "[e2e][mediation]") {
  ActionWorld world;
  ExpectAllowed(world.ws, {"unlink", world.P("trash.txt")}, "ok unlinked", "file.delete",
                world.P("trash.txt"));
  CHECK_FALSE(PathExists(world.P("trash.txt")));
  ExpectDenied(world.ws, {"unlink", world.P("keep.txt")},
               {"file.delete", world.P("keep.txt"), "", "no-delete-keep", 13, world.P("keep.txt")});
  CHECK(ReadFileText(world.P("keep.txt")) == "keep.txt\n");
}

TEST_CASE("file.rename: an allowed rename moves the file, a denied one leaves it",
          "[e2e][mediation]") {
  ActionWorld world;
  auto allowed = ExpectAllowed(world.ws, {"rename", world.P("move-me.txt"), world.P("moved.txt")},
                               "ok renamed", "file.rename", world.P("move-me.txt"));
  CHECK(ReadFileText(world.P("moved.txt")) == "move-me.txt\n");
  CHECK_FALSE(PathExists(world.P("move-me.txt")));
  auto record = FindAction(allowed.records, "file.rename", world.P("move-me.txt"));
  REQUIRE(record);
  CHECK((*record)["action"]["to"] == world.P("moved.txt"));

  ExpectDenied(world.ws, {"rename", world.P("stay.txt"), world.P("gone.txt")},
               {"file.rename", world.P("stay.txt"), world.P("gone.txt"), "no-rename-stay", 13,
                world.P("stay.txt") + " -> " + world.P("gone.txt")});
  CHECK(ReadFileText(world.P("stay.txt")) == "stay.txt\n");
  CHECK_FALSE(PathExists(world.P("gone.txt")));
}

TEST_CASE("file.link: an allowed hard link is made, a denied one is not", "[e2e][mediation]") {
  ActionWorld world;
  ExpectAllowed(world.ws, {"link", world.P("linkable.txt"), world.P("second-name.txt")},
                "ok linked", "file.link", world.P("linkable.txt"));
  CHECK(ReadFileText(world.P("second-name.txt")) == "linkable.txt\n");
  // `path` matches either side: as the source and as the destination.
  ExpectDenied(world.ws, {"link", world.P("linked.txt"), world.P("alias.txt")},
               {"file.link", world.P("linked.txt"), world.P("alias.txt"), "no-link-linked", 13,
                world.P("linked.txt") + " -> " + world.P("alias.txt")});
  CHECK_FALSE(PathExists(world.P("alias.txt")));
}

TEST_CASE("file.chmod: an allowed mode change happens, a denied one does not", "[e2e][mediation]") {
  ActionWorld world;
  ExpectAllowed(world.ws, {"chmod", world.P("modable.txt")}, "ok changed", "file.chmod",
                world.P("modable.txt"));
  CHECK(ModeOf(world.P("modable.txt")) == 0777);
  ExpectDenied(world.ws, {"chmod", world.P("mode.txt")},
               {"file.chmod", world.P("mode.txt"), "", "no-chmod-mode", 13, world.P("mode.txt")});
  CHECK(ModeOf(world.P("mode.txt")) == 0644);
}

TEST_CASE("a quiet run (-q) records a denial without the line on standard error",
          "[e2e][mediation]") {
  ActionWorld world;
  auto run = RunRecorded(world.ws, {ProbePath(), "read", world.P("secret.txt")});
  CHECK(FirstLine(run.result.out) == "errno 13 EACCES");
  CHECK_THAT(run.result.err, !Catch::Contains("aarm:"));
  auto record = FindAction(run.records, "file.read", world.P("secret.txt"));
  REQUIRE(record);
  CHECK((*record)["decision"]["verdict"] == "deny");
  CHECK(VerifyProblems(world.ws, run.receipts).empty());
}

TEST_CASE("an audit run lets a deny rule through and records it as audit", "[e2e][mediation]") {
  ActionWorld world;
  auto run = RunRecorded(world.ws, {ProbePath(), "read", world.P("secret.txt")},
                         {.quiet = false, .options = {"--audit"}});
  CHECK(FirstLine(run.result.out) == "ok secret.txt\\n");
  CHECK_THAT(run.result.err, Catch::Contains("aarm: audit: would deny file.read " +
                                             world.P("secret.txt") + " (rule: no-read-secret)\n"));
  CHECK_THAT(run.result.err, !Catch::Contains("aarm: denied"));
  auto record = FindAction(run.records, "file.read", world.P("secret.txt"));
  REQUIRE(record);
  CHECK((*record)["decision"]["verdict"] == "deny");
  CHECK((*record)["decision"]["rule"] == "no-read-secret");
  CHECK((*record)["decision"]["by"] == "audit");
  CHECK((*record)["outcome"]["ok"] == true);
  CHECK(VerifyProblems(world.ws, run.receipts).empty());

  // A denied program runs too: neither the exec decision nor the exec guard stops it.
  auto exec = RunRecorded(world.ws, {ProbePath(), "exec", "/usr/bin/touch", world.P("audited")},
                          {.options = {"--audit"}});
  CHECK(exec.result.status == 0);
  CHECK(PathExists(world.P("audited")));
  record = FindAction(exec.records, "process.exec", "/usr/bin/touch");
  REQUIRE(record);
  CHECK((*record)["decision"]["by"] == "audit");
}

TEST_CASE("an audit run does not lift a forbid rule", "[e2e][mediation]") {
  ActionWorld world;
  auto run = RunRecorded(world.ws, {ProbePath(), "read", world.P("forbidden.txt")},
                         {.quiet = false, .options = {"--audit"}});
  CHECK(FirstLine(run.result.out) == "errno 13 EACCES");
  CHECK_THAT(run.result.err, Catch::Contains("aarm: denied file.read " + world.P("forbidden.txt") +
                                             " (rule: never-forbidden)\n"));
  auto record = FindAction(run.records, "file.read", world.P("forbidden.txt"));
  REQUIRE(record);
  CHECK((*record)["decision"]["verdict"] == "deny");
  CHECK((*record)["decision"]["by"] == "policy");
  CHECK((*record)["decision"]["forbidden"] == true);
  CHECK((*record)["outcome"]["errno"] == 13);
  CHECK(VerifyProblems(world.ws, run.receipts).empty());
}

TEST_CASE("a forbid rule beats an allow rule before it, a deny rule does not", "[e2e][mediation]") {
  ActionWorld world;
  world.ws.WriteProfile(
      ProfileToml({}) +
      RulesToml({{"project-readable", {"file.read"}, "path", {"{project}/**"}, "allow"},
                 {"late-deny", {"file.read"}, "path", {"{project}/secret.txt"}, "deny"},
                 {"late-forbid", {"file.read"}, "path", {"{project}/forbidden.txt"}, "forbid"}}));
  auto forbidden = ExpectDenied(
      world.ws, {"read", world.P("forbidden.txt")},
      {"file.read", world.P("forbidden.txt"), "", "late-forbid", 13, world.P("forbidden.txt")});
  auto record = FindAction(forbidden.records, "file.read", world.P("forbidden.txt"));
  REQUIRE(record);
  CHECK((*record)["decision"]["forbidden"] == true);

  auto allowed = ExpectAllowed(world.ws, {"read", world.P("secret.txt")}, "ok secret.txt\\n",
                               "file.read", world.P("secret.txt"));
  record = FindAction(allowed.records, "file.read", world.P("secret.txt"));
  REQUIRE(record);
  CHECK((*record)["decision"]["rule"] == "project-readable");
}

TEST_CASE("readonly and hide paths are guarded by built-in forbid rules, in audit runs too",
          "[e2e][mediation]") {
  ActionWorld world;
  WriteFileText(world.P(".git/hooks/pre-commit"), "#!/bin/sh\n");
  ProfileSpec spec;
  // .envrc and .env.local do not exist: no mount can guard them, the rules do.
  spec.readonly = {"{project}/.git/hooks", "{project}/.envrc"};
  spec.hide = {"{project}/.env.local"};
  world.ws.WriteProfile(ProfileToml(spec));
  struct Guarded {
    std::vector<std::string> probe;
    std::string kind;
    std::string path;
    std::string rule;
  };
  const std::vector<Guarded> guarded = {
      {{"create", world.P(".envrc")}, "file.create", world.P(".envrc"), "filesystem.readonly"},
      {{"create", world.P(".git/hooks/post-checkout")},
       "file.create",
       world.P(".git/hooks/post-checkout"),
       "filesystem.readonly"},
      {{"unlink", world.P(".git/hooks/pre-commit")},
       "file.delete",
       world.P(".git/hooks/pre-commit"),
       "filesystem.readonly"},
      {{"write", world.P(".env.local"), "TOKEN=x"},
       "file.create",
       world.P(".env.local"),
       "filesystem.hide"},
      {{"symlink", "/etc/passwd", world.P(".env.local")},
       "file.create",
       world.P(".env.local"),
       "filesystem.hide"},
  };
  for (const auto& audit : {false, true}) {
    for (const auto& g : guarded) {
      INFO((audit ? "--audit " : "") << Joined(g.probe));
      std::vector<std::string> command = {ProbePath()};
      command.insert(command.end(), g.probe.begin(), g.probe.end());
      auto run = RunRecorded(
          world.ws, command,
          {.options = audit ? std::vector<std::string>{"--audit"} : std::vector<std::string>{}});
      CHECK(FirstLine(run.result.out) == "errno 13 EACCES");
      auto record = FindAction(run.records, g.kind, g.path);
      REQUIRE(record);
      CHECK((*record)["decision"]["rule"] == g.rule);
      CHECK((*record)["decision"]["forbidden"] == true);
      CHECK((*record)["decision"]["by"] == "policy");
    }
  }
  CHECK_FALSE(PathExists(world.P(".envrc")));
  CHECK_FALSE(PathExists(world.P(".env.local")));
  CHECK_FALSE(PathExists(world.P(".git/hooks/post-checkout")));
  CHECK(PathExists(world.P(".git/hooks/pre-commit")));
}

}  // namespace
}  // namespace aarm::testing
