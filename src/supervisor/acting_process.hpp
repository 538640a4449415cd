// Who is acting: the process behind a notification, its binary and its parents.
#pragma once

#include <sys/types.h>

#include "aarm/policy/action.hpp"

namespace aarm::supervisor {

// The process (not thread) of `tid`, the binary it runs as the agent sees it, and its parents
// up to where the sandbox ends (the PID namespace changes) — at most 16.
policy::ActingProcess DescribeActingProcess(pid_t tid);

// The process `tid` is a thread of; 0 when it is gone.
pid_t ThreadGroupOf(pid_t tid);

}  // namespace aarm::supervisor
