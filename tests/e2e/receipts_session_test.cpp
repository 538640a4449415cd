// The receipts of real sessions: they verify, `aarm show` reads them, a session cut short is
// reported incomplete, the human is who the kernel says, the status on --status-fd names the
// head `aarm verify --expect-head` checks, and a full disk stops the session.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "support/receipts.hpp"
#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

const std::vector<TestRule> kRules = {
    {"no-read-secret", {"file.read"}, "path", {"{project}/secret.txt"}, "deny"},
    {"no-touch", {"process.exec"}, "path", {"/usr/bin/touch"}, "deny"},
};

struct ReceiptWorld {
  Workspace ws;

  ReceiptWorld() {
    WriteFileText(ws.Project("notes.txt"), "notes\n");
    WriteFileText(ws.Project("secret.txt"), "secret\n");
    ws.WriteProfile(ProfileToml({}) + RulesToml(kRules));
  }
};

std::string Quoted(const std::string& word) { return "'" + word + "'"; }

std::string UserName(uid_t uid) {
  const passwd* pw = getpwuid(uid);
  return pw ? pw->pw_name : std::to_string(uid);
}

TEST_CASE("a session's receipts verify and aarm show lists its denials", "[e2e][receipts]") {
  ReceiptWorld world;
  const auto& ws = world.ws;
  auto run = RunRecorded(
      ws, {"sh", "-c",
           "cat notes.txt; cat secret.txt; touch touched; " + Quoted(ProbePath()) + " ids"});
  CHECK(run.result.status == 0);
  CHECK(run.result.out.rfind("notes\n", 0) == 0);
  CHECK(VerifyProblems(ws, run.receipts).empty());

  REQUIRE(run.records.size() >= 4);
  CHECK(run.records.front()["type"] == "session.start");
  CHECK(run.records.front()["key"]["pinned"] == true);
  CHECK(run.records.back()["type"] == "session.end");
  CHECK(run.records.back()["exit"]["code"] == 0);
  for (size_t i = 0; i < run.records.size(); ++i) {
    CHECK(run.records[i]["seq"] == i);
    if (i > 0) CHECK(run.records[i]["prev"] == run.records[i - 1]["hash"]);
  }
  auto read = FindAction(run.records, "file.read", ws.Project("secret.txt"));
  REQUIRE(read);
  CHECK((*read)["decision"]["rule"] == "no-read-secret");
  auto exec = FindAction(run.records, "process.exec", "/usr/bin/touch");
  REQUIRE(exec);
  CHECK((*exec)["decision"]["rule"] == "no-touch");
  // The acting process is the shell's child, before the exec replaced it.
  CHECK((*exec)["action"]["process"]["exe"] == std::filesystem::canonical("/bin/sh").string());

  auto shown = RunAarm(ws, {"show", run.receipts});
  CHECK(shown.status == 0);
  CHECK_THAT(shown.out, Catch::Contains("file.read " + ws.Project("secret.txt") +
                                        "  deny rule no-read-secret  EACCES"));
  CHECK_THAT(shown.out, Catch::Contains("process.exec touch touched  deny rule no-touch  EPERM"));
  CHECK_THAT(shown.out, Catch::Contains("file.read " + ws.Project("notes.txt") + "  allow  ok"));
  CHECK_THAT(shown.out, Catch::Contains("human    uid " + std::to_string(getuid()) + " (" +
                                        UserName(getuid()) + ")"));
  CHECK_THAT(shown.out, Catch::Contains("end  exit 0"));
}

TEST_CASE("aarm show prints a crafted closing record escaped, and says the file does not verify",
          "[e2e][receipts]") {
  Workspace ws;
  const std::string crafted = ws.Root() + "/crafted.jsonl";
  // What a connection carried, as a hostile file may claim it: a terminal escape, no count.
  WriteFileText(crafted,
                R"({"type":"action","seq":1,"session":"s","action":{"kind":"net.connect",)"
                R"("host":"x.test","port":443},"decision":{"verdict":"allow"},"outcome":)"
                R"({"ok":true,"closed":true,"bytes_up":"\u001b]0;x\u0007"}})"
                "\n");
  auto shown = RunAarm(ws, {"show", crafted});
  CHECK(shown.status == 1);
  CHECK_THAT(shown.out, Catch::Contains("net.connect x.test:443  allow  closed, \\x1b]0;x\\x07 "
                                        "bytes up, ? down"));
  CHECK(shown.out.find('\x1b') == std::string::npos);
  CHECK_THAT(shown.err, Catch::Contains("does not verify"));
}

TEST_CASE("a session whose aarm-run was killed is reported incomplete, the rest verifies",
          "[e2e][receipts]") {
  ReceiptWorld world;
  const auto& ws = world.ws;
  std::string token = UniqueToken("killed-session");
  std::string receipts;
  Process process(RecordingRun(ws,
                               {"sh", "-c",
                                "cat notes.txt; cat secret.txt; echo ready; exec " +
                                    Quoted(ProbePath()) + " sleep " + token},
                               {}, &receipts));
  REQUIRE(process.WaitForOutput("ready", milliseconds(20000)));
  // The exec of the sleeper is recorded before it runs: wait for it, then kill mid-session.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ReadFileText(receipts).find(token) == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  process.Signal(SIGKILL);
  CHECK(process.Wait(milliseconds(10000)).status == 128 + SIGKILL);
  // The agent's tree dies with the supervisor.
  CHECK(NoProcessWithin(token, milliseconds(5000)));

  auto records = ReadReceipts(receipts);
  REQUIRE_FALSE(records.empty());
  CHECK(records.back()["type"] != "session.end");
  CHECK(FindAction(records, "file.read", ws.Project("secret.txt")));

  auto verified = RunAarm(ws, {"verify", "--key", PublicKey(ws), receipts});
  CHECK(verified.status == 1);
  CHECK_THAT(verified.err, Catch::Contains("incomplete"));
  // The only problem is the missing end: every record that was written verifies.
  CHECK(std::count(verified.err.begin(), verified.err.end(), '\n') == 1);
  auto report = RunAarm(ws, {"verify", "--json", "--key", PublicKey(ws), receipts});
  auto json = Json::parse(report.out);
  REQUIRE(json["files"].size() == 1);
  const auto& file = json["files"][0];
  CHECK(file["records"] == records.size());
  REQUIRE(file["problems"].size() == 1);
  CHECK_THAT(file["problems"][0]["reason"].get<std::string>(), Catch::Contains("incomplete"));
  REQUIRE(file["sessions"].size() == 1);
  CHECK(file["sessions"][0]["complete"] == false);
  CHECK(file["sessions"][0]["records"] == records.size());
}

TEST_CASE("the human recorded is the real uid, whatever USER and LOGNAME say", "[e2e][receipts]") {
  ReceiptWorld world;
  const auto& ws = world.ws;
  // Run unprivileged, the environment claims root; run as root, it claims someone else.
  std::string claimed = getuid() == 0 ? "nobody" : "root";
  std::string receipts;
  auto options = RecordingRun(ws, {"true"}, {}, &receipts);
  for (auto& var : options.env) {
    if (var.rfind("USER=", 0) == 0) var = "USER=" + claimed;
    if (var.rfind("LOGNAME=", 0) == 0) var = "LOGNAME=" + claimed;
  }
  options.env.push_back("SUDO_USER=" + claimed);
  REQUIRE(RunProcess(options).status == 0);
  auto records = ReadReceipts(receipts);
  REQUIRE_FALSE(records.empty());
  const auto& human = records.front()["identity"]["human"];
  CHECK(human["uid"] == getuid());
  CHECK(human["user"] == UserName(getuid()));
  CHECK(human.value("user", "") != claimed);
  // SUDO_USER counts only where sudo sets it: for a real uid of 0.
  if (getuid() != 0) CHECK(human.value("sudo_user", Json()).is_null());
  CHECK(VerifyProblems(ws, receipts).empty());
}

TEST_CASE("the status on --status-fd names the head of the log that verify --expect-head checks",
          "[e2e][receipts]") {
  ReceiptWorld world;
  const auto& ws = world.ws;
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  std::string receipts;
  auto options = RecordingRun(ws, {"sh", "-c", "cat secret.txt; exit 3"},
                              {.options = {"--status-fd", std::to_string(fds[1])}}, &receipts);
  options.inherit_fds = {fds[1]};
  auto result = RunProcess(options);
  close(fds[1]);
  std::string status;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) status.append(buffer, n);
  close(fds[0]);
  CHECK(result.status == 3);

  REQUIRE(std::count(status.begin(), status.end(), '\n') == 1);
  auto json = Json::parse(status);
  auto records = ReadReceipts(receipts);
  REQUIRE_FALSE(records.empty());
  std::string head = json["head"];
  CHECK(head == records.back()["hash"]);
  CHECK(json["records"] == records.size());
  CHECK(json["session"] == records.back()["session"]);
  CHECK(json["exit_status"] == 3);
  CHECK(json["receipts"] == receipts);
  CHECK(json["counts"]["deny"] == 1);

  auto expected = RunAarm(ws, {"verify", "--key", PublicKey(ws), "--expect-head", head, receipts});
  CHECK(expected.status == 0);
  std::string wrong = head;
  wrong[10] = wrong[10] == '0' ? '1' : '0';
  auto mismatch = RunAarm(ws, {"verify", "--key", PublicKey(ws), "--expect-head", wrong, receipts});
  CHECK(mismatch.status == 1);
  CHECK_FALSE(mismatch.err.empty());
}

// A tmpfs of a few pages, mounted for one test and gone with it.
class TinyFilesystem {
 public:
  explicit TinyFilesystem(const std::string& path) : path_(path) {
    mkdir(path.c_str(), 0755);
    mounted_ = mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") == 0;
  }
  ~TinyFilesystem() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  bool Mounted() const { return mounted_; }

  // Writes zeros to a file of its own until the filesystem is full.
  void Fill() const {
    int fd = open((path_ + "/filler").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    char zeros[4096] = {};
    while (fd >= 0 && write(fd, zeros, sizeof zeros) > 0) {
    }
    if (fd >= 0) close(fd);
  }

 private:
  std::string path_;
  bool mounted_ = false;
};

TEST_CASE("receipts on a full disk stop the session with 125 and deny the action",
          "[e2e][receipts]") {
  if (geteuid() != 0) {
    WARN("skipped: mounting a tiny tmpfs for a full disk needs root");
    return;
  }
  ReceiptWorld world;
  const auto& ws = world.ws;
  TinyFilesystem full(ws.Root() + "/full");
  REQUIRE(full.Mounted());
  REQUIRE(mkfifo(ws.Project("go").c_str(), 0600) == 0);
  std::string receipts;
  Process process(RecordingRun(
      ws,
      {"sh", "-c",
       "read x < go; i=0; while [ $i -lt 20 ]; do if read y < notes.txt; then echo \"got $y\"; "
       "else echo refused; fi; i=$((i+1)); done"},
      {.receipts = ws.Root() + "/full/receipts.jsonl"}, &receipts));
  // Once the open of the FIFO is recorded, the agent waits in it: fill the disk, then let it go.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((!PathExists(receipts) ||
          ReadFileText(receipts).find(ws.Project("go")) == std::string::npos) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  full.Fill();
  int go = open(ws.Project("go").c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(go >= 0);
  REQUIRE(write(go, "x\n", 2) == 2);
  close(go);
  auto result = process.Wait(milliseconds(30000));

  CHECK(result.status == 125);
  // The agent's read that could not be recorded was refused, and nothing ran after it.
  CHECK_THAT(result.out, Catch::Contains("refused"));
  CHECK(result.out.find("got", result.out.find("refused")) == std::string::npos);
  // One line from aarm-run, saying why.
  std::vector<std::string> own;
  std::istringstream err(result.err);
  for (std::string line; std::getline(err, line);) {
    if (line.rfind("aarm-run:", 0) == 0) own.push_back(line);
  }
  REQUIRE(own.size() == 1);
  CHECK_THAT(own[0], Catch::Contains(receipts));
  CHECK_THAT(own[0], Catch::Contains("No space left on device"));
}

}  // namespace
}  // namespace aarm::testing
