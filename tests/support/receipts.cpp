#include "support/receipts.hpp"

#include <atomic>
#include <sstream>
#include <stdexcept>

namespace aarm::testing {

std::string AarmPath() { return BinDir() + "/aarm"; }

std::vector<Json> ReadReceipts(const std::string& path) {
  std::istringstream in(ReadFileText(path));
  std::vector<Json> records;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) records.push_back(Json::parse(line));
  }
  return records;
}

std::vector<Json> ActionRecords(const std::vector<Json>& records, const std::string& kind) {
  std::vector<Json> actions;
  for (const auto& record : records) {
    if (record.value("type", "") != "action") continue;
    if (!kind.empty() && record["action"].value("kind", "") != kind) continue;
    actions.push_back(record);
  }
  return actions;
}

std::optional<Json> FindAction(const std::vector<Json>& records, const std::string& kind,
                               const std::string& path) {
  for (const auto& record : ActionRecords(records, kind)) {
    if (record["action"].value("path", "") == path) return record;
  }
  return std::nullopt;
}

std::string SigningKey(const Workspace& ws) {
  std::string key = ws.Root() + "/keys/signing-key.pem";
  if (!PathExists(key)) {
    auto made = RunAarm(ws, {"keygen", "--out", ws.Root() + "/keys"});
    if (made.status != 0) throw std::runtime_error("aarm keygen failed: " + made.err);
  }
  return key;
}

std::string PublicKey(const Workspace& ws) {
  SigningKey(ws);
  return ws.Root() + "/keys/signing-key.pub.pem";
}

ProcessOptions RecordingRun(const Workspace& ws, const std::vector<std::string>& command,
                            const RecordOptions& record, std::string* receipts) {
  static std::atomic<int> runs{0};
  *receipts = record.receipts.empty()
                  ? ws.Root() + "/receipts-" + std::to_string(runs.fetch_add(1)) + ".jsonl"
                  : record.receipts;
  std::vector<std::string> options = {"-r", *receipts, "--key", SigningKey(ws)};
  options.insert(options.end(), record.options.begin(), record.options.end());
  ProcessOptions run = ws.AarmRun(command, options);
  if (!record.quiet) {
    // Workspace::AarmRun always passes -q, right after the program.
    if (run.argv.size() > 1 && run.argv[1] == "-q") run.argv.erase(run.argv.begin() + 1);
  }
  return run;
}

RecordedRun RunRecorded(const Workspace& ws, const std::vector<std::string>& command,
                        const RecordOptions& record) {
  RecordedRun out;
  out.result = RunProcess(RecordingRun(ws, command, record, &out.receipts));
  if (PathExists(out.receipts)) out.records = ReadReceipts(out.receipts);
  return out;
}

ProcessResult RunAarm(const Workspace& ws, const std::vector<std::string>& args) {
  ProcessOptions options;
  options.argv = {AarmPath()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = ws.Environment();
  options.cwd = ws.Root();
  return RunProcess(options);
}

std::string VerifyProblems(const Workspace& ws, const std::string& receipts) {
  auto result = RunAarm(ws, {"verify", "--key", PublicKey(ws), receipts});
  if (result.status == 0 && result.out.rfind("ok: ", 0) == 0) return "";
  return "status " + std::to_string(result.status) + ": " + result.out + result.err;
}

}  // namespace aarm::testing
