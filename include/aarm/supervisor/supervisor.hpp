// The supervisor: answers every mediated system call of the agent. For each notification it
// reads the arguments safely, normalises them into Actions, asks the policy engine, performs
// the allowed operation itself on the object it decided on (or lets an exec continue), tells
// the observer — which writes the receipt — and only then releases the agent.
#pragma once

#include <memory>
#include <optional>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"
#include "aarm/network/network_service.hpp"
#include "aarm/policy/action.hpp"
#include "aarm/policy/action_observer.hpp"
#include "aarm/policy/engine.hpp"
#include "aarm/policy/profile.hpp"
#include "aarm/supervisor/hidden_objects.hpp"

namespace aarm::supervisor {

using policy::ActionObserver;
using policy::ActionResult;

struct SupervisorOptions {
  bool audit = false;      // enforce only forbid rules
  unsigned workers = 4;    // threads answering notifications concurrently
  // The agent, when it lives in mount namespaces of its own: allowed calls are then performed
  // by the supervisor on the decided object, unlink, rmdir and rename inside those namespaces
  // (see namespace_ops.hpp). 0: the agent shares ours and is confined by Landlock alone, which
  // does not hold the supervisor — allowed calls are then left to the kernel (CONTINUE), and a
  // thread racing the check can redirect one within the Landlock envelope.
  pid_t agent_in_namespaces = 0;
  // Files the agent must not open or link under any name (see hidden_objects.hpp).
  const HiddenObjects* hidden = nullptr;
  // [network] mode. Whether the agent has a network namespace of its own is read from the
  // sockets themselves: one in the namespace of `agent_in_namespaces`, when that is not ours,
  // reaches only the sandbox. A connect() of such a socket to any other address is failed
  // (none) or carried to `network`'s transparent listener (proxy); every other socket is
  // decided by address (host, or no namespaces at all). See docs/mediation.md.
  policy::NetworkMode network_mode = policy::NetworkMode::kNone;
  // Mode proxy: the service behind the sandbox's listeners; outlives the supervisor.
  network::NetworkService* network = nullptr;
  // Mode proxy: the sandbox's loopback has ::1 and the transparent listener on it.
  bool network_ipv6 = false;
};

class Supervisor {
 public:
  // Starts serving `notify_fd` (the agent's seccomp listener) on worker threads.
  static Result<std::unique_ptr<Supervisor>> Start(UniqueFd notify_fd, const policy::Engine& engine,
                                                   ActionObserver& observer,
                                                   SupervisorOptions options);
  virtual ~Supervisor() = default;

  // Readable once the supervisor failed (see Failure()); poll it with POLLIN.
  virtual int FailureFd() const = 0;
  virtual std::optional<Error> Failure() const = 0;

  // Where threads cannot be created (a seccomp profile around aarm-run refusing clone3 with
  // EPERM), the caller serves notifications itself: poll InlineFd() and call ServeOne() when it
  // is readable. -1 when worker threads serve them.
  virtual int InlineFd() const = 0;
  virtual void ServeOne() = 0;

  // Stops the workers and waits for them. Pending notifications fail (the agent is gone).
  virtual void Stop() = 0;
};

}  // namespace aarm::supervisor
