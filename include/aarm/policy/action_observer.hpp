// Where decided actions go: the receipts (and later telemetry). The supervisor for system
// calls and the network service for connections both report through it, before the action is
// released.
#pragma once

#include <cstdint>

#include "aarm/base/error.hpp"
#include "aarm/policy/action.hpp"
#include "aarm/policy/engine.hpp"

namespace aarm::policy {

// What the agent got.
struct ActionResult {
  bool ok = true;
  int err = 0;  // errno when !ok
};

// Bytes a proxied connection carried, reported when it closes.
struct Transfer {
  uint64_t bytes_up = 0;    // agent -> destination
  uint64_t bytes_down = 0;  // destination -> agent
};

class ActionObserver {
 public:
  virtual ~ActionObserver() = default;
  // Told of every decided action before the agent is released. A failure (the receipt could
  // not be written) denies the action and ends the session. `enforced`: false when --audit let
  // a denied action through. Called from several threads at once.
  virtual Result<void> OnDecided(const Action& action, const Decision& decision, bool enforced,
                                 const ActionResult& result) = 0;
  // Told instead of OnDecided of an allowed action that is counted rather than recorded one by
  // one (Engine::IsCountedRead: a read of public data). `action.process` is empty: who read is
  // not looked up. A failure (the count could not be written) is taken as OnDecided's. Called
  // from several threads at once. An observer that keeps no counts is told of it as a decision.
  virtual Result<void> OnCounted(const Action& action, const Decision& decision,
                                 const ActionResult& result) {
    return OnDecided(action, decision, true, result);
  }
  // A connection let through earlier (OnDecided with `decision` and `enforced`: a denial under
  // --audit is let through too) has closed after carrying `transfer`.
  virtual Result<void> OnConnectionClosed(const Action& action, const Decision& decision,
                                          bool enforced, const Transfer& transfer) = 0;
};

}  // namespace aarm::policy
