// The acting process a receipt names is the one that acted, even though the supervisor
// remembers processes between calls: an exec changes the binary recorded for the same pid, and
// a child whose parent died is recorded with its new parents, never the dead one.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/receipts.hpp"
#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

// The file.read records of `path`, in order.
std::vector<Json> ReadsOf(const std::vector<Json>& records, const std::string& path) {
  std::vector<Json> reads;
  for (const Json& record : ActionRecords(records, "file.read")) {
    if (record["action"]["path"] == path) reads.push_back(record);
  }
  return reads;
}

std::vector<int> Parents(const Json& record) {
  return record["action"]["process"]["ppids"].get<std::vector<int>>();
}

TEST_CASE("an exec changes the binary recorded for the same process", "[e2e][receipts]") {
  Workspace ws;
  WriteFileText(ws.Project("notes.txt"), "notes\n");
  ws.WriteProfile(ProfileToml({}));
  // One pid reads the file as python3, then, after an exec, as cat.
  auto run = RunRecorded(
      ws, {"python3", "-c",
           "import os\nopen('notes.txt').read()\nos.execv('/bin/cat', ['cat', 'notes.txt'])"});
  CHECK(run.result.status == 0);
  CHECK(run.result.out == "notes\n");
  CHECK(VerifyProblems(ws, run.receipts).empty());
  auto reads = ReadsOf(run.records, ws.Project("notes.txt"));
  REQUIRE(reads.size() == 2);
  const Json& before = reads[0]["action"]["process"];
  const Json& after = reads[1]["action"]["process"];
  CHECK(before["pid"] == after["pid"]);
  CHECK(before["exe"].get<std::string>().find("python3") != std::string::npos);
  CHECK(after["exe"] == std::filesystem::canonical("/bin/cat").string());
}

TEST_CASE("a child whose parent died is recorded without the dead parent", "[e2e][receipts]") {
  Workspace ws;
  WriteFileText(ws.Project("notes.txt"), "notes\n");
  // The child reads, tells its parent, which exits; the child reads again once reparented.
  // `| cat` keeps the session open until the child, which holds the pipe, is done.
  WriteFileText(ws.Project("orphan.py"),
                "import os, time\n"
                "ready_r, ready_w = os.pipe()\n"
                "parent = os.getpid()\n"
                "if os.fork() == 0:\n"
                "    open('notes.txt').read()\n"
                "    os.write(ready_w, b'x')\n"
                "    while os.getppid() == parent:\n"
                "        time.sleep(0.01)\n"
                "    open('notes.txt').read()\n"
                "    print('child', os.getpid(), 'was child of', parent, flush=True)\n"
                "    os._exit(0)\n"
                "os.read(ready_r, 1)\n");
  ws.WriteProfile(ProfileToml({}));
  auto run = RunRecorded(ws, {"sh", "-c", "python3 orphan.py | cat"});
  CHECK(run.result.status == 0);
  CHECK(run.result.out.rfind("child ", 0) == 0);
  CHECK(VerifyProblems(ws, run.receipts).empty());
  auto reads = ReadsOf(run.records, ws.Project("notes.txt"));
  REQUIRE(reads.size() == 2);
  CHECK(reads[0]["action"]["process"]["pid"] == reads[1]["action"]["process"]["pid"]);
  auto first = Parents(reads[0]);
  auto second = Parents(reads[1]);
  REQUIRE_FALSE(first.empty());
  int dead_parent = first.front();
  CHECK(std::find(second.begin(), second.end(), dead_parent) == second.end());
  CHECK(second.size() < first.size());
}

TEST_CASE("many short processes do not use up the supervisor's descriptors", "[e2e][receipts]") {
  // The supervisor remembers each acting process with pidfds of it and its parents. Under the
  // usual soft limit of 1024 descriptors, remembering every process that ever ran would leave
  // none for the files it opens on the agent's behalf.
  Workspace ws;
  WriteFileText(ws.Project("notes.txt"), "notes\n");
  ws.WriteProfile(ProfileToml({}));
  std::string receipts;
  ProcessOptions run = RecordingRun(
      ws,
      {"sh", "-c",
       "i=0; while [ $i -lt 600 ]; do cat notes.txt >/dev/null || echo failed; i=$((i+1)); "
       "done; echo done"},
      {}, &receipts);
  run.argv.insert(run.argv.begin(), {"/usr/bin/prlimit", "--nofile=512:512", "--"});
  ProcessResult result = RunProcess(run);
  INFO(result.err);
  CHECK(result.status == 0);
  CHECK(result.out == "done\n");
  CHECK(ReadsOf(ReadReceipts(receipts), ws.Project("notes.txt")).size() == 600);
  CHECK(VerifyProblems(ws, receipts).empty());
}

}  // namespace
}  // namespace aarm::testing
