// Turns each decided action into its receipt, and each enforced denial into one line on
// stderr: "aarm: denied file.write /home/u/.bashrc (rule: protect-dotfiles)",
// "aarm: denied net.connect evil.example:443 (rule: network.default)".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "aarm/receipts/session_log.hpp"
#include "aarm/supervisor/supervisor.hpp"

namespace aarm::run {

class ReceiptObserver final : public policy::ActionObserver {
 public:
  ReceiptObserver(receipts::SessionLog& log, std::string profile_sha256, bool quiet)
      : log_(log), profile_sha256_(std::move(profile_sha256)), quiet_(quiet) {}

  Result<void> OnDecided(const policy::Action& action, const policy::Decision& decision,
                         bool enforced, const policy::ActionResult& result) override;
  // One more action record for the connection, its outcome carrying "closed": true and the
  // bytes each way; its decision, already counted, is not counted again.
  Result<void> OnConnectionClosed(const policy::Action& action, const policy::Decision& decision,
                                  const policy::Transfer& transfer) override;

 private:
  nlohmann::json DecisionToJson(const policy::Decision& decision, bool enforced) const;

  receipts::SessionLog& log_;
  std::string profile_sha256_;
  bool quiet_;
};

// The action's fields as RECEIPTS.md names them (kind, path, to, argv, cwd, flags, host,
// address, port, protocol, process).
nlohmann::json ActionToJson(const policy::Action& action);

// "file.write /home/u/.bashrc" with control characters escaped: safe on a terminal.
std::string DescribeForTerminal(const policy::Action& action);

}  // namespace aarm::run
