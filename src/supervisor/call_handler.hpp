// One mediated system call, from notification to reply: decode, resolve, decide, perform.
#pragma once

#include <linux/seccomp.h>

#include "call_context.hpp"

namespace aarm::supervisor {

// Decides and, when allowed, performs the call on the agent's behalf (or leaves the blocking
// rest of it in HandledCall::finish). Answered ESRCH when the target vanished.
HandledCall HandleCall(const seccomp_notif& request, const CallSettings& settings);

}  // namespace aarm::supervisor
