#include "aarm/receipts/verifier.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "aarm/receipts/session_log.hpp"
#include "crypto.hpp"
#include "line_reader.hpp"

namespace aarm::receipts {
namespace {

// A batch is checked in parallel, then chained in order. The bounds keep memory flat however
// large the file.
constexpr size_t kBatchLines = 4096;
constexpr size_t kBatchBytes = size_t{16} << 20;
// Earlier hashes of a session remembered to tell a duplicate from a reordered record.
constexpr size_t kRecentHashes = 256;

constexpr std::string_view kStart = "session.start";
constexpr std::string_view kEnd = "session.end";

// What the parallel phase learns about one line.
struct Checked {
  detail::Line line;
  std::string problem;     // the first thing wrong with the record itself; empty: none found
  bool has_chain = false;  // session, seq, prev and hash were readable
  std::string type;
  std::string session;
  uint64_t seq = 0;
  std::string prev;
  std::string hash;
  std::string pub;  // raw key of a session.start
  detail::Digest digest{};
  std::string signature;  // raw
  EVP_PKEY* key = nullptr;
  bool signature_valid = false;
};

// A session id as it appears in a message: ids are UUIDs, but a damaged file may hold anything.
std::string ShortId(const std::string& id) {
  constexpr size_t kMaxShown = 64;
  if (id.size() <= kMaxShown) return id;
  return id.substr(0, kMaxShown) + "...";
}

bool IsLowerHex64(const nlohmann::json& value) {
  if (!value.is_string()) return false;
  const auto& text = value.get_ref<const std::string&>();
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool IsObjectField(const nlohmann::json& record, const char* name) {
  auto found = record.find(name);
  return found != record.end() && found->is_object();
}

// The fields each record type must carry besides the common ones.
std::string MissingTypeFields(const std::string& type, const nlohmann::json& record) {
  std::vector<const char*> required;
  if (type == kStart) {
    required = {"identity", "key", "profile"};
  } else if (type == "action") {
    required = {"action", "context", "decision", "outcome"};
  } else if (type == "summary") {
    required = {"summary"};
  } else if (type == kEnd) {
    required = {"exit", "summary"};
  } else {
    return "unknown record type";
  }
  for (const char* name : required) {
    if (!IsObjectField(record, name)) return fmt::format("malformed {}: no {} object", type, name);
  }
  return {};
}

// Everything about one line that does not depend on other lines.
void CheckLine(Checked& checked) {
  const std::string& text = checked.line.text;
  if (checked.line.too_long) {
    checked.problem = "line too long (not a receipt)";
    return;
  }
  if (text.empty()) {
    checked.problem = "empty line";
    return;
  }
  // Canonical records are printable ASCII; anything else is not one of ours.
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; })) {
    checked.problem = "binary data or a control character (not a receipt)";
    return;
  }
  if (!NestingWithin(text, kMaxNestingDepth)) {
    checked.problem = "garbage: JSON nested too deep (not a receipt)";
    return;
  }
  nlohmann::json record = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded()) {
    checked.problem = "garbage: not valid JSON";
    return;
  }
  if (!record.is_object()) {
    checked.problem = "garbage: not a receipt (a JSON object expected)";
    return;
  }

  auto field = [&](const char* name) -> const nlohmann::json& {
    static const nlohmann::json kNull;
    auto found = record.find(name);
    return found == record.end() ? kNull : *found;
  };
  const nlohmann::json& session = field("session");
  const nlohmann::json& seq = field("seq");
  if (!session.is_string() || session.get_ref<const std::string&>().empty() ||
      !seq.is_number_unsigned() || !IsLowerHex64(field("prev")) || !IsLowerHex64(field("hash"))) {
    checked.problem = "malformed receipt: session, seq, prev or hash missing or invalid";
    return;
  }
  checked.has_chain = true;
  checked.session = session.get<std::string>();
  checked.seq = seq.get<uint64_t>();
  checked.prev = field("prev").get<std::string>();
  checked.hash = field("hash").get<std::string>();
  checked.type = field("type").is_string() ? field("type").get<std::string>() : "";

  if (field("v") != kFormatVersion) {
    checked.problem = "unsupported or missing format version v";
    return;
  }
  if (!field("ts").is_string()) {
    checked.problem = "malformed receipt: ts missing";
    return;
  }
  if (std::string missing = MissingTypeFields(checked.type, record); !missing.empty()) {
    checked.problem = missing;
    return;
  }
  if (!field("sig").is_string()) {
    checked.problem = "missing signature";
    return;
  }
  auto signature = Base64Decode(field("sig").get_ref<const std::string&>());
  if (!signature || signature->size() != 64) {
    checked.problem = "bad signature: not a base64 Ed25519 signature";
    return;
  }
  checked.signature = std::move(*signature);

  if (checked.type == kStart) {
    const nlohmann::json& key = record["key"];
    auto pub = key.contains("pub") && key["pub"].is_string()
                   ? Base64Decode(key["pub"].get_ref<const std::string&>())
                   : Result<std::string>(Fail("no key"));
    if (key.value("alg", "") != "ed25519" || !pub || pub->size() != 32) {
      checked.problem = "malformed session.start: key is not {\"alg\":\"ed25519\",\"pub\":…}";
      return;
    }
    checked.pub = std::move(*pub);
  }

  nlohmann::json stored_signature = std::move(record["sig"]);
  record.erase("hash");
  record.erase("sig");
  auto signed_form = Canonicalize(record);
  if (!signed_form) {
    checked.problem = "not canonical: " + signed_form.error().message;
    return;
  }
  checked.digest = detail::Sha256(*signed_form);
  if (detail::Hex(checked.digest) != checked.hash) {
    checked.problem = "altered: the record does not match its hash";
    return;
  }
  record["hash"] = checked.hash;
  record["sig"] = std::move(stored_signature);
  auto stored_form = Canonicalize(record);
  if (!stored_form || *stored_form != text) {
    checked.problem = "altered: the line is not in canonical form";
    return;
  }
}

void CheckSignature(Checked& checked) {
  if (!checked.problem.empty() || checked.key == nullptr) return;
  checked.signature_valid = detail::VerifyEd25519(
      checked.key,
      std::string_view(reinterpret_cast<const char*>(checked.digest.data()), checked.digest.size()),
      checked.signature);
}

// Runs `work` over every element of `items` on `threads` threads (the caller's among them).
template <typename Work>
void ParallelFor(std::vector<Checked>& items, unsigned threads, Work work) {
  std::atomic<size_t> next{0};
  auto run = [&] {
    for (;;) {
      size_t begin = next.fetch_add(16);
      if (begin >= items.size()) return;
      size_t end = std::min(items.size(), begin + 16);
      for (size_t i = begin; i < end; ++i) work(items[i]);
    }
  };
  std::vector<std::thread> pool;
  unsigned extra = std::min<unsigned>(threads, static_cast<unsigned>(items.size() / 16 + 1)) - 1;
  for (unsigned i = 0; i < extra; ++i) pool.emplace_back(run);
  run();
  for (auto& thread : pool) thread.join();
}

struct SessionState {
  size_t index = 0;  // in FileReport::sessions
  bool ended = false;
  uint64_t next_seq = 0;
  std::optional<std::string> last_hash;  // unknown after a record that failed its own checks
  std::deque<std::pair<std::string, uint64_t>> recent;  // hash, line
};

class FileVerifier {
 public:
  FileVerifier(const std::string& path, const VerifyOptions& options)
      : options_(options), threads_(options.threads) {
    report_.path = path;
    if (threads_ == 0) threads_ = std::max(1u, std::thread::hardware_concurrency());
    if (!options.pinned_key.empty()) {
      auto raw = Base64Decode(options.pinned_key);
      if (raw) pinned_raw_ = *raw;
      pinned_ = detail::Ed25519PublicKey(pinned_raw_);
    }
  }

  FileReport Run() {
    auto reader = detail::LineReader::Open(report_.path, options_.max_line_bytes);
    if (!reader) {
      report_.io_error = reader.error();
      return std::move(report_);
    }
    std::vector<Checked> batch;
    for (;;) {
      batch.clear();
      size_t bytes = 0;
      bool more = true;
      while (batch.size() < kBatchLines && bytes < kBatchBytes) {
        Checked checked;
        auto got = reader->Next(checked.line);
        if (!got) {
          report_.io_error = got.error();
          more = false;
          break;
        }
        if (!*got) {
          more = false;
          break;
        }
        bytes += checked.line.text.size();
        batch.push_back(std::move(checked));
      }
      ProcessBatch(batch);
      if (!more) break;
    }
    Finish();
    return std::move(report_);
  }

 private:
  void ProcessBatch(std::vector<Checked>& batch) {
    if (batch.empty()) return;
    ParallelFor(batch, threads_, CheckLine);
    // Keys come from session.start records, possibly in this very batch: assign them in order.
    for (Checked& checked : batch) {
      if (!checked.has_chain || !checked.problem.empty()) continue;
      // Each record is checked against its session's own key; with --key, a session whose key
      // is another is reported once, at its session.start (see Chain).
      if (checked.type == kStart) {
        auto& key = start_keys_[checked.pub];
        if (!key) key = detail::Ed25519PublicKey(checked.pub);
        checked.key = key.get();
        session_keys_.try_emplace(checked.session, checked.key);
      } else if (auto found = session_keys_.find(checked.session); found != session_keys_.end()) {
        checked.key = found->second;
      } else {
        checked.key = pinned_.get();
      }
    }
    ParallelFor(batch, threads_, CheckSignature);
    for (Checked& checked : batch) Chain(checked);
  }

  void Report(uint64_t line, std::string reason) {
    if (report_.problems.size() >= kMaxProblemsPerFile) {
      ++report_.problems_left_out;
      return;
    }
    report_.problems.push_back(Problem{line, std::move(reason)});
  }

  SessionState& NewSession(const Checked& checked) {
    SessionState& state = sessions_[checked.session];
    state.index = report_.sessions.size();
    SessionSummary summary;
    summary.id = checked.session;
    summary.first_line = checked.line.number;
    report_.sessions.push_back(std::move(summary));
    return state;
  }

  // The record's own failure, or "" when it is sound.
  std::string OwnProblem(const Checked& checked) {
    if (!checked.problem.empty()) return checked.problem;
    // Without a key (its session.start is missing) the session is reported where it begins.
    if (checked.key != nullptr && !checked.signature_valid) {
      return checked.key == pinned_.get() ? "bad signature: not signed by the --key key"
                                          : "bad signature";
    }
    return {};
  }

  void Chain(Checked& checked) {
    const uint64_t line = checked.line.number;
    ++report_.lines;
    if (!checked.line.terminated) Report(line, "last line has no newline (truncated write)");
    if (checked.has_chain) ++report_.records;

    std::string own = OwnProblem(checked);
    if (!own.empty()) {
      Report(line, own);
      if (!checked.has_chain) return;
      // A record that fails its own checks is still placed by the seq it claims, when that is
      // the one expected, so that one altered record is reported once rather than again at its
      // successor.
      auto found = sessions_.find(checked.session);
      if (found != sessions_.end() && !found->second.ended &&
          checked.seq == found->second.next_seq) {
        found->second.next_seq = checked.seq + 1;
        found->second.last_hash.reset();
      }
      return;
    }

    auto found = sessions_.find(checked.session);
    if (found == sessions_.end()) {
      SessionState& state = NewSession(checked);
      if (checked.type != kStart || checked.seq != 0) {
        Report(line, fmt::format("session {} begins at seq {} without session.start (records "
                                 "deleted before this line){}",
                                 ShortId(checked.session), checked.seq,
                                 checked.key ? "" : "; its signatures cannot be checked"));
      } else if (checked.prev != kGenesisHash) {
        Report(line, "session.start whose prev is not 64 zeros");
      }
      if (checked.type == kStart) {
        report_.sessions[state.index].key = Base64Encode(checked.pub);
        if (pinned_ && checked.pub != pinned_raw_) {
          Report(line, fmt::format("session {} is signed by a key other than --key ({})",
                                   ShortId(checked.session), Base64Encode(checked.pub)));
        }
      }
      Advance(state, checked);
      return;
    }

    SessionState& state = found->second;
    if (state.ended) {
      Report(line, DuplicateOf(state, checked)
                       .value_or(fmt::format("record after session.end of session {} (inserted)",
                                             ShortId(checked.session))));
      return;
    }
    if (checked.seq == state.next_seq) {
      if (checked.type == kStart) {
        Report(line, fmt::format("second session.start for session {}", ShortId(checked.session)));
      } else if (state.last_hash && checked.prev != *state.last_hash) {
        Report(line, fmt::format("prev does not match the hash of seq {} (a record was deleted, "
                                 "inserted or altered before this line)",
                                 checked.seq - 1));
      }
      Advance(state, checked);
      return;
    }
    if (checked.seq > state.next_seq) {
      Report(line, fmt::format("sequence gap: expected seq {}, found {} (records deleted or "
                               "reordered)",
                               state.next_seq, checked.seq));
      Advance(state, checked);
      return;
    }
    Report(line, DuplicateOf(state, checked)
                     .value_or(fmt::format("seq {} out of order after seq {} (reordered or "
                                           "duplicated record)",
                                           checked.seq, state.next_seq - 1)));
  }

  std::optional<std::string> DuplicateOf(const SessionState& state, const Checked& checked) {
    for (const auto& [hash, line] : state.recent) {
      if (hash == checked.hash) return fmt::format("duplicate of line {}", line);
    }
    return std::nullopt;
  }

  void Advance(SessionState& state, const Checked& checked) {
    state.next_seq = checked.seq + 1;
    state.last_hash = checked.hash;
    state.ended = checked.type == kEnd;
    state.recent.emplace_back(checked.hash, checked.line.number);
    if (state.recent.size() > kRecentHashes) state.recent.pop_front();
    SessionSummary& summary = report_.sessions[state.index];
    ++summary.records;
    summary.last_line = checked.line.number;
    summary.head = checked.hash;
    summary.complete = state.ended;
  }

  void Finish() {
    if (report_.io_error) return;
    if (report_.records == 0) Report(0, "no records");
    for (const SessionSummary& summary : report_.sessions) {
      if (summary.complete) continue;
      Report(summary.last_line,
             fmt::format("session {} is incomplete: no session.end after line {} (killed, "
                         "still running, or truncated)",
                         ShortId(summary.id), summary.last_line));
    }
    std::stable_sort(report_.problems.begin(), report_.problems.end(),
                     [](const Problem& a, const Problem& b) { return a.line < b.line; });
  }

  const VerifyOptions& options_;
  unsigned threads_;
  FileReport report_;
  std::string pinned_raw_;
  detail::PkeyPtr pinned_;
  std::unordered_map<std::string, SessionState> sessions_;
  std::unordered_map<std::string, detail::PkeyPtr> start_keys_;  // by raw public key
  std::unordered_map<std::string, EVP_PKEY*> session_keys_;      // of each session's first start
};

}  // namespace

FileReport VerifyFile(const std::string& path, const VerifyOptions& options) {
  return FileVerifier(path, options).Run();
}

bool VerifyReport::Intact() const {
  return problems.empty() &&
         std::all_of(files.begin(), files.end(), [](const FileReport& f) { return f.Intact(); });
}

bool VerifyReport::IoError() const {
  return std::any_of(files.begin(), files.end(),
                     [](const FileReport& f) { return f.io_error.has_value(); });
}

VerifyReport Verify(const std::vector<std::string>& paths, const VerifyOptions& options) {
  VerifyReport report;
  for (const std::string& path : paths) report.files.push_back(VerifyFile(path, options));
  if (options.expect_head.empty()) return report;

  for (const FileReport& file : report.files) {
    for (const SessionSummary& session : file.sessions) {
      if (session.head == options.expect_head) return report;
    }
  }
  report.problems.push_back(fmt::format(
      "no session ends with the expected head {} (records lost: truncated or rolled back)",
      options.expect_head));
  return report;
}

nlohmann::json ToJson(const VerifyReport& report) {
  nlohmann::json files = nlohmann::json::array();
  for (const FileReport& file : report.files) {
    nlohmann::json sessions = nlohmann::json::array();
    for (const SessionSummary& session : file.sessions) {
      sessions.push_back({{"id", session.id},
                          {"key", session.key},
                          {"records", session.records},
                          {"first_line", session.first_line},
                          {"last_line", session.last_line},
                          {"complete", session.complete},
                          {"head", session.head}});
    }
    nlohmann::json problems = nlohmann::json::array();
    for (const Problem& problem : file.problems) {
      problems.push_back({{"line", problem.line}, {"reason", problem.reason}});
    }
    nlohmann::json entry = {{"file", file.path},
                            {"ok", file.Intact()},
                            {"lines", file.lines},
                            {"records", file.records},
                            {"sessions", std::move(sessions)},
                            {"problems", std::move(problems)},
                            {"problems_left_out", file.problems_left_out}};
    if (file.io_error) entry["error"] = file.io_error->Describe();
    files.push_back(std::move(entry));
  }
  return {{"ok", report.Intact()}, {"files", std::move(files)}, {"problems", report.problems}};
}

Result<void> ForEachRecord(
    const std::string& path,
    const std::function<bool(uint64_t line, nlohmann::json&& record)>& visit) {
  auto reader = detail::LineReader::Open(path, kMaxRecordBytes);
  if (!reader) return tl::unexpected(reader.error());
  detail::Line line;
  for (;;) {
    auto got = reader->Next(line);
    if (!got) return tl::unexpected(got.error());
    if (!*got) return {};
    if (line.too_long || !NestingWithin(line.text, kMaxNestingDepth)) continue;
    nlohmann::json record = nlohmann::json::parse(line.text, nullptr, false);
    if (record.is_discarded() || !record.is_object()) continue;
    if (!visit(line.number, std::move(record))) return {};
  }
}

}  // namespace aarm::receipts
