// `aarm verify`: checks receipt files offline, with the public key only.
//
// Per file, every session is checked: each line is a canonical JSON record whose `hash` is the
// SHA-256 of its canonical form without `hash` and `sig`, signed by the session's key (the
// `key.pub` of its session.start, or the pinned key when one is given, which every session must
// then use); `seq` runs 0, 1, 2 … and `prev` names the previous record's hash; the session
// begins with session.start and ends with session.end, with nothing after it. Sessions may
// interleave. Files are streamed: a file is never held whole, a line longer than
// kMaxRecordBytes is reported without being held, and parsing, hashing and signature checks run
// on every core.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aarm/base/error.hpp"
#include "aarm/receipts/canonical.hpp"

namespace aarm::receipts {

struct Problem {
  uint64_t line = 0;  // 1-based; 0 when it concerns the file as a whole
  std::string reason;
};

struct SessionSummary {
  std::string id;
  std::string key;  // key.pub of its session.start; empty when that record is missing
  uint64_t records = 0;
  uint64_t first_line = 0;
  uint64_t last_line = 0;
  bool complete = false;  // ends with session.end
  std::string head;       // hash of its last record
};

struct FileReport {
  std::string path;
  uint64_t lines = 0;
  uint64_t records = 0;
  std::vector<SessionSummary> sessions;  // in order of first appearance
  std::vector<Problem> problems;         // in line order
  uint64_t problems_left_out = 0;        // beyond kMaxProblemsPerFile
  std::optional<Error> io_error;         // the file could not be read (to the end)

  bool Intact() const { return !io_error && problems.empty() && problems_left_out == 0; }
};

struct VerifyOptions {
  std::string pinned_key;   // raw public key, base64 (LoadPublicKey); empty: each session's own
  std::string expect_head;  // lowercase hex hash some session must end with; empty: no check
  unsigned threads = 0;     // 0: one per core
  size_t max_line_bytes = kMaxRecordBytes;
};

struct VerifyReport {
  std::vector<FileReport> files;
  std::vector<std::string> problems;  // concerning all files together (--expect-head)

  bool Intact() const;
  bool IoError() const;
};

inline constexpr size_t kMaxProblemsPerFile = 1000;

VerifyReport Verify(const std::vector<std::string>& paths, const VerifyOptions& options);
FileReport VerifyFile(const std::string& path, const VerifyOptions& options);

// {"ok":bool,"files":[{"file","lines","records","ok","error"?,"sessions":[…],
//  "problems":[{"line","reason"}],"problems_left_out"}],"problems":[…]}
nlohmann::json ToJson(const VerifyReport& report);

// Streams the records of a receipt file in order without checking them: lines that are not a
// JSON object (or are too long) are skipped. Stops early when `visit` returns false.
Result<void> ForEachRecord(
    const std::string& path,
    const std::function<bool(uint64_t line, nlohmann::json&& record)>& visit);

}  // namespace aarm::receipts
