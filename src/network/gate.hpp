// Every connection, whichever way it came, is decided here: by name first, so that a name the
// profile refuses is never looked up; then by the address the name resolves to (once per
// connection), so that a name resolving into a forbidden range (127.0.0.1, the cloud metadata
// address: DNS rebinding) is refused too; recorded before the caller dials; and recorded again
// when it closes.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "aarm/base/error.hpp"
#include "aarm/policy/action.hpp"
#include "aarm/policy/action_observer.hpp"
#include "aarm/policy/engine.hpp"
#include "host_lookup.hpp"
#include "socket_io.hpp"

namespace aarm::network::detail {

// Rule ids of the decisions the service makes itself (docs/network.md).
inline constexpr const char* kRuleName = "network.name";
inline constexpr const char* kRuleFronting = "network.fronting";
inline constexpr const char* kRuleFirstBytes = "network.first-bytes";
inline constexpr const char* kRuleDns = "network.dns";

// The first failure to record, and a descriptor that turns readable with it.
class FailureState {
 public:
  static Result<FailureState> Create();
  FailureState(FailureState&&) noexcept;
  FailureState& operator=(FailureState&&) = delete;
  void Set(const Error& error);
  std::optional<Error> Get() const;
  bool Failed() const { return signal_.Raised(); }
  int Fd() const { return signal_.Fd(); }

 private:
  explicit FailureState(Signal signal) : signal_(std::move(signal)) {}
  mutable std::mutex mutex_;
  std::optional<Error> error_;
  Signal signal_;
};

// Where the agent wants to go.
struct Destination {
  // As the agent named it: a host name or a numeric address; empty when only `address` is
  // known (a redirected connect() to an address the resolver never answered).
  std::string host;
  std::string address;  // canonical; used when `host` is empty
  uint16_t port = 0;
  policy::ActingProcess process;
};

struct Admission {
  enum class Outcome {
    kAllowed,     // recorded; dial action.address
    kDenied,      // recorded as denied and enforced
    kUnresolved,  // allowed by name but the name did not resolve; recorded with the failure
    kFailed,      // nothing could be recorded: the service has failed
  };
  Outcome outcome = Outcome::kFailed;
  policy::Action action;      // host (normalised) and the chosen address
  policy::Decision decision;
  bool enforced = true;
};

class Gate {
 public:
  Gate(const policy::Engine& engine, policy::ActionObserver& observer, const HostLookup& lookup,
       FailureState& failure, bool audit);

  Admission Admit(const Destination& destination, int stop_fd) const;

  // Records a refusal the service decides itself (`decision.rule` one of the kRule* ids);
  // returns whether it is enforced: false under --audit for a decision that is not
  // `forbidden`, where the connection goes on. A failure to record counts as enforced.
  bool Refuse(const policy::Action& action, const policy::Decision& decision) const;

  // Records that an allowed connection closed.
  void Closed(const Admission& admission, const policy::Transfer& transfer) const;

  bool Failed() const { return failure_.Failed(); }
  bool Audit() const { return audit_; }

 private:
  // OnDecided; a failure is the service's failure, and false.
  bool Record(const policy::Action& action, const policy::Decision& decision, bool enforced,
              const policy::ActionResult& result) const;

  const policy::Engine& engine_;
  policy::ActionObserver& observer_;
  const HostLookup& lookup_;
  FailureState& failure_;
  bool audit_;
};

}  // namespace aarm::network::detail
