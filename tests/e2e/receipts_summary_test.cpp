// Reads of public data are counted, not recorded one by one: the receipts hold `summary` records
// while they flow and the final counts in session.end, and still record every other read, every
// denial, and every read when the profile asks for them all.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/receipts.hpp"
#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

// A file every system has under /usr, by the name the supervisor resolves it to.
std::string PublicFile() { return std::filesystem::canonical("/usr/bin/env").string(); }

// The test profile with /usr labelled public, `session` keys added to its [session] table and
// `rules` after it.
std::string LabelledProfile(const std::string& session = "",
                            const std::vector<TestRule>& rules = {}) {
  std::string toml = ProfileToml({});
  const std::string table = "[session]\n";
  toml.insert(toml.find(table) + table.size(), session);
  return toml + "\n[[label]]\nname = \"public\"\npaths = [\"/usr/**\"]\n" + RulesToml(rules);
}

// The file.read records of `path`.
size_t ReadsOf(const std::vector<Json>& records, const std::string& path) {
  const auto reads = ActionRecords(records, "file.read");
  return static_cast<size_t>(std::count_if(reads.begin(), reads.end(), [&](const Json& record) {
    return record["action"].value("path", "") == path;
  }));
}

uint64_t Allowed(const Json& record) { return record["summary"].value("allow", uint64_t{0}); }

std::vector<Json> Summaries(const std::vector<Json>& records) {
  std::vector<Json> summaries;
  for (const Json& record : records) {
    if (record["type"] == "summary") summaries.push_back(record);
  }
  return summaries;
}

TEST_CASE("reads of public files are counted in session.end, not recorded",
          "[e2e][receipts][summary]") {
  Workspace ws;
  ws.WriteProfile(LabelledProfile());
  const std::string file = PublicFile();
  const std::string status_file = ws.Root() + "/status.json";
  const int status_fd = open(status_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(status_fd >= 0);
  std::string receipts;
  // The probe is static: the reads of its loop are all the reads there are.
  auto options = RecordingRun(ws, {ProbePath(), "open-loop", file, "3000", "no-marker"},
                              {.options = {"--status-fd", std::to_string(status_fd)}}, &receipts);
  options.inherit_fds = {status_fd};
  auto result = RunProcess(options);
  close(status_fd);
  REQUIRE(result.status == 0);
  CHECK(FirstLine(result.out) == "ok opened=3000 refused=0 marker=0");

  auto records = ReadReceipts(receipts);
  REQUIRE_FALSE(records.empty());
  CHECK(ReadsOf(records, file) == 0);
  CHECK(ActionRecords(records, "file.read").empty());
  CHECK(FindAction(records, "process.exec", ProbePath()));
  const Json& end = records.back();
  REQUIRE(end["type"] == "session.end");
  CHECK(Allowed(end) == 3000);
  CHECK(end["summary"].size() == 1);
  // --status-fd counts them with the recorded actions.
  auto json = Json::parse(ReadFileText(status_file));
  CHECK(json["counts"]["allow"] ==
        3000 + ActionRecords(records).size());  // the exec, allowed, and nothing else
  CHECK(VerifyProblems(ws, receipts).empty());

  auto shown = RunAarm(ws, {"show", receipts});
  CHECK(shown.status == 0);
  CHECK_THAT(shown.out, Catch::Contains("end  exit 0; not recorded one by one: allow=3000"));
}

TEST_CASE("summary records are written while counted reads flow, and never count backwards",
          "[e2e][receipts][summary]") {
  Workspace ws;
  ws.WriteProfile(LabelledProfile());
  const std::string file = PublicFile();
  const std::string loop = "'" + ProbePath() + "' open-loop " + file + " 300 no-marker";
  // Reads in bursts across more than a second; the shell's and sleep's loader reads of their
  // libraries under /usr are counted too.
  const std::vector<std::string> command = {
      "sh", "-c", loop + "; sleep 0.7; " + loop + "; sleep 0.7; " + loop + "; cat notes.txt"};
  WriteFileText(ws.Project("notes.txt"), "notes\n");
  auto run = RunRecorded(ws, command);
  REQUIRE(run.result.status == 0);
  CHECK(VerifyProblems(ws, run.receipts).empty());
  CHECK(ReadsOf(run.records, file) == 0);
  // What no label covers is still recorded one by one.
  auto notes = FindAction(run.records, "file.read", ws.Project("notes.txt"));
  REQUIRE(notes);
  CHECK((*notes)["action"]["process"]["pid"] > 0);
  for (const Json& read : ActionRecords(run.records, "file.read")) {
    CHECK(read["action"]["path"].get<std::string>().rfind("/usr/", 0) != 0);
  }

  const auto summaries = Summaries(run.records);
  REQUIRE_FALSE(summaries.empty());
  const Json& end = run.records.back();
  REQUIRE(end["type"] == "session.end");
  uint64_t previous = 0;
  for (const Json& summary : summaries) {
    CHECK(Allowed(summary) >= previous);
    CHECK(summary["summary"].size() == 1);
    previous = Allowed(summary);
  }
  CHECK(previous > 300);
  CHECK(Allowed(end) >= previous);

  // The same session recording every read: the reads it records under /usr are exactly those
  // counted above.
  ws.WriteProfile(LabelledProfile("record_reads = \"all\"\n"));
  auto all = RunRecorded(ws, command);
  REQUIRE(all.result.status == 0);
  CHECK(VerifyProblems(ws, all.receipts).empty());
  size_t under_usr = 0;
  for (const Json& read : ActionRecords(all.records, "file.read")) {
    if (read["decision"]["verdict"] == "allow" &&
        read["action"]["path"].get<std::string>().rfind("/usr/", 0) == 0) {
      ++under_usr;
    }
  }
  CHECK(ReadsOf(all.records, file) == 900);
  CHECK(under_usr == Allowed(end));
  CHECK(Summaries(all.records).empty());
  CHECK(all.records.back()["summary"].empty());
}

TEST_CASE("a denied read of a public file is recorded with who attempted it",
          "[e2e][receipts][summary]") {
  Workspace ws;
  const std::string file = PublicFile();
  ws.WriteProfile(
      LabelledProfile("", {{"no-env", {"file.read"}, "path", {file}, "deny"}}));
  auto run = RunRecorded(ws, {ProbePath(), "read", file});
  CHECK(FirstLine(run.result.out) == "errno 13 EACCES");
  auto denied = FindAction(run.records, "file.read", file);
  REQUIRE(denied);
  CHECK((*denied)["decision"]["verdict"] == "deny");
  CHECK((*denied)["decision"]["rule"] == "no-env");
  CHECK((*denied)["action"]["process"]["pid"] > 0);
  CHECK((*denied)["action"]["process"]["exe"] == ProbePath());
  CHECK(run.records.back()["summary"].empty());
  CHECK(VerifyProblems(ws, run.receipts).empty());

  // Let through by --audit, it is still a denial: recorded, not counted.
  auto audited = RunRecorded(ws, {ProbePath(), "read", file}, {.options = {"--audit"}});
  CHECK(FirstLine(audited.result.out).rfind("ok", 0) == 0);
  auto recorded = FindAction(audited.records, "file.read", file);
  REQUIRE(recorded);
  CHECK((*recorded)["decision"]["by"] == "audit");
  CHECK(audited.records.back()["summary"].empty());
  CHECK(VerifyProblems(ws, audited.receipts).empty());
}

TEST_CASE("record_reads = \"all\" records every read of public files",
          "[e2e][receipts][summary]") {
  Workspace ws;
  ws.WriteProfile(LabelledProfile("record_reads = \"all\"\n"));
  const std::string file = PublicFile();
  auto run = RunRecorded(ws, {ProbePath(), "open-loop", file, "50", "no-marker"});
  REQUIRE(run.result.status == 0);
  CHECK(ReadsOf(run.records, file) == 50);
  auto read = FindAction(run.records, "file.read", file);
  REQUIRE(read);
  CHECK((*read)["action"]["process"]["exe"] == ProbePath());
  CHECK(Summaries(run.records).empty());
  CHECK(run.records.back()["summary"].empty());
  CHECK(VerifyProblems(ws, run.receipts).empty());
}

TEST_CASE("without labels every read is unclassified, secret, and recorded",
          "[e2e][receipts][summary]") {
  Workspace ws;
  const std::string file = PublicFile();
  auto run = RunRecorded(ws, {ProbePath(), "open-loop", file, "20", "no-marker"});
  REQUIRE(run.result.status == 0);
  CHECK(ReadsOf(run.records, file) == 20);
  CHECK(run.records.back()["summary"].empty());
}

}  // namespace
}  // namespace aarm::testing
