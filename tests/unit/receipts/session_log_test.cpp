#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "aarm/receipts/canonical.hpp"
#include "receipt_files.hpp"

using namespace aarm::receipts;
using namespace aarm::receipts::testing;
using nlohmann::json;

namespace {

const std::string kSession = "33333333-3333-4333-8333-333333333333";

mode_t ModeOf(const std::string& path) {
  struct stat status {};
  REQUIRE(stat(path.c_str(), &status) == 0);
  return status.st_mode & 07777;
}

SessionLog StartedLog(const std::string& path, const std::string& session = kSession) {
  SessionLog log = OpenLog(path, NewKey(), session);
  REQUIRE(log.Start(TestIdentity(session, "claude"), TestProfile(), "intent", {}));
  return log;
}

}  // namespace

TEST_CASE("a session's records form a signed chain that verifies", "[receipts]") {
  TempDir dir;
  std::string path = dir / "state/aarm/receipts/s.jsonl";
  SessionLog log = OpenLog(path, NewKey(), kSession);
  CHECK(log.Head() == kGenesisHash);
  auto start = log.Start(TestIdentity(kSession, "claude"), TestProfile(), "fix the tests",
                         {"signing key is not pinned"});
  REQUIRE(start);
  CHECK(log.Head() == *start);
  Action(log, "/work/a", "allow");
  Action(log, "/etc/shadow", "deny");
  Action(log, "/work/b", "allow");
  REQUIRE(log.RecordSummary({{"allow", 7}}));
  auto end = log.End({3, std::nullopt}, {{"allow", 9}});
  REQUIRE(end);
  CHECK(log.Head() == *end);
  CHECK(log.RecordCount() == 6);
  CHECK(log.RecordedCounts() == DecisionCounts{{"allow", 2}, {"deny", 1}});
  CHECK(log.Closed());

  CHECK(ModeOf(path) == 0600);
  CHECK(ModeOf(dir / "state/aarm/receipts") == 0700);
  CHECK(ModeOf(dir / "state") == 0700);

  auto lines = ReadLines(path);
  REQUIRE(lines.size() == 6);
  json first = json::parse(lines[0]);
  CHECK(first["v"] == 1);
  CHECK(first["type"] == "session.start");
  CHECK(first["seq"] == 0);
  CHECK(first["prev"] == kGenesisHash);
  CHECK(first["key"]["alg"] == "ed25519");
  CHECK(first["key"]["pinned"] == false);
  CHECK(first["key"]["pub"] == log.Key().PublicKeyBase64());
  CHECK(first["profile"]["name"] == "workspace-dev");
  CHECK(first["profile"]["sha256"] == Sha256Hex(TestProfile().text));
  CHECK(first["profile"]["text"] == TestProfile().text);
  CHECK(first["profile"]["intent"] == "fix the tests");
  CHECK(first["warnings"] == json::array({"signing key is not pinned"}));
  CHECK(first["identity"]["human"]["uid"] == 1000);
  CHECK(first["identity"]["service"]["ci"] == "github-actions");
  std::string ts = first["ts"];
  CHECK(ts.size() == 27);
  CHECK(ts[10] == 'T');
  CHECK(ts[19] == '.');
  CHECK(ts.back() == 'Z');
  json last = json::parse(lines[5]);
  CHECK(last["type"] == "session.end");
  CHECK(last["exit"] == json{{"code", 3}});
  CHECK(last["summary"] == json{{"allow", 9}});
  for (size_t i = 1; i < lines.size(); ++i) {
    json record = json::parse(lines[i]);
    CHECK(record["seq"] == i);
    CHECK(record["prev"] == json::parse(lines[i - 1])["hash"]);
  }

  FileReport report = Check(path);
  INFO(AllProblems(report));
  CHECK(report.Intact());
  REQUIRE(report.sessions.size() == 1);
  CHECK(report.sessions[0].complete);
  CHECK(report.sessions[0].records == 6);
  CHECK(report.sessions[0].head == *end);
}

TEST_CASE("the hash covers the canonical form without hash and sig", "[receipts]") {
  TempDir dir;
  SessionLog log = StartedLog(dir / "r.jsonl");
  json record = json::parse(ReadLines(dir / "r.jsonl")[0]);
  std::string hash = record["hash"];
  record.erase("hash");
  record.erase("sig");
  CHECK(Sha256Hex(*Canonicalize(record)) == hash);
}

TEST_CASE("hostile strings cannot break a line or the chain", "[receipts]") {
  TempDir dir;
  std::string path = dir / "r.jsonl";
  SessionLog log = StartedLog(path);
  std::vector<std::string> hostile = {
      "/tmp/a\nb",
      "/tmp/\r\n{\"type\":\"session.end\"}",
      "/tmp/sep\xe2\x80\xa8here\xe2\x80\xa9",
      "/tmp/\x1b[2J\x1b]0;pwned\x07",
      "/tmp/\"quoted\"\\back",
      std::string("/tmp/nul\0byte", 13),
      "/tmp/\xff\xfe\xc0\xaf",
      "/tmp/" + std::string(4096, 'x'),
      "/tmp/" + std::string(4096, '\n'),
  };
  for (const std::string& path_text : hostile) Action(log, path_text, "allow");
  REQUIRE(log.RecordAction({{"kind", "exec"}, {"argv", {"sh", "-c", "echo \x80\n"}}},
                           json::object(), {{"verdict", "deny"}}, {{"ok", false}, {"errno", 1}}));
  REQUIRE(log.End({0, std::nullopt}, {}));

  auto lines = ReadLines(path);
  REQUIRE(lines.size() == hostile.size() + 3);
  for (const std::string& line : lines) {
    for (char c : line) REQUIRE((c >= 0x20 && c <= 0x7e));
  }
  for (size_t i = 0; i < hostile.size(); ++i) {
    json action = json::parse(lines[i + 1])["action"];
    if (action.contains("path_b64")) {
      CHECK(*Base64Decode(action["path_b64"].get<std::string>()) == hostile[i]);
    } else {
      CHECK(action["path"] == hostile[i]);
    }
  }
  json exec = json::parse(lines[hostile.size() + 1])["action"];
  CHECK(*Base64Decode(exec["argv_b64"][2].get<std::string>()) == "echo \x80\n");
  FileReport report = Check(path);
  INFO(AllProblems(report));
  CHECK(report.Intact());
}

TEST_CASE("the log refuses records out of place", "[receipts]") {
  TempDir dir;
  SessionLog log = OpenLog(dir / "r.jsonl", NewKey(), kSession);
  CHECK_FALSE(
      log.RecordAction({{"kind", "exec"}}, json::object(), {{"verdict", "allow"}}, {{"ok", true}}));
  CHECK_FALSE(log.End({0, std::nullopt}, {}));
  CHECK_FALSE(log.Start(TestIdentity("another-session", "claude"), TestProfile(), "", {}));
  ProfileRecord wrong_hash = TestProfile();
  wrong_hash.sha256 = std::string(64, '0');
  CHECK_FALSE(log.Start(TestIdentity(kSession, "claude"), wrong_hash, "", {}));
  REQUIRE(log.Start(TestIdentity(kSession, "claude"), TestProfile(), "", {}));
  CHECK_FALSE(log.Start(TestIdentity(kSession, "claude"), TestProfile(), "", {}));
  CHECK_FALSE(log.RecordAction({{"kind", "exec"}}, json::object(), {{"verdict", "allow"}},
                               {{"ok", true}, {"ratio", 0.5}}));
  CHECK_FALSE(
      log.RecordAction("not an object", json::object(), {{"verdict", "allow"}}, {{"ok", true}}));
  CHECK_FALSE(log.End({0, 9}, {}));
  CHECK_FALSE(log.Closed());  // refused records are not write failures
  REQUIRE(log.End({std::nullopt, 9}, {}));
  CHECK_FALSE(log.RecordSummary({}));
  CHECK(ReadLines(dir / "r.jsonl").size() == 2);
  CHECK(Check(dir / "r.jsonl").Intact());
}

TEST_CASE("a session cut off without session.end is incomplete, not corrupt", "[receipts]") {
  TempDir dir;
  std::string path = dir / "r.jsonl";
  {
    SessionLog log = StartedLog(path);
    Action(log, "/work/a", "allow");
    Action(log, "/work/b", "deny");
    // Dropped here, as if aarm-run were killed with SIGKILL.
  }
  FileReport report = Check(path);
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].line == 3);
  CHECK(report.problems[0].reason.find("incomplete") != std::string::npos);
  CHECK(report.records == 3);
}

TEST_CASE("a writer killed with SIGKILL leaves an incomplete session, nothing worse",
          "[receipts]") {
  TempDir dir;
  std::string path = dir / "r.jsonl";
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto log = SessionLog::Open(path, *SigningKey::Generate(), kSession);
    if (!log || !log->Start(TestIdentity(kSession, "claude"), TestProfile(), "", {})) _exit(1);
    for (int i = 0; i < 50; ++i) {
      if (!log->RecordAction({{"kind", "file.read"}, {"path", "/w"}}, json::object(),
                             {{"verdict", "allow"}}, {{"ok", true}})) {
        _exit(1);
      }
    }
    raise(SIGKILL);
    _exit(1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  FileReport report = Check(path);
  INFO(AllProblems(report));
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].line == 51);
  CHECK(report.problems[0].reason.find("incomplete") != std::string::npos);
}

TEST_CASE("ForEachRecord streams records and skips what is not one", "[receipts]") {
  TempDir dir;
  std::string path = dir / "r.jsonl";
  {
    SessionLog log = StartedLog(path);
    REQUIRE(log.End({0, std::nullopt}, {}));
  }
  std::vector<std::string> lines = ReadLines(path);
  lines.insert(lines.begin() + 1, "garbage");
  lines.insert(lines.begin() + 1, "[1]");
  WriteLines(path, lines);
  std::vector<uint64_t> seen;
  REQUIRE(ForEachRecord(path, [&](uint64_t line, json&& record) {
    CHECK(record["session"] == kSession);
    seen.push_back(line);
    return true;
  }));
  CHECK(seen == std::vector<uint64_t>{1, 4});
  CHECK_FALSE(ForEachRecord(dir / "absent", [](uint64_t, json&&) { return true; }));
}

TEST_CASE("several sessions append to one file concurrently without damage", "[receipts]") {
  TempDir dir;
  std::string path = dir / "shared.jsonl";
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      std::string session = "44444444-4444-4444-8444-00000000000" + std::to_string(w);
      auto log = SessionLog::Open(path, *SigningKey::Generate(), session);
      if (!log) return;
      log->Start(TestIdentity(session, "agent"), TestProfile(), "", {});
      for (int i = 0; i < 200; ++i) {
        log->RecordAction({{"kind", "file.read"}, {"path", "/w/" + std::to_string(i)}},
                          json::object(), {{"verdict", "allow"}}, {{"ok", true}});
      }
      log->End({0, std::nullopt}, {});
    });
  }
  for (auto& writer : writers) writer.join();
  FileReport report = Check(path);
  INFO(AllProblems(report));
  CHECK(report.Intact());
  CHECK(report.sessions.size() == 4);
  CHECK(report.records == 4 * 202);
}

TEST_CASE("a log is shared between threads of one session", "[receipts]") {
  TempDir dir;
  std::string path = dir / "r.jsonl";
  SessionLog log = StartedLog(path);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) Action(log, "/w", i % 2 ? "allow" : "deny");
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(log.End({0, std::nullopt}, {}));
  CHECK(log.RecordedCounts() == DecisionCounts{{"allow", 200}, {"deny", 200}});
  CHECK(Check(path).Intact());
}

TEST_CASE("threads go on recording while the once-a-second sync runs", "[receipts]") {
  TempDir dir;
  std::string path = dir / "r.jsonl";
  SessionLog log = StartedLog(path);
  // Longer than the sync interval, so that at least one sync runs while others record.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1300);
  std::atomic<uint64_t> recorded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      while (std::chrono::steady_clock::now() < until) {
        Action(log, "/w", "allow");
        ++recorded;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(log.End({0, std::nullopt}, {}));
  CHECK(log.RecordCount() == recorded + 2);
  CHECK(log.RecordedCounts() == DecisionCounts{{"allow", recorded}});
  FileReport report = Check(path);
  INFO(AllProblems(report));
  CHECK(report.Intact());
  CHECK(report.records == recorded + 2);
}

TEST_CASE("a fragment left by a crash does not swallow the next session", "[receipts]") {
  TempDir dir;
  std::string path = dir / "r.jsonl";
  WriteFile(path, "{\"v\":1,\"type\":\"act");  // a write cut short
  {
    SessionLog log = StartedLog(path);
    REQUIRE(log.End({0, std::nullopt}, {}));
  }
  FileReport report = Check(path);
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].line == 1);
  CHECK(report.sessions.size() == 1);
  CHECK(report.sessions[0].complete);
}

TEST_CASE("a full disk fails the write and closes the log (/dev/full)", "[receipts]") {
  if (access("/dev/full", W_OK) != 0) {
    WARN("skipped: /dev/full is not writable here");
    return;
  }
  SessionLog log = OpenLog("/dev/full", NewKey(), kSession);
  auto start = log.Start(TestIdentity(kSession, "claude"), TestProfile(), "", {});
  REQUIRE_FALSE(start);
  CHECK(start.error().sys_errno == ENOSPC);
  CHECK(start.error().Describe().find("/dev/full") != std::string::npos);
  CHECK(log.Closed());
  auto again = log.Start(TestIdentity(kSession, "claude"), TestProfile(), "", {});
  REQUIRE_FALSE(again);
  CHECK(again.error().message.find("refuses records after a failed write") != std::string::npos);
  CHECK(log.Head() == kGenesisHash);
}

TEST_CASE("a full file system fails the write and closes the log (tmpfs)", "[receipts]") {
  TempDir dir;
  std::string mount_point = dir / "tiny";
  REQUIRE(mkdir(mount_point.c_str(), 0700) == 0);
  if (mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=64k") != 0) {
    WARN("skipped: cannot mount a tmpfs here (" << std::strerror(errno)
                                                << "); needs root in a mount namespace");
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};

  std::string path = mount_point + "/r.jsonl";
  SessionLog log = StartedLog(path);
  aarm::Result<std::string> last = std::string();
  int written = 0;
  while (last && written < 10000) {
    last = log.RecordAction({{"kind", "file.write"}, {"path", std::string(1000, 'p')}},
                            json::object(), {{"verdict", "allow"}}, {{"ok", true}});
    if (last) ++written;
  }
  REQUIRE_FALSE(last);
  CHECK(last.error().sys_errno == ENOSPC);
  CHECK(written > 10);
  CHECK(log.Closed());
  CHECK_FALSE(log.End({0, std::nullopt}, {}));
  CHECK(log.RecordCount() == static_cast<uint64_t>(written) + 1);
  // What did reach the disk still verifies up to where the space ran out.
  FileReport report = Check(path);
  for (const auto& problem : report.problems) {
    INFO(problem.line << ": " << problem.reason);
    CHECK(problem.line >= static_cast<uint64_t>(written) + 1);
  }
}
