// The JSON object written to --status-fd at exit, so CI can keep the receipts' head out of band.
#pragma once

#include <cstdint>
#include <string>

#include "aarm/base/error.hpp"
#include "aarm/receipts/session_log.hpp"

namespace aarm::run {

struct SessionStatus {
  std::string session;
  std::string receipts;
  int exit_status = 0;
  std::string head;
  uint64_t records = 0;
  // Every action by verdict: those recorded one by one and those only counted (reads of public
  // data, in the `summary` of session.end).
  receipts::DecisionCounts counts;
};

// `counts` with `more` added, verdict by verdict.
receipts::DecisionCounts AddCounts(receipts::DecisionCounts counts,
                                   const receipts::DecisionCounts& more);

// One line of JSON: {"session","exit_status","receipts","head","records","counts"}.
Result<void> WriteSessionStatus(int fd, const SessionStatus& status);

}  // namespace aarm::run
