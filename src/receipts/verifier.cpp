#include "aarm/receipts/verifier.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "aarm/receipts/session_log.hpp"
#include "canonical_reader.hpp"
#include "canonical_writer.hpp"
#include "crypto.hpp"
#include "line_reader.hpp"

namespace aarm::receipts {
namespace {

// Lines are read in batches that go through the check pool: parsed and hashed by any worker,
// given their session's key in file order, their signatures checked by any worker, and chained
// in file order. Several batches are in flight at once so that no worker waits for the in-order
// steps, and the bounds keep memory flat however large the file.
constexpr size_t kBatchLines = 256;
constexpr size_t kBatchBytes = size_t{4} << 20;
constexpr size_t kBatchesInFlightPerThread = 4;
constexpr size_t kBytesInFlight = size_t{32} << 20;
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

bool IsLowerHex64(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool IsLowerHex64(const nlohmann::json& value) {
  return value.is_string() && IsLowerHex64(std::string_view(value.get_ref<const std::string&>()));
}

bool IsObjectField(const nlohmann::json& record, const char* name) {
  auto found = record.find(name);
  return found != record.end() && found->is_object();
}

// The objects each record type must carry besides the common fields; nullopt for a type that
// does not exist.
std::optional<std::span<const char* const>> RequiredObjects(std::string_view type) {
  static constexpr const char* kStartObjects[] = {"identity", "key", "profile"};
  static constexpr const char* kActionObjects[] = {"action", "context", "decision", "outcome"};
  static constexpr const char* kSummaryObjects[] = {"summary"};
  static constexpr const char* kEndObjects[] = {"exit", "summary"};
  if (type == kStart) return kStartObjects;
  if (type == "action") return kActionObjects;
  if (type == "summary") return kSummaryObjects;
  if (type == kEnd) return kEndObjects;
  return std::nullopt;
}

std::string MissingTypeFields(const std::string& type, const nlohmann::json& record) {
  auto required = RequiredObjects(type);
  if (!required) return "unknown record type";
  for (const char* name : *required) {
    if (!IsObjectField(record, name)) return fmt::format("malformed {}: no {} object", type, name);
  }
  return {};
}

// What each checking thread keeps from one line to the next.
struct WorkerState {
  detail::RecordForm form;
  detail::SignatureChecker checker;
  detail::CanonicalReader reader;
  std::vector<detail::LineMember> members;
  detail::SignedRanges signed_ranges;
};

// The common case without a JSON tree: a record other than a session.start whose line is in
// canonical form, with sound fields and a matching hash. True only when the full check below
// would find nothing wrong and learn the same; anything else is left to it, which also says
// what is wrong.
bool CheckCanonicalLine(Checked& checked, WorkerState& worker) {
  const std::string& text = checked.line.text;
  if (checked.line.too_long || !worker.reader.Read(text, worker.members)) return false;
  auto find = [&](std::string_view name) -> const detail::LineMember* {
    for (const detail::LineMember& member : worker.members) {
      if (member.key == name) return &member;
    }
    return nullptr;
  };
  auto plain = [&](std::string_view name, std::string_view& value) {
    const detail::LineMember* member = find(name);
    return member != nullptr && detail::CanonicalReader::PlainString(*member, value);
  };
  std::string_view session, prev, hash, type, sig;
  const detail::LineMember* seq = find("seq");
  const detail::LineMember* version = find("v");
  const detail::LineMember* ts = find("ts");
  if (!plain("session", session) || session.empty() || seq == nullptr || seq->kind != '0' ||
      seq->value.front() == '-' || !plain("prev", prev) || !IsLowerHex64(prev) ||
      !plain("hash", hash) || !IsLowerHex64(hash) || !plain("type", type) || type == kStart ||
      version == nullptr || version->value != "1" || ts == nullptr || ts->kind != '"' ||
      !plain("sig", sig)) {
    return false;
  }
  auto required = RequiredObjects(type);
  if (!required) return false;
  for (const char* name : *required) {
    const detail::LineMember* member = find(name);
    if (member == nullptr || member->kind != '{') return false;
  }
  auto signature = Base64Decode(sig);
  if (!signature || signature->size() != 64) return false;
  uint64_t seq_value = 0;
  auto [end, error] =
      std::from_chars(seq->value.data(), seq->value.data() + seq->value.size(), seq_value);
  if (error != std::errc() || end != seq->value.data() + seq->value.size()) return false;

  // The line is canonical, so its bytes less "hash" and "sig" are what the hash covers.
  worker.signed_ranges.Open();
  for (const detail::LineMember& member : worker.members) {
    worker.signed_ranges.Member(member.begin, member.end, detail::IsLeftOutOfHash(member.key));
  }
  worker.signed_ranges.Close(text.size());
  detail::Digest digest = worker.signed_ranges.Sha256Of(text);
  if (detail::Hex(digest) != hash) return false;

  checked.has_chain = true;
  checked.session = session;
  checked.seq = seq_value;
  checked.prev = prev;
  checked.hash = hash;
  checked.type = type;
  checked.signature = std::move(*signature);
  checked.digest = digest;
  return true;
}

// Everything about one line that does not depend on other lines.
void CheckLine(Checked& checked, WorkerState& worker) {
  if (CheckCanonicalLine(checked, worker)) return;
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

  // The record is serialized once: the stored line must be exactly that serialization, and the
  // hash covers it less the "hash" and "sig" members.
  detail::CanonicalFailure failure;
  if (!worker.form.Write(record, &failure)) {
    checked.problem = "not canonical: " + failure.Describe();
    return;
  }
  checked.digest = worker.form.SignedDigest();
  if (detail::Hex(checked.digest) != checked.hash) {
    checked.problem = "altered: the record does not match its hash";
    return;
  }
  if (worker.form.Text() != text) {
    checked.problem = "altered: the line is not in canonical form";
    return;
  }
}

void CheckSignature(Checked& checked, WorkerState& worker) {
  if (!checked.problem.empty() || checked.key == nullptr) return;
  checked.signature_valid = worker.checker.Verify(
      checked.key,
      std::string_view(reinterpret_cast<const char*>(checked.digest.data()), checked.digest.size()),
      checked.signature);
}

struct Batch {
  // kParsing: queued or being parsed; kParsed: waiting for its keys; kVerifying: queued or its
  // signatures being checked; kVerified: waiting to be chained.
  enum class Stage { kParsing, kParsed, kVerifying, kVerified };
  std::vector<Checked> lines;
  size_t bytes = 0;
  Stage stage = Stage::kParsing;  // guarded by CheckPool's mutex
};

// Threads that take batches in the order given and run the step their stage calls for.
class CheckPool {
 public:
  explicit CheckPool(unsigned threads) {
    for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~CheckPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_ready_.notify_all();
    for (auto& worker : workers_) worker.join();
  }
  CheckPool(const CheckPool&) = delete;
  CheckPool& operator=(const CheckPool&) = delete;

  // Queues `batch`, whose stage is kParsing or kVerifying.
  void Submit(Batch* batch) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(batch);
    }
    work_ready_.notify_one();
  }

  // Calls `ready` with the mutex held each time a batch has finished a step, until it returns
  // true. `ready` may read and change the stages.
  template <typename Ready>
  void WaitUntil(Ready ready) {
    std::unique_lock lock(mutex_);
    progress_.wait(lock, ready);
  }

 private:
  void Work() {
    WorkerState state;
    for (;;) {
      Batch* batch;
      Batch::Stage stage;
      {
        std::unique_lock lock(mutex_);
        work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        batch = queue_.front();
        queue_.pop_front();
        stage = batch->stage;
      }
      bool parsing = stage == Batch::Stage::kParsing;
      for (Checked& checked : batch->lines) {
        if (parsing) {
          CheckLine(checked, state);
        } else {
          CheckSignature(checked, state);
        }
      }
      {
        std::lock_guard lock(mutex_);
        batch->stage = parsing ? Batch::Stage::kParsed : Batch::Stage::kVerified;
      }
      progress_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable progress_;
  std::deque<Batch*> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

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
    CheckPool pool(threads_);
    const size_t max_batches = kBatchesInFlightPerThread * threads_;
    std::deque<std::unique_ptr<Batch>> in_flight;  // in file order
    size_t bytes_in_flight = 0;
    bool more = true;
    std::vector<Batch*> to_key;
    for (;;) {
      while (more && in_flight.size() < max_batches && bytes_in_flight < kBytesInFlight) {
        auto batch = std::make_unique<Batch>();
        more = ReadBatch(*reader, *batch);
        if (batch->lines.empty()) break;
        bytes_in_flight += batch->bytes;
        pool.Submit(batch.get());
        in_flight.push_back(std::move(batch));
      }
      if (in_flight.empty()) break;

      size_t verified = 0;
      pool.WaitUntil([&] {
        // Keys are given in file order: the parsed batches after those already keyed.
        to_key.clear();
        for (const auto& batch : in_flight) {
          if (batch->stage == Batch::Stage::kParsing) break;
          if (batch->stage == Batch::Stage::kParsed) to_key.push_back(batch.get());
        }
        verified = 0;
        while (verified < in_flight.size() &&
               in_flight[verified]->stage == Batch::Stage::kVerified) {
          ++verified;
        }
        for (Batch* batch : to_key) batch->stage = Batch::Stage::kVerifying;
        return !to_key.empty() || verified > 0;
      });
      for (Batch* batch : to_key) {
        AssignKeys(*batch);
        pool.Submit(batch);
      }
      for (; verified > 0; --verified) {
        for (Checked& checked : in_flight.front()->lines) Chain(checked);
        bytes_in_flight -= in_flight.front()->bytes;
        in_flight.pop_front();
      }
    }
    Finish();
    return std::move(report_);
  }

 private:
  // Reads up to a batch of lines into `batch`; false once the file is read to its end or cannot
  // be read further (report_.io_error).
  bool ReadBatch(detail::LineReader& reader, Batch& batch) {
    while (batch.lines.size() < kBatchLines && batch.bytes < kBatchBytes) {
      Checked checked;
      auto got = reader.Next(checked.line);
      if (!got) {
        report_.io_error = got.error();
        return false;
      }
      if (!*got) return false;
      batch.bytes += checked.line.text.size();
      batch.lines.push_back(std::move(checked));
    }
    return true;
  }

  // Keys come from session.start records, possibly in this very batch: assigned in file order.
  void AssignKeys(Batch& batch) {
    for (Checked& checked : batch.lines) {
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
