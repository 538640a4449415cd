#include "gate.hpp"

#include <fmt/format.h>
#include <sys/socket.h>

#include <cerrno>

#include "address.hpp"

namespace aarm::network::detail {
namespace {

// How long a name may take to resolve before the connection is given up.
constexpr auto kLookupTimeout = std::chrono::seconds(10);

bool Denied(const policy::Decision& decision) {
  return decision.verdict == policy::Verdict::kDeny;
}

// The stricter of the decision by name and the one by address: a forbid rule first, then a
// denial, else the decision by address.
policy::Decision Stricter(const policy::Decision& by_name, const policy::Decision& by_address) {
  if (by_name.forbidden) return by_name;
  if (by_address.forbidden) return by_address;
  if (Denied(by_name)) return by_name;
  return by_address;
}

}  // namespace

Result<FailureState> FailureState::Create() {
  auto signal = Signal::Create();
  if (!signal) return tl::unexpected(signal.error());
  return FailureState(std::move(*signal));
}

FailureState::FailureState(FailureState&& other) noexcept
    : error_(std::move(other.error_)), signal_(std::move(other.signal_)) {}

void FailureState::Set(const Error& error) {
  std::lock_guard lock(mutex_);
  if (error_) return;
  error_ = error;
  signal_.Raise();
}

std::optional<Error> FailureState::Get() const {
  std::lock_guard lock(mutex_);
  return error_;
}

Gate::Gate(const policy::Engine& engine, policy::ActionObserver& observer,
           const HostLookup& lookup, FailureState& failure, bool audit)
    : engine_(engine), observer_(observer), lookup_(lookup), failure_(failure), audit_(audit) {}

bool Gate::Record(const policy::Action& action, const policy::Decision& decision, bool enforced,
                  const policy::ActionResult& result) const {
  if (failure_.Failed()) return false;
  auto recorded = observer_.OnDecided(action, decision, enforced, result);
  if (!recorded) {
    failure_.Set(recorded.error());
    return false;
  }
  return true;
}

Admission Gate::Admit(const Destination& destination, int stop_fd) const {
  Admission admission;
  if (failure_.Failed()) return admission;
  policy::Action& action = admission.action;
  action.kind = policy::ActionKind::kNetConnect;
  action.protocol = "tcp";
  action.port = destination.port;
  action.process = destination.process;

  std::optional<policy::Decision> by_name;
  if (destination.host.empty()) {
    action.address = destination.address;
  } else {
    HostIdentity identity = IdentifyHost(destination.host);
    switch (identity.kind) {
      case HostIdentity::Kind::kAddress:
        action.address = std::move(identity.text);
        break;
      case HostIdentity::Kind::kInvalid:
        // Nothing could be dialled: refused whatever --audit says.
        action.host = std::move(identity.text);
        admission.decision = {policy::Verdict::kDeny, true, kRuleName, "not a valid host name"};
        Refuse(action, admission.decision);
        admission.outcome = failure_.Failed() ? Admission::Outcome::kFailed
                                              : Admission::Outcome::kDenied;
        return admission;
      case HostIdentity::Kind::kName:
        action.host = std::move(identity.text);
        by_name = engine_.Decide(action);
        break;
    }
  }

  const auto deny = [&](const policy::Decision& decision) {
    admission.decision = decision;
    admission.outcome = Record(action, decision, true, {false, EACCES})
                            ? Admission::Outcome::kDenied
                            : Admission::Outcome::kFailed;
    return admission;
  };

  if (by_name) {
    if (Denied(*by_name) && (by_name->forbidden || !audit_)) return deny(*by_name);
    const LookupResult found =
        lookup_.Resolve(action.host, AF_UNSPEC, Clock::now() + kLookupTimeout, stop_fd);
    if (found.status != LookupResult::Status::kFound) {
      if (found.status == LookupResult::Status::kStopped) return admission;
      // Allowed by name, never dialled: the record says what the agent got.
      admission.decision = *by_name;
      admission.enforced = by_name->forbidden || !audit_;
      admission.outcome = Record(action, *by_name, admission.enforced, {false, EHOSTUNREACH})
                              ? Admission::Outcome::kUnresolved
                              : Admission::Outcome::kFailed;
      return admission;
    }
    action.address = found.addresses.front();
  }

  const policy::Decision by_address = engine_.Decide(action);
  const policy::Decision decision = by_name ? Stricter(*by_name, by_address) : by_address;
  if (Denied(decision) && (decision.forbidden || !audit_)) return deny(decision);
  admission.decision = decision;
  admission.enforced = decision.forbidden || !audit_;
  admission.outcome = Record(action, decision, admission.enforced, {true, 0})
                          ? Admission::Outcome::kAllowed
                          : Admission::Outcome::kFailed;
  return admission;
}

bool Gate::Refuse(const policy::Action& action, const policy::Decision& decision) const {
  const bool enforced = decision.forbidden || !audit_;
  if (!Record(action, decision, enforced, {!enforced, enforced ? EACCES : 0})) return true;
  return enforced;
}

void Gate::Closed(const Admission& admission, const policy::Transfer& transfer) const {
  if (failure_.Failed()) return;
  auto recorded = observer_.OnConnectionClosed(admission.action, admission.decision,
                                               admission.enforced, transfer);
  if (!recorded) failure_.Set(recorded.error());
}

}  // namespace aarm::network::detail
