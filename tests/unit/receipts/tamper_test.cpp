// Every way of altering a receipt file must fail `aarm verify` naming the line where it happened.
#include <functional>

#include "aarm/receipts/canonical.hpp"
#include "receipt_files.hpp"

using namespace aarm::receipts;
using namespace aarm::receipts::testing;
using nlohmann::json;

namespace {

std::string HexToBytes(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

// A record as someone holding `key` would write it: re-hashed and re-signed.
std::string Forge(json record, const SigningKey& key) {
  record.erase("hash");
  record.erase("sig");
  std::string hash = Sha256Hex(*Canonicalize(record));
  record["hash"] = hash;
  record["sig"] = *key.Sign(HexToBytes(hash));
  return *Canonicalize(record);
}

// A record with a field changed and its hash recomputed, but no key to sign it with.
std::string Rehash(json record) {
  record.erase("hash");
  std::string sig = record["sig"];
  record.erase("sig");
  record["hash"] = Sha256Hex(*Canonicalize(record));
  record["sig"] = sig;
  return *Canonicalize(record);
}

struct Fixture {
  TempDir dir;
  SigningKey key = NewKey();
  TwoSessions file = WriteTwoSessions(dir / "receipts.jsonl", key);
  std::vector<std::string> lines = ReadLines(file.path);

  FileReport Tampered(const std::vector<std::string>& changed, const VerifyOptions& options = {}) {
    std::string path = dir / "tampered.jsonl";
    WriteLines(path, changed);
    return Check(path, options);
  }
};

void ExpectProblemAt(const FileReport& report, uint64_t line, const std::string& words) {
  INFO("problems:\n" << AllProblems(report));
  CHECK_FALSE(report.Intact());
  CHECK(ReasonsAt(report, line).find(words) != std::string::npos);
}

}  // namespace

TEST_CASE("the untouched multi-session file verifies", "[receipts]") {
  Fixture f;
  REQUIRE(f.lines.size() == 13);
  FileReport report = Check(f.file.path);
  INFO(AllProblems(report));
  CHECK(report.Intact());
  CHECK(report.records == 13);
  REQUIRE(report.sessions.size() == 2);
  CHECK(report.sessions[0].id == f.file.session_a);
  CHECK(report.sessions[0].records == 6);
  CHECK(report.sessions[0].first_line == 1);
  CHECK(report.sessions[0].last_line == 9);
  CHECK(report.sessions[0].head == f.file.head_a);
  CHECK(report.sessions[1].records == 7);
  CHECK(report.sessions[1].head == f.file.head_b);
  CHECK(report.sessions[1].key == f.key.PublicKeyBase64());

  VerifyOptions pinned;
  pinned.pinned_key = f.key.PublicKeyBase64();
  pinned.expect_head = f.file.head_b;
  VerifyReport full = Verify({f.file.path}, pinned);
  CHECK(full.Intact());
}

TEST_CASE("any single changed byte is caught on its own line", "[receipts]") {
  Fixture f;
  // Session A alone (a start, actions, a summary, an end) keeps the thousands of runs quick.
  std::vector<std::string> session_a;
  for (size_t i : {0, 2, 3, 5, 6, 8}) session_a.push_back(f.lines[i]);
  REQUIRE(f.Tampered(session_a).Intact());
  for (size_t line_index : {0, 2, 3, 5}) {
    const std::string& original = session_a[line_index];
    for (size_t i = 0; i < original.size(); ++i) {
      std::vector<std::string> changed = session_a;
      changed[line_index][i] = static_cast<char>(changed[line_index][i] ^ 0x01);
      FileReport report = f.Tampered(changed);
      INFO("line " << line_index + 1 << " byte " << i << " ('" << original[i] << "')\n"
                   << AllProblems(report));
      REQUIRE_FALSE(report.Intact());
      REQUIRE_FALSE(ReasonsAt(report, line_index + 1).empty());
    }
  }
}

TEST_CASE("a changed field is reported as altered, re-hashed or not", "[receipts]") {
  Fixture f;
  struct Change {
    size_t line;  // 1-based
    std::function<void(json&)> apply;
  };
  const std::vector<std::pair<std::string, Change>> changes = {
      {"identity uid", {1, [](json& r) { r["identity"]["human"]["uid"] = 0; }}},
      {"identity user", {1, [](json& r) { r["identity"]["human"]["user"] = "root"; }}},
      {"identity argv", {1, [](json& r) { r["identity"]["agent"]["argv"][1] = "--yolo"; }}},
      {"identity ci run", {1, [](json& r) { r["identity"]["service"]["run"] = "1"; }}},
      {"host", {1, [](json& r) { r["identity"]["host"] = "elsewhere"; }}},
      {"profile sha256", {1, [](json& r) { r["profile"]["sha256"] = std::string(64, 'f'); }}},
      {"profile text", {1, [](json& r) { r["profile"]["text"] = "default = \"allow\""; }}},
      {"intent", {1, [](json& r) { r["profile"]["intent"] = "anything"; }}},
      {"key pinned", {2, [](json& r) { r["key"]["pinned"] = !r["key"]["pinned"].get<bool>(); }}},
      {"warnings", {2, [](json& r) { r["warnings"] = json::array(); }}},
      {"verdict", {4, [](json& r) { r["decision"]["verdict"] = "allow"; }}},
      {"rule", {4, [](json& r) { r["decision"]["rule"] = "other"; }}},
      {"path", {4, [](json& r) { r["action"]["path"] = "/etc/hosts"; }}},
      {"pid", {4, [](json& r) { r["action"]["process"]["pid"] = 1; }}},
      {"outcome",
       {4,
        [](json& r) {
          r["outcome"] = {{"ok", true}};
        }}},
      {"context", {4, [](json& r) { r["context"]["labels"] = json::array(); }}},
      {"timestamp", {4, [](json& r) { r["ts"] = "2000-01-01T00:00:00.000000Z"; }}},
      {"summary count", {6, [](json& r) { r["summary"]["allow"] = 0; }}},
      {"exit code", {9, [](json& r) { r["exit"]["code"] = 1; }}},
      {"exit signal",
       {13,
        [](json& r) {
          r["exit"] = {{"code", 0}};
        }}},
  };
  for (const auto& [name, change] : changes) {
    json record = json::parse(f.lines[change.line - 1]);
    change.apply(record);
    std::vector<std::string> changed = f.lines;

    changed[change.line - 1] = *Canonicalize(record);
    {
      INFO(name << ", hash left as it was");
      ExpectProblemAt(f.Tampered(changed), change.line, "altered");
    }
    changed[change.line - 1] = Rehash(record);
    {
      INFO(name << ", hash recomputed");
      ExpectProblemAt(f.Tampered(changed), change.line, "bad signature");
    }
  }
}

TEST_CASE("deleted, duplicated and reordered records are named", "[receipts]") {
  Fixture f;
  SECTION("a deleted record leaves a sequence gap at the next one of its session") {
    std::vector<std::string> changed = f.lines;
    changed.erase(changed.begin() + 3);  // A seq 2; A seq 3 moves to line 5
    ExpectProblemAt(f.Tampered(changed), 5, "sequence gap: expected seq 2, found 3");
  }
  SECTION("a deleted session.start") {
    std::vector<std::string> changed = f.lines;
    changed.erase(changed.begin());
    ExpectProblemAt(f.Tampered(changed), 2, "without session.start");
  }
  SECTION("a duplicated record") {
    std::vector<std::string> changed = f.lines;
    changed.insert(changed.begin() + 3, f.lines[2]);
    ExpectProblemAt(f.Tampered(changed), 4, "duplicate of line 3");
  }
  SECTION("two records of one session swapped") {
    std::vector<std::string> changed = f.lines;
    std::swap(changed[3], changed[5]);  // A seq 2 and A seq 3
    FileReport report = f.Tampered(changed);
    ExpectProblemAt(report, 4, "expected seq 2, found 3");
    ExpectProblemAt(report, 6, "out of order");
  }
  SECTION("records of different sessions may interleave in any order") {
    std::vector<std::string> changed = f.lines;
    std::swap(changed[3], changed[4]);  // A seq 2 and B seq 1
    CHECK(f.Tampered(changed).Intact());
  }
  SECTION("a record copied from another session") {
    std::vector<std::string> changed = f.lines;
    changed.insert(changed.begin() + 6, f.lines[4]);  // B's seq 1 again, later
    ExpectProblemAt(f.Tampered(changed), 7, "duplicate of line 5");
  }
}

TEST_CASE("truncation is caught as an incomplete session", "[receipts]") {
  Fixture f;
  SECTION("a session's end removed") {
    std::vector<std::string> changed = f.lines;
    changed.erase(changed.begin() + 8);  // A's session.end
    ExpectProblemAt(f.Tampered(changed), 7, "incomplete");
  }
  SECTION("the file cut after a whole line") {
    std::vector<std::string> changed(f.lines.begin(), f.lines.begin() + 10);
    FileReport report = f.Tampered(changed);
    ExpectProblemAt(report, 10, "session " + f.file.session_b + " is incomplete");
    CHECK(report.problems.size() == 1);
  }
  SECTION("the file cut in the middle of a line") {
    std::string content = ReadFile(f.file.path);
    std::string path = f.dir / "cut.jsonl";
    WriteFile(path, content.substr(0, content.size() - 40));
    FileReport report = Check(path);
    ExpectProblemAt(report, 13, "no newline");
    ExpectProblemAt(report, 13, "not valid JSON");
    ExpectProblemAt(report, 12, "incomplete");
  }
  SECTION("--expect-head catches a whole session cut off the end") {
    std::vector<std::string> changed(f.lines.begin(), f.lines.begin() + 9);
    // Drop B entirely: what is left is intact, yet B's head is gone.
    changed.erase(std::remove_if(changed.begin(), changed.end(),
                                 [&](const std::string& line) {
                                   return json::parse(line)["session"] == f.file.session_b;
                                 }),
                  changed.end());
    std::string path = f.dir / "rolled-back.jsonl";
    WriteLines(path, changed);
    CHECK(Check(path).Intact());
    VerifyOptions options;
    options.expect_head = f.file.head_b;
    VerifyReport report = Verify({path}, options);
    CHECK_FALSE(report.Intact());
    REQUIRE(report.problems.size() == 1);
    CHECK(report.problems[0].find("no session ends with the expected head") != std::string::npos);
    options.expect_head = f.file.head_a;
    CHECK(Verify({path}, options).Intact());
  }
}

TEST_CASE("records signed by another key", "[receipts]") {
  Fixture f;
  SigningKey other = NewKey();
  VerifyOptions pinned;
  pinned.pinned_key = f.key.PublicKeyBase64();

  SECTION("one record changed and re-signed") {
    json record = json::parse(f.lines[3]);
    record["decision"]["verdict"] = "allow";
    std::vector<std::string> changed = f.lines;
    changed[3] = Forge(record, other);
    FileReport report = f.Tampered(changed);
    ExpectProblemAt(report, 4, "bad signature");
    CHECK(report.problems.size() == 1);
    ExpectProblemAt(f.Tampered(changed, pinned), 4, "bad signature");
  }
  SECTION("a whole session rewritten with another key passes only without --key") {
    TempDir dir;
    TwoSessions rewritten = WriteTwoSessions(dir / "r.jsonl", other);
    CHECK(Check(rewritten.path).Intact());
    FileReport report = Check(rewritten.path, pinned);
    ExpectProblemAt(report, 1, "signed by a key other than --key");
    ExpectProblemAt(report, 2, "signed by a key other than --key");
  }
  SECTION("a session.start swapped for one with another key") {
    json start = json::parse(f.lines[0]);
    start["key"]["pub"] = other.PublicKeyBase64();
    std::vector<std::string> changed = f.lines;
    changed[0] = Forge(start, other);
    FileReport report = f.Tampered(changed);
    ExpectProblemAt(report, 3, "bad signature");  // A's records no longer match its key
    ExpectProblemAt(f.Tampered(changed, pinned), 1, "signed by a key other than --key");
  }
}

TEST_CASE("records after session.end are refused", "[receipts]") {
  Fixture f;
  SECTION("a new, validly signed record") {
    json end = json::parse(f.lines[8]);
    json extra = json::parse(f.lines[3]);
    extra["seq"] = end["seq"].get<int>() + 1;
    extra["prev"] = end["hash"];
    std::vector<std::string> changed = f.lines;
    changed.push_back(Forge(extra, f.key));
    ExpectProblemAt(f.Tampered(changed), 14, "after session.end");
  }
  SECTION("a copy of an earlier record") {
    std::vector<std::string> changed = f.lines;
    changed.push_back(f.lines[8]);
    ExpectProblemAt(f.Tampered(changed), 14, "duplicate of line 9");
  }
}

TEST_CASE("garbage, binary data and odd files are reported, never fatal", "[receipts]") {
  Fixture f;
  auto with_line = [&](const std::string& inserted) {
    std::vector<std::string> changed = f.lines;
    changed.insert(changed.begin() + 4, inserted);
    FileReport report = f.Tampered(changed);
    INFO(AllProblems(report));
    CHECK(report.problems.size() == 1);
    return report;
  };
  ExpectProblemAt(with_line("hello world"), 5, "not valid JSON");
  ExpectProblemAt(with_line(std::string("\x00\x01\xff\xfe binary", 11)), 5, "binary data");
  ExpectProblemAt(with_line("[1,2,3]"), 5, "JSON object expected");
  ExpectProblemAt(with_line("{}"), 5, "malformed receipt");
  ExpectProblemAt(with_line(""), 5, "empty line");
  ExpectProblemAt(with_line(std::string(100000, '[')), 5, "nested too deep");
  ExpectProblemAt(with_line(R"({"v":1,"type":"action","session":"x","seq":1.5})"), 5,
                  "malformed receipt");

  SECTION("an empty file") {
    WriteFile(f.dir / "empty.jsonl", "");
    FileReport report = Check(f.dir / "empty.jsonl");
    ExpectProblemAt(report, 0, "no records");
  }
  SECTION("a missing file is an I/O error") {
    VerifyReport report = Verify({f.dir / "absent.jsonl", f.file.path}, {});
    CHECK(report.IoError());
    CHECK(report.files[0].io_error);
    CHECK(report.files[1].Intact());
  }
  SECTION("a line longer than the bound is skipped, not held") {
    std::vector<std::string> changed = f.lines;
    changed.insert(changed.begin() + 4, std::string(kMaxRecordBytes + 1000, 'x'));
    FileReport report = f.Tampered(changed);
    INFO(AllProblems(report));
    CHECK(report.problems.size() == 1);
    ExpectProblemAt(report, 5, "line too long");
  }
  SECTION("a missing final newline") {
    std::string content = ReadFile(f.file.path);
    WriteFile(f.dir / "nonl.jsonl", content.substr(0, content.size() - 1));
    ExpectProblemAt(Check(f.dir / "nonl.jsonl"), 13, "no newline");
  }
}

TEST_CASE("verification is the same on one thread and many, across batches", "[receipts]") {
  TempDir dir;
  std::string path = dir / "long.jsonl";
  const std::string session = "55555555-5555-4555-8555-555555555555";
  {
    SessionLog log = OpenLog(path, NewKey(), session);
    REQUIRE(log.Start(TestIdentity(session, "agent"), TestProfile(), "", {}));
    for (int i = 0; i < 5000; ++i) {  // more than one batch
      REQUIRE(log.RecordAction({{"kind", "file.read"}, {"path", "/w/" + std::to_string(i)}},
                               json::object(), {{"verdict", "allow"}}, {{"ok", true}}));
    }
    REQUIRE(log.End({0, std::nullopt}, {}));
  }
  VerifyOptions one;
  one.threads = 1;
  VerifyOptions many;
  many.threads = 8;
  CHECK(Check(path, one).Intact());
  CHECK(Check(path, many).Intact());

  std::vector<std::string> lines = ReadLines(path);
  lines[2500][60] = static_cast<char>(lines[2500][60] ^ 0x02);
  lines.erase(lines.begin() + 4500);
  std::string tampered = dir / "tampered.jsonl";
  WriteLines(tampered, lines);
  FileReport a = Check(tampered, one);
  FileReport b = Check(tampered, many);
  ExpectProblemAt(a, 2501, "");
  ExpectProblemAt(a, 4501, "sequence gap");
  REQUIRE(a.problems.size() == b.problems.size());
  for (size_t i = 0; i < a.problems.size(); ++i) {
    CHECK(a.problems[i].line == b.problems[i].line);
    CHECK(a.problems[i].reason == b.problems[i].reason);
  }
}
