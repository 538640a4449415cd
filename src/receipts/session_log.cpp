#include "aarm/receipts/session_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <optional>

#include <fmt/format.h>

#include "aarm/receipts/canonical.hpp"
#include "canonical_writer.hpp"
#include "crypto.hpp"
#include "file_util.hpp"

namespace aarm::receipts {
namespace {

constexpr auto kSyncInterval = std::chrono::seconds(1);
constexpr size_t kHashLength = 64;       // SHA-256, hex
constexpr size_t kSignatureLength = 88;  // 64 bytes of Ed25519 signature, base64

std::string ParentDirectory(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return {};
  return slash == 0 ? "/" : path.substr(0, slash);
}

// A crash in the middle of an earlier write may have left a line without its newline. Ending it
// keeps the first record of this session on a line of its own (the verifier then reports the
// fragment as the garbage it is, and this session stays intact).
// Writers hold the log shared (flock) while appending and the check below holds it exclusive:
// otherwise it could see another session's record half copied into the file and take it for
// a crash's fragment.
class LogLock {
 public:
  LogLock(int fd, int mode) : fd_(fd) {
    while (flock(fd_, mode) != 0 && errno == EINTR) {
    }
  }
  ~LogLock() { flock(fd_, LOCK_UN); }
  LogLock(const LogLock&) = delete;
  LogLock& operator=(const LogLock&) = delete;

 private:
  int fd_;
};

Result<void> TerminatePartialLine(int fd, const std::string& path) {
  LogLock exclusive(fd, LOCK_EX);
  struct stat status {};
  if (fstat(fd, &status) != 0) return FailErrno("cannot stat receipt log " + path);
  if (!S_ISREG(status.st_mode) || status.st_size == 0) return {};
  char last = '\n';
  if (pread(fd, &last, 1, status.st_size - 1) != 1) {
    return FailErrno("cannot read receipt log " + path);
  }
  if (last == '\n') return {};
  return detail::WriteAll(fd, "\n", path);
}

// `text` as a JSON string, when it needs no escape (printable ASCII without `"` or `\`): the
// log's own members, which it writes without a JSON value.
std::optional<std::string> QuotedPlain(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') return std::nullopt;
  }
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted.push_back('"');
  quoted.append(text);
  quoted.push_back('"');
  return quoted;
}

nlohmann::json CountsJson(const DecisionCounts& counts) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [verdict, count] : counts) object[verdict] = count;
  return object;
}

}  // namespace

std::string ReceiptTimestamp(std::chrono::system_clock::time_point when) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch());
  auto seconds = std::chrono::floor<std::chrono::seconds>(micros);
  std::time_t time = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&time, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     (micros - seconds).count());
}

SessionLog::SessionLog(std::string path, UniqueFd fd, SigningKey key, std::string session_id)
    : path_(std::move(path)),
      fd_(std::move(fd)),
      key_(std::move(key)),
      session_id_(std::move(session_id)),
      last_sync_(std::chrono::steady_clock::now()),
      form_(std::make_unique<detail::RecordForm>()) {}

SessionLog::SessionLog(SessionLog&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::move(other.fd_)),
      key_(std::move(other.key_)),
      session_id_(std::move(other.session_id_)) {
  std::lock_guard lock(other.mutex_);
  started_ = other.started_;
  closed_ = other.closed_;
  failure_ = std::move(other.failure_);
  seq_ = other.seq_;
  head_ = std::move(other.head_);
  recorded_ = std::move(other.recorded_);
  last_sync_ = other.last_sync_;
  unsynced_ = other.unsynced_;
  form_ = std::move(other.form_);
  other.closed_ = true;
}

SessionLog::~SessionLog() {
  // NOTE: no session.end here: a log dropped without End() is a session that was cut off, and
  // the verifier must see it as incomplete.
  if (fd_ && unsynced_) fdatasync(fd_.Get());
}

Result<SessionLog> SessionLog::Open(const std::string& path, SigningKey key,
                                    std::string session_id) {
  if (path.empty()) return Fail("no receipt log path given");
  if (session_id.empty()) return Fail("no session id given for the receipt log");
  if (auto created = detail::MakeDirectories(ParentDirectory(path), 0700); !created) {
    Error error = created.error();
    error.message = "receipt log: " + error.message;
    return tl::unexpected(error);
  }
  UniqueFd fd(open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return FailErrno("cannot open receipt log " + path);
  if (auto terminated = TerminatePartialLine(fd.Get(), path); !terminated) {
    return tl::unexpected(terminated.error());
  }
  return SessionLog(path, std::move(fd), std::move(key), std::move(session_id));
}

Result<std::string> SessionLog::Append(std::unique_lock<std::mutex>& lock, const std::string& type,
                                       nlohmann::json record) {
  if (failure_) {
    return Fail("receipt log " + path_ + " refuses records after a failed write (" +
                failure_->Describe() + ")");
  }
  if (closed_) return Fail("receipt log " + path_ + ": session " + session_id_ + " has ended");

  SanitizeUtf8(record);
  // The members every record has, merged in as the record is written rather than inserted into
  // its JSON. `hash` and `sig` are placeholders of their final lengths: the record is serialized
  // once, `hash` computed over it without these two members, and their values written in place.
  static const std::string kHashPlaceholder = "\"" + std::string(kHashLength, '0') + "\"";
  static const std::string kSigPlaceholder = "\"" + std::string(kSignatureLength, 'A') + "\"";
  const std::string version = std::to_string(kFormatVersion);
  const std::string seq = std::to_string(seq_);
  auto quoted_type = QuotedPlain(type);
  auto quoted_session = QuotedPlain(session_id_);
  auto quoted_ts = QuotedPlain(ReceiptTimestamp(std::chrono::system_clock::now()));
  auto quoted_prev = QuotedPlain(head_);
  if (!quoted_type || !quoted_session || !quoted_ts || !quoted_prev) {
    return Fail("receipt log " + path_ + ": a record's type, session or chain is not plain text");
  }
  const std::array<detail::EnvelopeMember, 8> envelope = {{
      {"hash", kHashPlaceholder},
      {"prev", *quoted_prev},
      {"seq", seq},
      {"session", *quoted_session},
      {"sig", kSigPlaceholder},
      {"ts", *quoted_ts},
      {"type", *quoted_type},
      {"v", version},
  }};
  detail::RecordForm& form = *form_;
  detail::CanonicalFailure failure;
  if (!form.Write(record, envelope, &failure)) return Fail(failure.Describe());
  detail::Digest digest = form.SignedDigest();
  auto signature =
      key_.Sign(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  if (!signature) return tl::unexpected(signature.error());
  if (signature->size() != kSignatureLength) {
    return Fail(fmt::format("the signing key made a signature of {} base64 characters, not {}",
                            signature->size(), kSignatureLength));
  }
  std::string& line = form.MutableText();
  detail::HexTo(digest, line.data() + form.HashValueAt());
  line.replace(form.SigValueAt(), kSignatureLength, *signature);
  line.push_back('\n');
  if (line.size() > kMaxRecordBytes) {
    return Fail(fmt::format("{} record of {} bytes exceeds the receipt limit of {} bytes", type,
                            line.size(), kMaxRecordBytes));
  }

  // SECURITY: one write(2) per record. With O_APPEND the kernel places the whole line at the
  // end of the file, so records of sessions sharing the file never interleave within a line.
  ssize_t written;
  {
    LogLock shared(fd_.Get(), LOCK_SH);
    do {
      written = write(fd_.Get(), line.data(), line.size());
    } while (written < 0 && errno == EINTR);
  }
  if (written < 0) {
    failure_ = Error{"cannot write receipt log " + path_, errno, {}};
    return tl::unexpected(*failure_);
  }
  if (static_cast<size_t>(written) != line.size()) {
    failure_ = Error{
        fmt::format("short write to receipt log {} ({} of {} bytes)", path_, written, line.size()),
        ENOSPC,
        {}};
    // Best effort: end the fragment so the next writer's record starts on a line of its own.
    ssize_t ignored = write(fd_.Get(), "\n", 1);
    (void)ignored;
    return tl::unexpected(*failure_);
  }

  head_.assign(line, form.HashValueAt(), kHashLength);
  ++seq_;
  unsynced_ = true;
  std::string hash = head_;
  if (auto synced = SyncIfDue(lock); !synced) return tl::unexpected(synced.error());
  return hash;
}

Result<void> SessionLog::SyncIfDue(std::unique_lock<std::mutex>& lock) {
  auto now = std::chrono::steady_clock::now();
  if (sync_running_ || !unsynced_ || now - last_sync_ < kSyncInterval) return {};
  // The sync runs without the lock, so that other threads go on recording meanwhile. It covers
  // every record written before it starts; one written during it sets unsynced_ again.
  sync_running_ = true;
  unsynced_ = false;
  last_sync_ = now;
  int fd = fd_.Get();
  lock.unlock();
  int result = fdatasync(fd);
  int error = errno;
  lock.lock();
  sync_running_ = false;
  // Pipes and character devices cannot be synced (EINVAL): there is nothing to flush.
  if (result != 0 && error != EINVAL && error != EROFS) {
    unsynced_ = true;
    if (!failure_) failure_ = Error{"cannot sync receipt log " + path_, error, {}};
    return tl::unexpected(*failure_);
  }
  return {};
}

Result<void> SessionLog::SyncLocked() {
  if (failure_) return tl::unexpected(*failure_);
  // A sync running on another thread may not have finished: this one must not return before
  // the records are on disk.
  if (!unsynced_ && !sync_running_) return {};
  // Pipes and character devices cannot be synced (EINVAL): there is nothing to flush.
  if (fdatasync(fd_.Get()) != 0 && errno != EINVAL && errno != EROFS) {
    failure_ = Error{"cannot sync receipt log " + path_, errno, {}};
    return tl::unexpected(*failure_);
  }
  unsynced_ = false;
  last_sync_ = std::chrono::steady_clock::now();
  return {};
}

Result<void> SessionLog::Sync() {
  std::lock_guard lock(mutex_);
  return SyncLocked();
}

Result<std::string> SessionLog::Start(const nlohmann::json& identity, const ProfileRecord& profile,
                                      const std::string& intent,
                                      const std::vector<std::string>& warnings) {
  std::unique_lock lock(mutex_);
  if (started_) return Fail("session " + session_id_ + " has already started");
  if (!identity.is_object()) return Fail("session identity must be a JSON object");
  if (auto id = identity.find("session");
      id != identity.end() && (!id->is_string() || *id != session_id_)) {
    return Fail("identity names another session than the receipt log's " + session_id_);
  }
  std::string profile_hash = Sha256Hex(profile.text);
  if (!profile.sha256.empty() && profile.sha256 != profile_hash) {
    return Fail("profile " + profile.name + ": recorded SHA-256 does not match its text");
  }
  nlohmann::json record = {
      {"identity", identity},
      {"key", {{"alg", "ed25519"}, {"pub", key_.PublicKeyBase64()}, {"pinned", key_.Pinned()}}},
      {"profile",
       {{"name", profile.name},
        {"sha256", profile_hash},
        {"text", profile.text},
        {"intent", intent}}},
      {"warnings", warnings},
  };
  auto hash = Append(lock, "session.start", std::move(record));
  if (hash) started_ = true;
  return hash;
}

Result<std::string> SessionLog::RecordAction(nlohmann::json action, nlohmann::json context,
                                             nlohmann::json decision, nlohmann::json outcome) {
  std::unique_lock lock(mutex_);
  if (!started_) return Fail("action recorded before session.start");
  if (context.is_null()) context = nlohmann::json::object();
  for (const auto& [name, value] :
       {std::pair{"action", &action}, std::pair{"context", &context},
        std::pair{"decision", &decision}, std::pair{"outcome", &outcome}}) {
    if (!value->is_object()) return Fail(fmt::format("receipt {} must be a JSON object", name));
  }
  std::string verdict = "unknown";
  if (auto found = decision.find("verdict"); found != decision.end() && found->is_string()) {
    verdict = found->get<std::string>();
  }
  // The record a connection leaves when it closes repeats the decision already counted.
  bool repeats_decision = outcome.value("closed", false);
  // Moved in member by member: a braced initializer list would copy each object.
  nlohmann::json record = nlohmann::json::object();
  auto& members = record.get_ref<nlohmann::json::object_t&>();
  members.emplace("action", std::move(action));
  members.emplace("context", std::move(context));
  members.emplace("decision", std::move(decision));
  members.emplace("outcome", std::move(outcome));
  auto hash = Append(lock, "action", std::move(record));
  if (hash && !repeats_decision) ++recorded_[verdict];
  return hash;
}

Result<std::string> SessionLog::RecordSummary(const DecisionCounts& unrecorded) {
  std::unique_lock lock(mutex_);
  if (!started_) return Fail("summary recorded before session.start");
  return Append(lock, "summary", {{"summary", CountsJson(unrecorded)}});
}

Result<std::string> SessionLog::End(const ExitStatus& exit, const DecisionCounts& unrecorded) {
  std::unique_lock lock(mutex_);
  if (!started_) return Fail("session.end recorded before session.start");
  if (exit.code.has_value() == exit.signal.has_value()) {
    return Fail("session.end needs either an exit code or a signal");
  }
  nlohmann::json exit_json =
      exit.code ? nlohmann::json{{"code", *exit.code}} : nlohmann::json{{"signal", *exit.signal}};
  auto hash =
      Append(lock, "session.end",
             {{"exit", std::move(exit_json)}, {"summary", CountsJson(unrecorded)}});
  if (!hash) return hash;
  closed_ = true;
  if (auto synced = SyncLocked(); !synced) return tl::unexpected(synced.error());
  return hash;
}

std::string SessionLog::Head() const {
  std::lock_guard lock(mutex_);
  return head_;
}

uint64_t SessionLog::RecordCount() const {
  std::lock_guard lock(mutex_);
  return seq_;
}

DecisionCounts SessionLog::RecordedCounts() const {
  std::lock_guard lock(mutex_);
  return recorded_;
}

bool SessionLog::Closed() const {
  std::lock_guard lock(mutex_);
  return closed_ || failure_.has_value();
}

}  // namespace aarm::receipts
