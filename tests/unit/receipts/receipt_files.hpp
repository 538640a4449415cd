// Temporary directories, receipt files written by SessionLog, and line surgery for the receipts
// tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "aarm/identity/identity.hpp"
#include "aarm/receipts/session_log.hpp"
#include "aarm/receipts/signing_key.hpp"
#include "aarm/receipts/verifier.hpp"

namespace aarm::receipts::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "aarm-receipts-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& Path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

// The lines of a file, without their newlines.
inline std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::string content = ReadFile(path);
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    lines.push_back(content.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

inline void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::string content;
  for (const auto& line : lines) content += line + "\n";
  WriteFile(path, content);
}

inline SigningKey NewKey() {
  auto key = SigningKey::Generate();
  REQUIRE(key);
  return std::move(*key);
}

inline SigningKey CopyOf(const SigningKey& key) {
  auto pem = key.PrivatePem();
  REQUIRE(pem);
  auto copy = SigningKey::FromPem(*pem, "test key");
  REQUIRE(copy);
  return std::move(*copy);
}

inline nlohmann::json TestIdentity(const std::string& session, const std::string& agent) {
  identity::Identity id;
  id.human = {1000, "alice", ""};
  id.service = {"github-actions", "acme/widgets", "4242", "build", "CI"};
  id.agent = {agent, {agent, "--task", "fix tests"}};
  id.host = "builder";
  id.session = session;
  return identity::ToJson(id);
}

inline ProfileRecord TestProfile() {
  return {"workspace-dev", "", "version = 1\n[session]\ndefault = \"deny\"\n"};
}

inline SessionLog OpenLog(const std::string& path, SigningKey key, const std::string& session) {
  auto log = SessionLog::Open(path, std::move(key), session);
  REQUIRE(log);
  return std::move(*log);
}

inline void Action(SessionLog& log, const std::string& path, const std::string& verdict,
                   const std::string& rule = "rule-1") {
  auto hash = log.RecordAction(
      {{"kind", "file.write"},
       {"path", path},
       {"process", {{"pid", 4242}, {"exe", "/usr/bin/touch"}, {"ppids", {4000, 1}}}}},
      {{"head", std::string(64, 'a')}, {"labels", {"internal"}}, {"actions", 3}},
      {{"verdict", verdict}, {"rule", rule}, {"reason", "test"}, {"by", "policy"}},
      verdict == "deny" ? nlohmann::json{{"ok", false}, {"errno", 13}}
                        : nlohmann::json{{"ok", true}});
  REQUIRE(hash);
}

// Two interleaved sessions in one file, 13 lines:
//   1 A start       2 B start       3 A action      4 A action     5 B action
//   6 A summary     7 A action      8 B action      9 A end       10 B action
//  11 B summary    12 B action     13 B end
struct TwoSessions {
  std::string path;
  std::string session_a = "11111111-1111-4111-8111-111111111111";
  std::string session_b = "22222222-2222-4222-8222-222222222222";
  std::string head_a;
  std::string head_b;
};

inline TwoSessions WriteTwoSessions(const std::string& path, const SigningKey& key) {
  TwoSessions file;
  file.path = path;
  SessionLog a = OpenLog(path, CopyOf(key), file.session_a);
  SessionLog b = OpenLog(path, CopyOf(key), file.session_b);
  REQUIRE(a.Start(TestIdentity(file.session_a, "claude"), TestProfile(), "fix the tests", {}));
  REQUIRE(b.Start(TestIdentity(file.session_b, "codex"), TestProfile(), "",
                  {"signing key is not pinned"}));
  Action(a, "/work/a.txt", "allow");
  Action(a, "/etc/passwd", "deny", "protect-etc");
  Action(b, "/work/b.txt", "allow");
  REQUIRE(a.RecordSummary({{"allow", 12}}));
  Action(a, "/work/c.txt", "step_up", "ask-first");
  Action(b, "/work/d.txt", "modify");
  REQUIRE(a.End({0, std::nullopt}, {{"allow", 20}}));
  Action(b, "/home/alice/.ssh/id_ed25519", "deny", "secrets");
  REQUIRE(b.RecordSummary({}));
  Action(b, "/work/e.txt", "allow");
  REQUIRE(b.End({std::nullopt, 9}, {}));
  file.head_a = a.Head();
  file.head_b = b.Head();
  return file;
}

inline FileReport Check(const std::string& path, const VerifyOptions& options = {}) {
  return VerifyFile(path, options);
}

// The reasons given for `line`, joined, for readable failures.
inline std::string ReasonsAt(const FileReport& report, uint64_t line) {
  std::string reasons;
  for (const auto& problem : report.problems) {
    if (problem.line == line) reasons += problem.reason + "; ";
  }
  return reasons;
}

inline std::string AllProblems(const FileReport& report) {
  std::string text;
  for (const auto& problem : report.problems) {
    text += std::to_string(problem.line) + ": " + problem.reason + "\n";
  }
  return text;
}

}  // namespace aarm::receipts::testing
