// What a session recorded: aarm-run with its receipts in a file of the workspace (outside the
// sandbox's view) signed by a pinned key, the records parsed, and the aarm command that
// verifies and shows them.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/workspace.hpp"

namespace aarm::testing {

using Json = nlohmann::json;

std::string AarmPath();

// Every line of a receipt file, parsed; a line that is not JSON throws.
std::vector<Json> ReadReceipts(const std::string& path);
// The `action` records, in order; only those of `kind` when given.
std::vector<Json> ActionRecords(const std::vector<Json>& records, const std::string& kind = "");
// The first action record of `kind` whose action.path is `path`.
std::optional<Json> FindAction(const std::vector<Json>& records, const std::string& kind,
                               const std::string& path);

struct RecordOptions {
  bool quiet = true;                 // -q
  std::vector<std::string> options;  // more aarm-run options, before --
  std::string receipts;              // empty: a fresh file in the workspace
};

struct RecordedRun {
  ProcessResult result;
  std::string receipts;       // the receipt file
  std::vector<Json> records;  // its records after the run
};

// The key pair receipts are signed with: made once per workspace by `aarm keygen`.
std::string SigningKey(const Workspace& ws);
std::string PublicKey(const Workspace& ws);

// aarm-run -r RECEIPTS --key KEY [options] -- command.
ProcessOptions RecordingRun(const Workspace& ws, const std::vector<std::string>& command,
                            const RecordOptions& record, std::string* receipts);
RecordedRun RunRecorded(const Workspace& ws, const std::vector<std::string>& command,
                        const RecordOptions& record = {});

// aarm ARGS... in the workspace's environment.
ProcessResult RunAarm(const Workspace& ws, const std::vector<std::string>& args);
// aarm verify --key PUB FILE: empty when it passes, else what it printed and its status.
std::string VerifyProblems(const Workspace& ws, const std::string& receipts);

}  // namespace aarm::testing
