// The writer of one session's receipts: signed, hash-chained records appended to a JSON Lines
// file that other sessions may append to at the same time.
//
// SECURITY: a receipt is on its way to the disk (one write(2) of the whole line, O_APPEND)
// before the Record* call returns, so the caller releases an action only after its receipt
// exists. A failed or short write leaves the log refusing every later record: the caller must
// deny the action and end the session with status 125 rather than run unrecorded.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"
#include "aarm/receipts/signing_key.hpp"

namespace aarm::receipts {

namespace detail {
class RecordForm;
}

// The 64 zeros `prev` holds in the first record of a session.
inline constexpr char kGenesisHash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Count of actions by decision verdict ("allow", "deny", "modify", "step_up", "defer", ...).
using DecisionCounts = std::map<std::string, uint64_t>;

// The effective profile: the agent's privilege scope.
struct ProfileRecord {
  std::string name;
  std::string sha256;  // of `text`
  std::string text;    // the effective profile, rendered as TOML
};

// How the agent ended: exactly one of the two is set.
struct ExitStatus {
  std::optional<int> code;
  std::optional<int> signal;
};

class SessionLog {
 public:
  // Opens (creating with mode 0600, parent directories 0700) the log at `path` for appending
  // the session `session_id`, signed with `key`. The records of other sessions already in the
  // file are left as they are. Nothing is written until Start().
  static Result<SessionLog> Open(const std::string& path, SigningKey key, std::string session_id);

  SessionLog(SessionLog&& other) noexcept;
  SessionLog& operator=(SessionLog&&) = delete;
  SessionLog(const SessionLog&) = delete;
  ~SessionLog();

  // Each call below appends one record and returns its hash. They may be called from several
  // threads. Agent-controlled strings need no preparation: any that is not valid UTF-8 is
  // stored in its lossy form with the exact bytes in "<field>_b64" (see canonical.hpp).

  // session.start: `identity` (identity::ToJson), the key's public half, the profile and the
  // human's intent, and the warnings the session started with (e.g. an unpinned key, a
  // Landlock ABI downgrade). Must be the first record; `identity.session`, when present, must
  // be this log's session id.
  Result<std::string> Start(const nlohmann::json& identity, const ProfileRecord& profile,
                            const std::string& intent, const std::vector<std::string>& warnings);

  // action: the canonical action, the context digest, the decision and the outcome, each a JSON
  // object (a null context is stored as {}). The decision's "verdict" is counted in
  // RecordedCounts(), but for the record of a closed connection (outcome "closed": true), whose
  // decision was counted when it opened.
  Result<std::string> RecordAction(nlohmann::json action, nlohmann::json context,
                                   nlohmann::json decision, nlohmann::json outcome);

  // summary: counts of the actions not recorded one by one (reads of public files) so far.
  Result<std::string> RecordSummary(const DecisionCounts& unrecorded);

  // session.end: how the agent exited and the final counts of unrecorded actions. The log is
  // synced to disk and accepts nothing more.
  Result<std::string> End(const ExitStatus& exit, const DecisionCounts& unrecorded);

  // Flushes the records written so far to stable storage. Records are also synced at least once
  // a second while they flow, and at End().
  Result<void> Sync();

  // The hash of the last record written: what `aarm verify --expect-head` checks. Before
  // Start(), kGenesisHash.
  std::string Head() const;
  // The number of records written.
  uint64_t RecordCount() const;
  // Verdicts of the actions recorded one by one.
  DecisionCounts RecordedCounts() const;
  // True once a write failed or End() ran: every later record is refused.
  bool Closed() const;

  const std::string& Path() const { return path_; }
  const std::string& SessionId() const { return session_id_; }
  const SigningKey& Key() const { return key_; }

 private:
  SessionLog(std::string path, UniqueFd fd, SigningKey key, std::string session_id);

  // Completes `record` (v, type, session, seq, ts, prev, hash, sig), writes it, advances the
  // chain and syncs when a sync is due. Called with `lock` on mutex_ held, which it releases
  // while the sync runs.
  Result<std::string> Append(std::unique_lock<std::mutex>& lock, const std::string& type,
                             nlohmann::json record);
  Result<void> SyncIfDue(std::unique_lock<std::mutex>& lock);
  Result<void> SyncLocked();

  std::string path_;
  UniqueFd fd_;
  SigningKey key_;
  std::string session_id_;

  mutable std::mutex mutex_;
  bool started_ = false;
  bool closed_ = false;
  std::optional<Error> failure_;  // the write error that closed the log
  uint64_t seq_ = 0;
  std::string head_ = kGenesisHash;
  DecisionCounts recorded_;
  std::chrono::steady_clock::time_point last_sync_;
  bool unsynced_ = false;
  bool sync_running_ = false;  // by SyncIfDue, without the lock
  std::unique_ptr<detail::RecordForm> form_;  // the record being written; its buffer is reused
};

// The time of a receipt: RFC 3339, UTC, microseconds ("2025-01-31T12:00:00.123456Z").
std::string ReceiptTimestamp(std::chrono::system_clock::time_point when);

}  // namespace aarm::receipts
