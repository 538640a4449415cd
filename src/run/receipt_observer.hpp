// Turns each decided action into its receipt, and each enforced denial into one line on
// stderr: "aarm: denied file.write /home/u/.bashrc (rule: protect-dotfiles)",
// "aarm: denied net.connect evil.example:443 (rule: network.default)". Actions counted rather
// than recorded (reads of public data) go into `summary` records.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "aarm/receipts/session_log.hpp"
#include "aarm/supervisor/supervisor.hpp"

namespace aarm::run {

class ReceiptObserver final : public policy::ActionObserver {
 public:
  ReceiptObserver(receipts::SessionLog& log, std::string profile_sha256, bool quiet);

  Result<void> OnDecided(const policy::Action& action, const policy::Decision& decision,
                         bool enforced, const policy::ActionResult& result) override;
  // One more action record for the connection, its outcome carrying "closed": true and the
  // bytes each way; its decision, already counted, is not counted again.
  Result<void> OnConnectionClosed(const policy::Action& action, const policy::Decision& decision,
                                  bool enforced, const policy::Transfer& transfer) override;
  // Counts the action by verdict. The first counted action a second or more after the last
  // summary (or after the observer was made) writes a `summary` record of the counts so far, so
  // that one is written at least every second while counted actions flow.
  Result<void> OnCounted(const policy::Action& action, const policy::Decision& decision,
                         const policy::ActionResult& result) override;

  // Every action counted so far, by verdict ("allow"); verdicts never counted are left out.
  // What session.end records once the agent and the supervisor have stopped.
  receipts::DecisionCounts CountedSoFar() const;

 private:
  nlohmann::json DecisionToJson(const policy::Decision& decision, bool enforced) const;

  receipts::SessionLog& log_;
  std::string profile_sha256_;
  bool quiet_;
  std::array<std::atomic<uint64_t>, 2> counted_{};  // by policy::Verdict
  // When the next summary is due, in steady-clock nanoseconds.
  std::atomic<int64_t> next_summary_;
  // Held while a summary is taken and written, so that summaries never count backwards; a
  // thread that finds it held leaves the summary to its holder.
  std::mutex summary_mutex_;
};

// The action's fields as RECEIPTS.md names them (kind, path, to, argv, cwd, flags, host,
// address, port, protocol, process).
nlohmann::json ActionToJson(const policy::Action& action);

// "file.write /home/u/.bashrc" with control characters escaped: safe on a terminal.
std::string DescribeForTerminal(const policy::Action& action);

}  // namespace aarm::run
